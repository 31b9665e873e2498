/**
 * `eto webshop ...`: WebShop-specific tools. `explain` shows the reward of a
 * hypothetical purchase for a goal and every part of it.
 */
import { Effect, Option, Schema } from "effect"
import { Command, Flag } from "effect/cli"
import { InvalidInput } from "@eto/core"
import { explain, ExplainResult } from "@eto/envs/webshop/index"
import { loadEnvironment } from "../Environments"
import * as Flags from "../Flags"
import { println } from "../Io"

/** `--option` arguments: an option name, "=", and a value (the value may hold "="). */
export const parseOptions = (args: ReadonlyArray<string>): Effect.Effect<Record<string, string>, InvalidInput> =>
  Effect.suspend(() => {
    const out: Record<string, string> = {}
    for (const arg of args) {
      const at = arg.indexOf("=")
      if (at <= 0 || arg.slice(0, at).trim() === "") {
        return Effect.fail(new InvalidInput({ reason: `bad --option '${arg}': expected name=value (e.g. --option size=large)` }))
      }
      out[arg.slice(0, at).trim()] = arg.slice(at + 1).trim()
    }
    return Effect.succeed(out)
  })

const fixed = (x: number) => x.toFixed(4)
const yesNo = (b: boolean) => (b ? "yes" : "no")
const pairs = (record: Readonly<Record<string, string>>) => {
  const entries = Object.entries(record)
  return entries.length === 0 ? "(none)" : entries.map(([k, v]) => `${k}=${v}`).join(", ")
}

/**
 * The weights of the parts, as in WebShop's reward: each goal attribute, each
 * goal option and the price bound count one, and the parts are shares of that
 * total.
 */
export const partWeights = (r: ExplainResult) => {
  const attributes = r.goal.attributes.length
  const options = Object.keys(r.goal.options).length
  const total = attributes + options + 1
  return { attributes: attributes / total, options: options / total, price: 1 / total }
}

/** The human-readable table of an explanation. */
export const explainTable = (r: ExplainResult): ReadonlyArray<string> => {
  const w = partWeights(r)
  const rows: Array<[string, string, string, string]> = [
    ["part", "score", "weight", "detail"],
    [
      "r_type",
      fixed(r.r_type),
      "x",
      `multiplies the rest; query match ${yesNo(r.query_match)}, category match ${yesNo(r.category_match)}`
    ],
    ["title_score", fixed(r.title_score), "", "share of the goal title's nouns found in the bought title"],
    [
      "r_att",
      fixed(r.r_att),
      fixed(w.attributes),
      `matched ${r.matched_attributes.length}/${r.goal.attributes.length}: ${r.matched_attributes.join(", ") || "-"}`
    ],
    [
      "r_option",
      r.r_option === null ? "-" : fixed(r.r_option),
      fixed(w.options),
      r.r_option === null
        ? "the goal has no options"
        : `matched ${r.matched_options.length}/${Object.keys(r.goal.options).length}: ${r.matched_options.join(", ") || "-"}`
    ],
    [
      "r_price",
      r.r_price ? "1" : "0",
      fixed(w.price),
      `${r.purchase.price.toFixed(2)} ${r.r_price ? "<=" : ">"} bound ${r.goal.priceUpper.toFixed(2)}`
    ],
    ["reward", fixed(r.reward), "", "r_type x (weighted sum of r_att, r_option, r_price)"]
  ]
  const widths = [0, 1, 2].map((c) => Math.max(...rows.map((row) => row[c]!.length)))
  const table = rows.map((row) => row.map((cell, c) => (c < 3 ? cell.padEnd(widths[c]!) : cell)).join("  ").trimEnd())
  return [
    `goal ${r.goal.id}: ${r.goal.instruction}`,
    `  attributes   ${r.goal.attributes.join(", ") || "(none)"}`,
    `  options      ${pairs(r.goal.options)}`,
    `  price bound  ${r.goal.priceUpper.toFixed(2)}`,
    `purchase ${r.purchase.asin}`,
    `  options      ${pairs(r.purchase.options)}`,
    `  price        ${r.purchase.price.toFixed(2)}`,
    "",
    ...table
  ]
}

const explainCommand = Command.make(
  "explain",
  {
    goal: Flag.String("goal").pipe(Flag.withDescription("Goal id (a task id, e.g. B07DJJXGB5:0.2)")),
    asin: Flag.String("asin").pipe(Flag.withDescription("The product bought")),
    options: Flag.String("option").pipe(
      Flag.atLeast(0),
      Flag.withMetavar("name=value"),
      Flag.withDescription("An option selected for the purchase, repeatable")
    ),
    price: Flag.Finite("price").pipe(
      Flag.optional,
      Flag.withDescription("Price checked against the goal's bound (default: the product's price)")
    ),
    json: Flags.json,
    settings: Flags.settings,
    dataDir: Flags.dataDir
  },
  (flags) =>
    Effect.gen(function*() {
      const options = yield* parseOptions(flags.options)
      const env = yield* loadEnvironment({
        env: "webshop",
        dataDir: Option.getOrUndefined(flags.dataDir),
        settings: flags.settings
      })
      const result = yield* explain(env, {
        goal: flags.goal,
        asin: flags.asin,
        options,
        price: Option.getOrUndefined(flags.price)
      })
      if (flags.json) {
        yield* println(JSON.stringify(Schema.encodeSync(ExplainResult)(result)))
      } else {
        for (const line of explainTable(result)) yield* println(line)
      }
    })
).pipe(Command.withDescription("Show the reward of a hypothetical purchase for a goal, part by part"))

export const webshopCommand = Command.make("webshop").pipe(
  Command.withDescription("WebShop tools"),
  Command.withSubcommands([explainCommand])
)
