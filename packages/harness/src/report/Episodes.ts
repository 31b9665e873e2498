/**
 * Per-episode outcomes (`episodes.csv`): one row per evaluated test goal, per
 * method, seed and split, so that the claims check can pair two methods on
 * the same goals and seeds. Each row names the method by its report label
 * (as in main.csv), its strategy kind (e.g. `eto:trajectory`,
 * `self-play:rft`, which the self-play table needs), and an `iteration`:
 * empty for the method's reported evaluation, 0..k for the per-iteration
 * evaluations of iterative strategies (0 = the starting policy).
 *
 * The rows come from the trajectories the evaluation phases stored under the
 * runs directory; a run reports which phases it used, and each of the
 * outcomes' evaluation summaries is found among them by its manifest.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { DataFileError, EnvName, type EvaluationSummary, Jsonl, Trajectory } from "@eto/core"
import { type Experiment, Phases, Runner } from "@eto/strategies"
import { Effect, Schema } from "effect"
import { Bool, Int, Num, OptionalNum, readCsv, spec } from "./Csv"

export const EpisodeRow = Schema.Struct({
  env: EnvName,
  method: Schema.String,
  kind: Schema.String,
  iteration: OptionalNum,
  split: Schema.String,
  seed: Int,
  task: Schema.String,
  /** Final reward x100. */
  reward: Num,
  success: Bool,
  steps: Int
})
export type EpisodeRow = typeof EpisodeRow.Type

export const EPISODES = spec<EpisodeRow>(
  "episodes.csv",
  ["env", "method", "kind", "iteration", "split", "seed", "task", "reward", "success", "steps"],
  EpisodeRow
)

export const readEpisodes = (file: string): Effect.Effect<Array<EpisodeRow>, DataFileError> => readCsv(file, EPISODES)

/** A strategy's kind as the episodes name it: its tag, with the ETO level or self-play method (and remote sampler). */
export const kindOf = (s: Experiment.Outcome["strategy"]): string =>
  s._tag === "eto"
    ? `eto:${s.level}`
    : s._tag === "self-play"
    ? `self-play:${s.method}${s.sampler === undefined ? "" : `@${s.sampler.model}`}`
    : s._tag

const x100 = (v: number): number => Math.round(v * 100 * 10000) / 10000

export const episodeRows = (
  trajectories: ReadonlyArray<Trajectory>,
  who: { readonly method: string; readonly kind: string; readonly iteration: number | null; readonly seed: number }
): Array<EpisodeRow> =>
  trajectories.map((t) => ({
    env: t.task.env,
    method: who.method,
    kind: who.kind,
    iteration: who.iteration,
    split: t.task.split,
    seed: who.seed,
    task: t.task.id,
    reward: x100(t.reward),
    success: t.success,
    steps: t.steps
  }))

/** The phases that hold evaluation trajectories: plain evaluations, Best-of-N selections and prompted models' evaluations. */
export const EVALUATION_PHASES: ReadonlyArray<string> = ["evaluate", "best-of-n", "prompted-evaluate"]

/** A phase a run used: its name and key. */
export interface PhaseRef {
  readonly phase: string
  readonly key: string
}

/**
 * Finds the stored trajectories of evaluation summaries among the phases
 * `refs` of `runsDir` (their manifests read once): a lookup from a summary to
 * its trajectories.
 */
export const evaluationIndex = (runsDir: string, refs: ReadonlyArray<PhaseRef>) =>
  Effect.gen(function*() {
    const bySummary = new Map<string, string>()
    const seen = new Set<string>()
    for (const ref of refs) {
      if (!EVALUATION_PHASES.includes(ref.phase) || seen.has(`${ref.phase}/${ref.key}`)) continue
      seen.add(`${ref.phase}/${ref.key}`)
      const dir = path.join(runsDir, ref.phase, ref.key)
      const file = path.join(dir, "manifest.json")
      if (!fs.existsSync(file)) continue
      const text = yield* Jsonl.readText(file)
      const manifest = yield* Effect.try({
        try: () => Schema.decodeUnknownSync(Phases.EvaluateManifest)(JSON.parse(text)),
        catch: (e) => new DataFileError({ path: file, reason: `bad evaluation manifest: ${String(e)}` })
      })
      bySummary.set(Runner.canonicalJson(manifest.summary), path.join(dir, manifest.file))
    }
    return (summary: EvaluationSummary): Effect.Effect<Array<Trajectory>, DataFileError> => {
      const file = bySummary.get(Runner.canonicalJson(summary))
      return file === undefined
        ? Effect.fail(new DataFileError({
          path: path.join(runsDir, "evaluate"),
          reason: `no evaluation phase holds ${summary.policy} seed ${summary.seed} on ${summary.split}`
        }))
        : Jsonl.readJsonl(Trajectory, file)
    }
  })

/** Every evaluated episode of the outcomes: final evaluations and per-iteration ones. */
export const collectEpisodes = (options: {
  readonly outcomes: ReadonlyArray<Experiment.Outcome>
  readonly runsDir: string
  readonly phases: ReadonlyArray<PhaseRef>
}) =>
  Effect.gen(function*() {
    const find = yield* evaluationIndex(options.runsDir, options.phases)
    const rows: Array<EpisodeRow> = []
    for (const o of options.outcomes) {
      const who = { method: o.label, kind: kindOf(o.strategy), seed: o.seed }
      for (const e of o.evaluations) rows.push(...episodeRows(yield* find(e), { ...who, iteration: null }))
      for (const it of o.iterations ?? []) {
        for (const e of it.evaluations) rows.push(...episodeRows(yield* find(e), { ...who, iteration: it.iteration }))
      }
    }
    return rows
  })
