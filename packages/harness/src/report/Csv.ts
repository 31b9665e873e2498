/**
 * The result tables as CSV files, one row per (method, split, seed):
 * - main.csv: the main comparison (Table 2 / Table 7 of the paper);
 * - iterations.csv: ETO over iterations (Figure 4), iteration 0 being SFT;
 * - contrastive_levels.csv: trajectory / step / mixture pairs (Table 4);
 * - self_play.csv: training without expert trajectories (Table 5).
 *
 * Rewards and success rates are written x100 as the paper prints them.
 * Files are written with csv-stringify and read back with csv-parse, every
 * row decoded through the row's schema (errors name file and line).
 */
import { DataFileError, EnvName, type EvaluationSummary, Jsonl } from "@eto/core"
import { parse } from "csv-parse/sync"
import { stringify } from "csv-stringify/sync"
import { Effect, Result, Schema, SchemaTransformation } from "effect"

/** Cell schemas the tables share (CSV cells are strings). */
export const Num = Schema.FiniteFromString
export const Int = Schema.FiniteFromString.check(Schema.isInt())
/** An empty cell is `null` (e.g. SFT has no beta). */
export const OptionalNum = Schema.String.pipe(
  Schema.decodeTo(
    Schema.NullOr(Schema.Finite),
    SchemaTransformation.transform({
      decode: (s: string) => (s.trim() === "" ? null : Number(s)),
      encode: (n: number | null) => (n === null ? "" : String(n))
    })
  )
)
export const Bool = Schema.Literals(["true", "false"]).pipe(
  Schema.decodeTo(
    Schema.Boolean,
    SchemaTransformation.transform({
      decode: (s: "true" | "false") => s === "true",
      encode: (b: boolean) => (b ? "true" : "false") as "true" | "false"
    })
  )
)

const common = {
  env: EnvName,
  method: Schema.String,
  split: Schema.String,
  seed: Int,
  /** Average final reward x100. */
  avg_reward: Num,
  /** Success rate x100. */
  success_rate: Num,
  tasks: Int
}

export const MainRow = Schema.Struct({ ...common, mean_steps: Num, wall_seconds: Num })
export type MainRow = typeof MainRow.Type
export const IterationRow = Schema.Struct({ ...common, iteration: Int })
export type IterationRow = typeof IterationRow.Type
export const ContrastiveLevelRow = Schema.Struct({
  ...common,
  level: Schema.Literals(["none", "trajectory", "step", "mixture"]),
  lr: OptionalNum,
  beta: OptionalNum
})
export type ContrastiveLevelRow = typeof ContrastiveLevelRow.Type
export const SelfPlayRow = Schema.Struct({
  ...common,
  with_bc: Bool,
  /** Self-generated data the strategy trained on: kept trajectories (RFT stage) and preference pairs (ETO stage). */
  trajectories: OptionalNum,
  pairs: OptionalNum
})
export type SelfPlayRow = typeof SelfPlayRow.Type

/** A table: its file name, column order and row schema. */
export interface TableSpec<A> {
  readonly file: string
  readonly columns: ReadonlyArray<keyof A & string>
  readonly row: Schema.Codec<A, Record<string, string>>
  /** Columns added later: a file without them reads them as empty cells. */
  readonly optional?: ReadonlyArray<keyof A & string>
}

export const spec = <A>(
  file: string,
  columns: ReadonlyArray<keyof A & string>,
  row: Schema.Codec<A, any>,
  optional?: ReadonlyArray<keyof A & string>
): TableSpec<A> => ({ file, columns, row, ...(optional !== undefined ? { optional } : {}) })

export const MAIN = spec<MainRow>(
  "main.csv",
  ["env", "method", "split", "avg_reward", "success_rate", "tasks", "mean_steps", "seed", "wall_seconds"],
  MainRow
)
export const ITERATIONS = spec<IterationRow>(
  "iterations.csv",
  ["env", "method", "iteration", "split", "avg_reward", "success_rate", "tasks", "seed"],
  IterationRow
)
export const CONTRASTIVE_LEVELS = spec<ContrastiveLevelRow>(
  "contrastive_levels.csv",
  ["env", "method", "level", "lr", "beta", "split", "avg_reward", "success_rate", "tasks", "seed"],
  ContrastiveLevelRow
)
export const SELF_PLAY = spec<SelfPlayRow>(
  "self_play.csv",
  ["env", "method", "with_bc", "split", "avg_reward", "success_rate", "tasks", "seed", "trajectories", "pairs"],
  SelfPlayRow,
  ["trajectories", "pairs"]
)

/** x100, rounded to 4 decimals so the file stays readable and exact enough. */
const x100 = (v: number): number => Math.round(v * 100 * 10000) / 10000

/** A main.csv row from an evaluation summary; `method` is the report label. */
export const mainRow = (s: EvaluationSummary, method: string): MainRow => ({
  env: s.env,
  method,
  split: s.split,
  avg_reward: x100(s.avgReward),
  success_rate: x100(s.successRate),
  tasks: s.tasks,
  mean_steps: Math.round(s.meanSteps * 1000) / 1000,
  seed: s.seed,
  wall_seconds: Math.round(s.wallSeconds * 1000) / 1000
})

/** The CSV text of rows (header first). */
export const toCsv = <A>(table: TableSpec<A>, rows: ReadonlyArray<A>): string => {
  const encode = Schema.encodeSync(table.row as unknown as Schema.Codec<A, Record<string, string>, never, never>)
  return stringify(rows.map((r) => encode(r)), { header: true, columns: table.columns.map(String) })
}

export const writeCsv = <A>(file: string, table: TableSpec<A>, rows: ReadonlyArray<A>): Effect.Effect<void, DataFileError> =>
  Effect.flatMap(Effect.sync(() => toCsv(table, rows)), (text) => Jsonl.writeFileAtomic(file, text))

/** Decodes CSV text; the header must hold the table's columns (any order, extra columns ignored). */
export const parseCsv = <A>(table: TableSpec<A>, text: string, file: string): Result.Result<Array<A>, DataFileError> => {
  let records: Array<Array<string>>
  try {
    records = parse(text, { bom: true, skip_empty_lines: true, relax_column_count: false }) as Array<Array<string>>
  } catch (e) {
    return Result.fail(new DataFileError({ path: file, reason: `not a valid CSV file: ${(e as Error).message}` }))
  }
  const header = records[0]
  if (header === undefined) return Result.fail(new DataFileError({ path: file, line: 1, reason: "empty file, expected a header" }))
  const missing = table.columns.filter((c) => !header.includes(c) && !(table.optional ?? []).includes(c))
  if (missing.length > 0) {
    return Result.fail(
      new DataFileError({ path: file, line: 1, reason: `missing column(s) ${missing.join(", ")} for ${table.file}` })
    )
  }
  const decode = Schema.decodeUnknownResult(table.row as unknown as Schema.Codec<A, Record<string, string>, never, never>)
  const out: Array<A> = []
  for (let i = 1; i < records.length; i++) {
    const rec = records[i]!
    const obj: Record<string, string> = {}
    for (const c of table.columns) obj[c] = header.includes(c) ? rec[header.indexOf(c)]! : ""
    const r = decode(obj)
    if (Result.isFailure(r)) {
      const reason = r.failure.message.split("\n").map((l) => l.trim()).join(" ")
      // Line numbers count the header as line 1 (quoted newlines aside).
      return Result.fail(new DataFileError({ path: file, line: i + 1, reason: `bad row: ${reason}` }))
    }
    out.push(r.success)
  }
  return Result.succeed(out)
}

export const readCsv = <A>(file: string, table: TableSpec<A>): Effect.Effect<Array<A>, DataFileError> =>
  Effect.flatMap(
    Jsonl.readText(file),
    (text) => Effect.fromResult(parseCsv(table, text, file))
  )
