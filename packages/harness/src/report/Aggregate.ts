/**
 * Per-seed result rows folded into means with 95% confidence intervals over
 * seeds (values stay x100, as in the CSV files).
 */
import { Stats } from "@eto/strategies"
import type { ContrastiveLevelRow, IterationRow, MainRow, SelfPlayRow } from "./Csv"
import type { EpisodeRow } from "./Episodes"
import type { PromptedRow } from "./Prompted"

export type MeanCi = Stats.MeanCi

export interface Results {
  readonly main: ReadonlyArray<MainRow>
  readonly iterations: ReadonlyArray<IterationRow>
  readonly levels: ReadonlyArray<ContrastiveLevelRow>
  readonly selfPlay: ReadonlyArray<SelfPlayRow>
  /** Per-episode outcomes (episodes.csv), when the run stored them: the claims check pairs on them. */
  readonly episodes?: ReadonlyArray<EpisodeRow> | undefined
  /** Prompted models (prompted.csv), when the experiment lists any. */
  readonly prompted?: ReadonlyArray<PromptedRow> | undefined
}

export const emptyResults: Results = { main: [], iterations: [], levels: [], selfPlay: [] }

export interface Cell {
  readonly reward: MeanCi
  readonly success: MeanCi
  /** Mean steps, where the table has them. */
  readonly steps: MeanCi | undefined
  readonly seeds: ReadonlyArray<number>
}

/** Groups rows by `key` (first-seen order) and summarises each group over its seeds. */
export const aggregate = <R extends { avg_reward: number; success_rate: number; seed: number }>(
  rows: ReadonlyArray<R>,
  key: (r: R) => string,
  steps?: (r: R) => number
): Map<string, Cell & { readonly rows: ReadonlyArray<R> }> => {
  const groups = new Map<string, Array<R>>()
  for (const r of rows) {
    const k = key(r)
    const g = groups.get(k)
    if (g === undefined) groups.set(k, [r])
    else g.push(r)
  }
  const out = new Map<string, Cell & { rows: ReadonlyArray<R> }>()
  for (const [k, g] of groups) {
    out.set(k, {
      reward: Stats.meanCi(g.map((r) => r.avg_reward)),
      success: Stats.meanCi(g.map((r) => r.success_rate)),
      steps: steps === undefined ? undefined : Stats.meanCi(g.map(steps)),
      seeds: g.map((r) => r.seed),
      rows: g
    })
  }
  return out
}

/** "67.4 ± 1.2" for values already x100; "67.4" without an interval. */
export const fmt = (m: MeanCi | undefined, digits = 1): string =>
  m === undefined || !Number.isFinite(m.mean)
    ? "—"
    : m.halfWidth === undefined
    ? m.mean.toFixed(digits)
    : `${m.mean.toFixed(digits)} ± ${m.halfWidth.toFixed(digits)}`
