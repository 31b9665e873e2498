/**
 * Writing evaluation results: trajectories (JSONL, core `Trajectory`), the
 * summary (a one-row CSV) and, on request, the FastChat conversations used as
 * SFT data. Every file is written atomically.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { stringify } from "csv-stringify/sync"
import { Effect, Schema } from "effect"
import { Conversations, DataFileError, Jsonl, Trajectory, type EvaluationSummary } from "@eto/core"

/** The summary as printed and written: rewards and success rates as percentages. */
export const SummaryRow = Schema.Struct({
  env: Schema.String,
  split: Schema.String,
  policy: Schema.String,
  tasks: Schema.Number,
  /** Mean final reward x100. */
  avg_reward: Schema.Number,
  /** Share of successful episodes x100. */
  success_rate: Schema.Number,
  mean_steps: Schema.Number,
  seed: Schema.Number,
  wall_seconds: Schema.Number,
  /** Tokens a remote model reported (only for remote policies). */
  prompt_tokens: Schema.optionalKey(Schema.Number),
  completion_tokens: Schema.optionalKey(Schema.Number)
})
export type SummaryRow = typeof SummaryRow.Type

export const SUMMARY_COLUMNS = [
  "env",
  "split",
  "policy",
  "tasks",
  "avg_reward",
  "success_rate",
  "mean_steps",
  "seed",
  "wall_seconds"
] as const satisfies ReadonlyArray<keyof SummaryRow>

const round = (x: number, digits: number): number => {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

export const summaryRow = (s: EvaluationSummary): SummaryRow => ({
  env: s.env,
  split: s.split,
  policy: s.policy,
  tasks: s.tasks,
  avg_reward: round(s.avgReward * 100, 2),
  success_rate: round(s.successRate * 100, 2),
  mean_steps: round(s.meanSteps, 2),
  seed: s.seed,
  wall_seconds: round(s.wallSeconds, 3),
  ...(s.promptTokens !== undefined ? { prompt_tokens: s.promptTokens } : {}),
  ...(s.completionTokens !== undefined ? { completion_tokens: s.completionTokens } : {})
})

/** The summary CSV; the token columns appear when a row has them. */
export const summaryCsv = (rows: ReadonlyArray<SummaryRow>): string => {
  const tokens = rows.some((r) => r.prompt_tokens !== undefined)
  const columns: ReadonlyArray<keyof SummaryRow> = tokens ? [...SUMMARY_COLUMNS, "prompt_tokens", "completion_tokens"] : SUMMARY_COLUMNS
  return stringify(rows.map((r) => columns.map((c) => r[c] ?? "")), { header: true, columns: [...columns] })
}

export interface EvalFiles {
  readonly trajectories: string
  readonly summary: string
}

/** File names of one evaluation run under `dir`: `<policy>-<split>-seed<seed>.{trajectories.jsonl,summary.csv}`. */
export const evalFiles = (dir: string, tag: string): EvalFiles => ({
  trajectories: path.join(dir, `${tag}.trajectories.jsonl`),
  summary: path.join(dir, `${tag}.summary.csv`)
})

export const writeEvalResults = (
  files: EvalFiles,
  trajectories: ReadonlyArray<Trajectory>,
  row: SummaryRow
): Effect.Effect<void, DataFileError> =>
  Effect.gen(function*() {
    yield* Jsonl.writeJsonl(Trajectory, files.trajectories, trajectories)
    yield* Jsonl.writeFileAtomic(files.summary, summaryCsv([row]))
  })

/** Layouts of exported SFT data: ETO/FastChat `conversations`, or TRL's `messages`. */
export const SFT_FORMATS = ["fastchat", "trl"] as const
export type SftFormat = (typeof SFT_FORMATS)[number]

/** Writes trajectories as SFT conversations (ETO/FastChat by default, or TRL's layout). */
export const writeConversations = (
  file: string,
  trajectories: ReadonlyArray<Trajectory>,
  instructionPrompt: string,
  format: SftFormat = "fastchat"
): Effect.Effect<void, DataFileError> =>
  format === "trl"
    ? Jsonl.writeJsonl(Conversations.TrlSftRecord, file, trajectories.map((t) => Conversations.trajectoryToTrl(t, instructionPrompt)))
    : Jsonl.writeJsonl(
      Conversations.ConversationRecord,
      file,
      trajectories.map((t) => Conversations.trajectoryToConversation(t, instructionPrompt))
    )

/**
 * Finished episodes appended one per line as they complete (in completion
 * order), so an interrupted run keeps what it finished. The complete file
 * replaces it at the end.
 */
export interface PartialTrajectories {
  readonly file: string
  append(t: Trajectory): void
  /** Removes the partial file once the complete results are written. */
  discard(): void
}

export const partialTrajectories = (finalFile: string): Effect.Effect<PartialTrajectories, DataFileError> =>
  Effect.try({
    try: () => {
      const file = `${finalFile}.partial`
      fs.mkdirSync(path.dirname(file), { recursive: true })
      fs.writeFileSync(file, "")
      const encode = Schema.encodeSync(Trajectory)
      return {
        file,
        append: (t) => fs.appendFileSync(file, `${JSON.stringify(encode(t))}\n`),
        discard: () => fs.rmSync(file, { force: true })
      }
    },
    catch: (e) => new DataFileError({ path: `${finalFile}.partial`, reason: `cannot write: ${String(e)}` })
  })
