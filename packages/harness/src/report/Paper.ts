/**
 * The paper's numbers (`tables.json` beside the paper): decoded with a schema
 * and looked up by the (environment, split) columns our tables use.
 *
 * The file is found in `$ETO_PAPER_DIR`, else `../shared/paper` beside the
 * repository root.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { DataFileError, type EnvName, Paths } from "@eto/core"
import { Effect, Result, Schema } from "effect"

export const PaperColumn = Schema.Literals(["webshop", "sciworld_seen", "sciworld_unseen", "alfworld_seen", "alfworld_unseen"])
export type PaperColumn = typeof PaperColumn.Type
export const PAPER_COLUMNS: ReadonlyArray<PaperColumn> = PaperColumn.literals

const Row = Schema.Array(Schema.Finite)

export const PaperTables = Schema.Struct({
  source: Schema.String,
  metric_note: Schema.String,
  table1_datasets: Schema.Record(
    Schema.String,
    Schema.Struct({
      train: Schema.Finite,
      test_seen: Schema.Finite,
      test_unseen: Schema.NullOr(Schema.Finite),
      avg_turns: Schema.Finite
    })
  ),
  columns: Schema.Array(PaperColumn),
  table2_average_reward: Schema.Record(Schema.String, Row),
  table7_success_rate: Schema.Record(Schema.String, Row),
  /** `columns` names the columns; every other member is a row. */
  table3_base_llms_average_reward: Schema.Record(Schema.String, Schema.Union([Schema.Array(Schema.String), Row])),
  table4_contrastive_level_webshop: Schema.Array(Schema.Struct({
    method: Schema.String,
    level: Schema.NullOr(Schema.Literals(["trajectory", "step", "mixture"])),
    lr: Schema.NullOr(Schema.Finite),
    beta: Schema.NullOr(Schema.Finite),
    avg_reward: Schema.Finite
  })),
  table5_self_play_webshop: Schema.Array(Schema.Struct({
    method: Schema.String,
    with_bc: Schema.Boolean,
    avg_reward: Schema.Finite
  })),
  figure4_iterations: Schema.String,
  hyperparameters: Schema.Record(Schema.String, Schema.Unknown),
  claims: Schema.Array(Schema.String)
})
export type PaperTables = typeof PaperTables.Type

export const paperDir = (): string => process.env.ETO_PAPER_DIR ?? path.resolve(Paths.repoRoot(), "..", "shared", "paper")

const HINT = "set ETO_PAPER_DIR to the folder holding the paper's tables.json"

export const decodePaperTables = (text: string, file: string): Result.Result<PaperTables, DataFileError> => {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (e) {
    return Result.fail(new DataFileError({ path: file, reason: `invalid JSON: ${(e as Error).message}`, hint: HINT }))
  }
  const r = Schema.decodeUnknownResult(PaperTables)(json)
  if (Result.isFailure(r)) {
    const reason = r.failure.message.split("\n").map((l) => l.trim()).join(" ")
    return Result.fail(new DataFileError({ path: file, reason: `unexpected structure: ${reason}`, hint: HINT }))
  }
  const t = r.success
  for (const [name, table] of [["table2_average_reward", t.table2_average_reward], ["table7_success_rate", t.table7_success_rate]] as const) {
    for (const [method, row] of Object.entries(table)) {
      if (row.length !== t.columns.length) {
        return Result.fail(
          new DataFileError({ path: file, reason: `${name}["${method}"] has ${row.length} values for ${t.columns.length} columns` })
        )
      }
    }
  }
  return Result.succeed(t)
}

export const loadPaperTables = (dir: string = paperDir()): Effect.Effect<PaperTables, DataFileError> => {
  const file = path.join(dir, "tables.json")
  return Effect.flatMap(
    Effect.try({
      try: () => fs.readFileSync(file, "utf8"),
      catch: (e) =>
        new DataFileError({
          path: file,
          reason: (e as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : `cannot read: ${String(e)}`,
          hint: HINT
        })
    }),
    (text) => Effect.fromResult(decodePaperTables(text, file))
  )
}

/**
 * The paper column an (environment, split) of ours corresponds to. WebShop's
 * test split is its only test column; ScienceWorld's dev split is the
 * paper's "seen" test and its test split the "unseen" one; ALFWorld's
 * valid_seen / valid_unseen are the paper's seen / unseen tests.
 */
export const paperColumn = (env: EnvName, split: string): PaperColumn | undefined => {
  const s = split.toLowerCase()
  switch (env) {
    case "webshop":
      return s === "test" ? "webshop" : undefined
    case "sciworld":
      if (["seen", "test_seen"].includes(s)) return "sciworld_seen"
      if (["unseen", "test_unseen"].includes(s)) return "sciworld_unseen"
      return undefined
    case "alfworld":
      if (["valid_seen", "seen", "test_seen"].includes(s)) return "alfworld_seen"
      if (["valid_unseen", "unseen", "test_unseen"].includes(s)) return "alfworld_unseen"
      return undefined
  }
}

export const columnEnv = (c: PaperColumn): EnvName => c.split("_")[0] as EnvName

export const columnTitle = (c: PaperColumn): string =>
  ({
    webshop: "WebShop",
    sciworld_seen: "ScienceWorld seen",
    sciworld_unseen: "ScienceWorld unseen",
    alfworld_seen: "ALFWorld seen",
    alfworld_unseen: "ALFWorld unseen"
  })[c]

/** The paper's row for one of our method labels ("SFT" → "Llama-2-7B-Chat + SFT"). */
export const paperMethodRow = (table: Readonly<Record<string, ReadonlyArray<number>>>, method: string): ReadonlyArray<number> | undefined =>
  table[method] ?? table[`Llama-2-7B-Chat + ${method}`]

/** A value of Table 2 (average reward) or Table 7 (success rate), x100. */
export const paperValue = (
  paper: PaperTables,
  metric: "avg_reward" | "success_rate",
  method: string,
  column: PaperColumn
): number | undefined => {
  const row = paperMethodRow(metric === "avg_reward" ? paper.table2_average_reward : paper.table7_success_rate, method)
  const i = paper.columns.indexOf(column)
  return row === undefined || i < 0 ? undefined : row[i]
}
