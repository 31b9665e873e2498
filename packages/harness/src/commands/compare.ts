/**
 * `eto compare <old.csv> <new.csv>`: compares two main.csv result tables and
 * flags every (environment, split, method) whose average reward fell by more
 * than its 95% confidence interval. Exits with 1 when anything regressed.
 *
 * The interval is the one of the difference of the two means: the per-seed
 * rows of each file give each mean's 95% half-width (Student t), and the two
 * half-widths add in quadrature. When only one file has several seeds, its
 * half-width alone is used. When both have a single seed there is no
 * interval, and the fallback tolerance `--tolerance` (default 2 points of
 * average reward x100) applies.
 */
import { Effect } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { Stats } from "@eto/strategies"
import { fmt } from "../report/Aggregate"
import { MAIN, type MainRow, readCsv } from "../report/Csv"
import { CommandFailed } from "../Errors"
import { println } from "../Io"

/** Points (x100) a single-seed reward may fall before it counts as a regression. */
export const DEFAULT_TOLERANCE = 2

export type Status = "ok" | "improved" | "regressed" | "missing" | "new"

export interface Comparison {
  readonly env: string
  readonly split: string
  readonly method: string
  readonly old: Stats.MeanCi | undefined
  readonly new: Stats.MeanCi | undefined
  /** new - old, in points. */
  readonly change: number | undefined
  /** How far the mean may fall before it is a regression, and where that comes from. */
  readonly tolerance: number | undefined
  readonly toleranceFrom: "interval" | "fallback" | undefined
  readonly status: Status
}

const keyOf = (r: MainRow) => `${r.env}\u0000${r.split}\u0000${r.method}`

const group = (rows: ReadonlyArray<MainRow>): Map<string, Stats.MeanCi> => {
  const by = new Map<string, Array<number>>()
  for (const r of rows) {
    const k = keyOf(r)
    const xs = by.get(k)
    if (xs === undefined) by.set(k, [r.avg_reward])
    else xs.push(r.avg_reward)
  }
  return new Map([...by].map(([k, xs]) => [k, Stats.meanCi(xs)]))
}

/** Compares the methods of two main.csv tables (old order first, then methods only in the new one). */
export const compareTables = (
  oldRows: ReadonlyArray<MainRow>,
  newRows: ReadonlyArray<MainRow>,
  fallbackTolerance: number = DEFAULT_TOLERANCE
): Array<Comparison> => {
  const olds = group(oldRows), news = group(newRows)
  const keys = [...olds.keys(), ...[...news.keys()].filter((k) => !olds.has(k))]
  return keys.map((k) => {
    const [env, split, method] = k.split("\u0000") as [string, string, string]
    const o = olds.get(k), n = news.get(k)
    const base = { env, split, method, old: o, new: n }
    if (o === undefined || n === undefined) {
      return { ...base, change: undefined, tolerance: undefined, toleranceFrom: undefined, status: o === undefined ? "new" : "missing" }
    }
    const widths = [o.halfWidth, n.halfWidth].filter((w): w is number => w !== undefined)
    const fromInterval = widths.length > 0
    const tolerance = fromInterval ? Math.hypot(...widths) : fallbackTolerance
    const change = n.mean - o.mean
    const status: Status = change < -tolerance ? "regressed" : change > tolerance ? "improved" : "ok"
    return { ...base, change, tolerance, toleranceFrom: fromInterval ? "interval" : "fallback", status }
  })
}

const pad = (cells: ReadonlyArray<ReadonlyArray<string>>): Array<string> => {
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)))
  return cells.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd())
}

/** The comparison as an aligned text table. */
export const formatComparison = (rows: ReadonlyArray<Comparison>): Array<string> => {
  const head = ["env", "split", "method", "old", "new", "change", "tolerance", "status"]
  const body = rows.map((c) => [
    c.env,
    c.split,
    c.method,
    c.old === undefined ? "—" : `${fmt(c.old)} (n=${c.old.n})`,
    c.new === undefined ? "—" : `${fmt(c.new)} (n=${c.new.n})`,
    c.change === undefined ? "—" : `${c.change >= 0 ? "+" : ""}${c.change.toFixed(1)}`,
    c.tolerance === undefined ? "—" : `${c.tolerance.toFixed(1)}${c.toleranceFrom === "fallback" ? " (1 seed)" : ""}`,
    c.status === "regressed" ? "REGRESSED" : c.status
  ])
  return pad([head, ...body])
}

export const compareCommand = Command.make(
  "compare",
  {
    old: Argument.String("old.csv").pipe(Argument.withDescription("Earlier main.csv")),
    new: Argument.String("new.csv").pipe(Argument.withDescription("Later main.csv")),
    tolerance: Flag.Finite("tolerance").pipe(
      Flag.withDefault(DEFAULT_TOLERANCE),
      Flag.withDescription(
        "Points of average reward (x100) a method may fall when both files have a single seed (no interval)"
      )
    )
  },
  (args) =>
    Effect.gen(function*() {
      if (!(args.tolerance >= 0)) return yield* new CommandFailed({ reason: `--tolerance must be >= 0 (got ${args.tolerance})` })
      const oldRows = yield* readCsv(args.old, MAIN)
      const newRows = yield* readCsv(args.new, MAIN)
      const rows = compareTables(oldRows, newRows, args.tolerance)
      for (const line of formatComparison(rows)) yield* println(line)
      const regressed = rows.filter((r) => r.status === "regressed")
      yield* println("")
      if (regressed.length > 0) {
        return yield* new CommandFailed({
          reason: `${regressed.length} regression(s): ${regressed.map((r) => `${r.method} on ${r.env}/${r.split}`).join(", ")}`
        })
      }
      yield* println(`no regression (${rows.filter((r) => r.status === "improved").length} improved, ${rows.filter((r) => r.status === "ok").length} unchanged)`)
    })
).pipe(
  Command.withDescription("Compare two main.csv result tables; exit 1 when a method's average reward fell beyond its 95% interval")
)
