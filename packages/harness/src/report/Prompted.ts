/**
 * Prompted models (Table 2's GPT-4, GPT-3.5-Turbo and Llama-2-7B-Chat rows):
 * `prompted.csv`, one row per (prompted strategy, split, seed) with the model,
 * its samples per task and the tokens it used, and the report section that
 * shows them beside the paper's prompted rows on the same columns.
 */
import { EnvName, type EvaluationSummary } from "@eto/core"
import type { Experiment } from "@eto/strategies"
import { Schema } from "effect"
import { aggregate, fmt } from "./Aggregate"
import { Int, mainRow, Num, spec } from "./Csv"
import { columnTitle, type PaperColumn, paperColumn, type PaperTables, paperValue } from "./Paper"

/** The paper's prompted (untrained) rows of Table 2 and Table 7. */
export const PAPER_PROMPTED: ReadonlyArray<string> = ["GPT-4", "GPT-3.5-Turbo", "Llama-2-7B-Chat"]

export const PromptedRow = Schema.Struct({
  env: EnvName,
  method: Schema.String,
  /** `openai:<model>`. */
  model: Schema.String,
  split: Schema.String,
  /** Episodes per task (above 1: the best by reward is kept). */
  samples: Int,
  seed: Int,
  avg_reward: Num,
  success_rate: Num,
  tasks: Int,
  prompt_tokens: Num,
  completion_tokens: Num
})
export type PromptedRow = typeof PromptedRow.Type

export const PROMPTED = spec<PromptedRow>(
  "prompted.csv",
  ["env", "method", "model", "split", "samples", "avg_reward", "success_rate", "tasks", "seed", "prompt_tokens", "completion_tokens"],
  PromptedRow
)

const row = (e: EvaluationSummary, method: string, model: string, samples: number): PromptedRow => {
  const m = mainRow(e, method)
  return {
    env: m.env,
    method,
    model,
    split: m.split,
    samples,
    seed: m.seed,
    avg_reward: m.avg_reward,
    success_rate: m.success_rate,
    tasks: m.tasks,
    prompt_tokens: e.promptTokens ?? 0,
    completion_tokens: e.completionTokens ?? 0
  }
}

export const promptedRows = (outcomes: ReadonlyArray<Experiment.Outcome>): Array<PromptedRow> =>
  outcomes.flatMap((o) => {
    const s = o.strategy
    return s._tag === "prompted" ? o.evaluations.map((e) => row(e, o.label, s.model, s.samples)) : []
  })

const num = (v: number | undefined): string => (v === undefined ? "—" : v.toFixed(1))

/** Our prompted rows of one environment, then the paper's prompted rows on the same columns. */
export const promptedTable = (rows: ReadonlyArray<PromptedRow>, paper: PaperTables): { head: Array<string>; rows: Array<Array<string>> } => {
  const cells = aggregate(rows, (r) => `${r.method}\u0000${r.model}\u0000${r.samples}\u0000${r.split}`)
  const ours = [...cells.entries()].map(([k, c]) => {
    const [method, model, samples, split] = k.split("\u0000") as [string, string, string, string]
    const tokens = c.rows.reduce((s, r) => s + r.prompt_tokens, 0) / c.rows.length
    const completion = c.rows.reduce((s, r) => s + r.completion_tokens, 0) / c.rows.length
    const col = paperColumn(c.rows[0]!.env, split)
    return [
      method,
      model,
      samples,
      col === undefined ? split : columnTitle(col),
      fmt(c.reward),
      fmt(c.success),
      `${Math.round(tokens)} / ${Math.round(completion)}`,
      String(c.seeds.length)
    ]
  })
  const columns = [...new Set(rows.map((r) => paperColumn(r.env, r.split)).filter((c): c is PaperColumn => c !== undefined))]
  const theirs = columns.flatMap((col) =>
    PAPER_PROMPTED.map((m) => [m, "paper, one-shot", "1", columnTitle(col), num(paperValue(paper, "avg_reward", m, col)), num(paperValue(paper, "success_rate", m, col)), "—", "—"])
  )
  return {
    head: ["Method", "Model", "Samples per task (best kept)", "Split", "Avg reward", "Success", "Tokens per run (prompt / completion)", "Seeds"],
    rows: [...ours, ...theirs]
  }
}
