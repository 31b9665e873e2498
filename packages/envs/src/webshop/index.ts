/**
 * WebShop (text mode, small catalogue, synthetic goals) as an ETO Bench
 * environment, plus `explain`: the reward of a hypothetical purchase, part by
 * part.
 */
import * as path from "node:path"
import { Effect, Schema } from "effect"
import { describeSchemaError, InvalidInput, Paths } from "@eto/core"
import type { EnvModule, LoadedEnvironment, LoadOptions } from "../index"
import { makeWebShop, type WebShop } from "./Env"
import { makeExpert, type WebShopExpert } from "./Expert"
import { actionFromModel, actionToModel, compactObservation } from "./ModelView"
import { computeReward } from "./Reward"

export { makeWebShop, MAX_STEPS, SPLITS, type WebShop } from "./Env"
export { makeExpert, type WebShopExpert } from "./Expert"
export { computeReward, type RewardDetails } from "./Reward"
export { actionFromModel, actionToModel, compactObservation } from "./ModelView"
export { type Catalog, type Goal, loadCatalog, type Product } from "./Catalog"

/** The loaded environment: the generic shape plus the WebShop internals. */
export interface LoadedWebShop extends LoadedEnvironment {
  readonly shop: WebShop
  expert(seed: number): WebShopExpert
}

const Settings = Schema.Struct({
  seed: Schema.optionalKey(Schema.NumberFromString.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(0))),
  show_attrs: Schema.optionalKey(Schema.Literals(["true", "false"]))
})

const SETTINGS = [
  { name: "seed", description: "seed of the hidden prices and price bounds (Python-compatible generator)", default: "0" },
  { name: "show_attrs", description: "offer the Attributes sub-page on product pages", default: "false" }
] as const

const decodeSettings = (settings: Readonly<Record<string, string>> | undefined) =>
  Effect.suspend(() => {
    const given = settings ?? {}
    for (const name of Object.keys(given)) {
      if (!SETTINGS.some((s) => s.name === name)) {
        return Effect.fail(
          new InvalidInput({ reason: `webshop: unknown setting '${name}' (known: ${SETTINGS.map((s) => s.name).join(", ")})` })
        )
      }
    }
    return Effect.mapError(
      Schema.decodeUnknownEffect(Settings)(given),
      (e) => new InvalidInput({ reason: `webshop: bad setting ${describeSchemaError(e)}` })
    )
  })

export const load = (options?: LoadOptions): Effect.Effect<LoadedWebShop, import("@eto/core").DataFileError | InvalidInput> =>
  Effect.gen(function*() {
    const settings = yield* decodeSettings(options?.settings)
    const dir = path.join(options?.dataDir ?? Paths.dataDir(), "webshop")
    const shop = yield* makeWebShop({ dir, seed: settings.seed ?? 0, showAttributes: settings.show_attrs === "true" })
    const loaded: LoadedWebShop = {
      name: shop.name,
      splits: shop.splits,
      instructionPrompt: shop.instructionPrompt,
      settings: SETTINGS,
      tasks: shop.tasks,
      task: shop.task,
      reset: shop.reset,
      defaultSplit: "test",
      expert: (seed) => makeExpert(shop, seed),
      compactObservation,
      actionToModel,
      actionFromModel,
      shop
    }
    return loaded
  })

export const module: EnvModule = { name: "webshop", load }

/** `load`, run synchronously (loading does no asynchronous work); throws the load error. */
export const loadSync = (options?: LoadOptions): LoadedWebShop => Effect.runSync(load(options))

export const ExplainResult = Schema.Struct({
  goal: Schema.Struct({
    id: Schema.String,
    instruction: Schema.String,
    attributes: Schema.Array(Schema.String),
    options: Schema.Record(Schema.String, Schema.String),
    priceUpper: Schema.Number
  }),
  purchase: Schema.Struct({
    asin: Schema.String,
    options: Schema.Record(Schema.String, Schema.String),
    price: Schema.Number
  }),
  reward: Schema.Number,
  r_type: Schema.Number,
  query_match: Schema.Boolean,
  category_match: Schema.Boolean,
  title_score: Schema.Number,
  r_att: Schema.Number,
  matched_attributes: Schema.Array(Schema.String),
  r_option: Schema.NullOr(Schema.Number),
  matched_options: Schema.Array(Schema.String),
  r_price: Schema.Boolean
})
export type ExplainResult = typeof ExplainResult.Type

export interface ExplainInput {
  readonly goal: string
  readonly asin: string
  readonly options: Readonly<Record<string, string>>
  readonly price?: number | undefined
}

const shopOf = (env: LoadedEnvironment | WebShop): WebShop => ("shop" in env ? (env as LoadedWebShop).shop : (env as WebShop))

/**
 * The reward of buying `asin` with `options` (option name → value) for goal
 * `goal` (a task id), part by part. `price` is the price the reward checks
 * against the goal's bound: the product's hidden price unless given.
 */
export const explain = (env: LoadedEnvironment | WebShop, input: ExplainInput): Effect.Effect<ExplainResult, InvalidInput> =>
  Effect.suspend(() => {
    const shop = shopOf(env)
    if (!("catalog" in shop)) return Effect.fail(new InvalidInput({ reason: "explain: not a WebShop environment" }))
    const goal = shop.catalog.goalById.get(input.goal)
    if (goal === undefined) {
      return Effect.fail(new InvalidInput({ reason: `webshop: no goal with id '${input.goal}' (ids look like B082KBN23S:2)` }))
    }
    const product = shop.catalog.byAsin.get(input.asin.toUpperCase())
    if (product === undefined) return Effect.fail(new InvalidInput({ reason: `webshop: no product with asin '${input.asin}'` }))
    for (const [name, value] of Object.entries(input.options)) {
      const group = product.options.find(([n]) => n === name)
      if (group === undefined) {
        const names = product.options.map(([n]) => n)
        return Effect.fail(
          new InvalidInput({
            reason: `webshop: product ${product.asin} has no option '${name}' (${names.length === 0 ? "it has no options" : `options: ${names.join(", ")}`})`
          })
        )
      }
      if (!group[1].includes(value)) {
        return Effect.fail(
          new InvalidInput({ reason: `webshop: '${value}' is not a value of option '${name}' of ${product.asin} (values: ${group[1].join("; ")})` })
        )
      }
    }
    if (input.price !== undefined && !(Number.isFinite(input.price) && input.price >= 0)) {
      return Effect.fail(new InvalidInput({ reason: `webshop: price must be a non-negative number, got ${input.price}` }))
    }
    const price = input.price ?? product.hiddenPrice
    const d = computeReward(goal, product, input.options, price)
    return Effect.succeed({
      goal: {
        id: goal.id,
        instruction: goal.instructionText,
        attributes: goal.attributes,
        options: Object.fromEntries(goal.goalOptions),
        priceUpper: goal.priceUpper
      },
      purchase: { asin: product.asin, options: { ...input.options }, price },
      reward: d.reward,
      r_type: d.r_type,
      query_match: d.query_match,
      category_match: d.category_match,
      title_score: d.title_score,
      r_att: d.r_att,
      matched_attributes: d.matched_attributes,
      r_option: d.r_option ?? null,
      matched_options: d.matched_options,
      r_price: d.r_price
    })
  })
