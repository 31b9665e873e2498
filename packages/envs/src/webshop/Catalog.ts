/**
 * The WebShop small catalogue and its synthetic goals: product records and
 * instructions are read and decoded from the data directory, hidden prices
 * and price bounds are drawn from a seeded Python-compatible generator, and
 * the goals are put in the original (seed 233) order.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import * as zlib from "node:zlib"
import { Effect, Result, Schema } from "effect"
import { DataFileError, describeSchemaError, Jsonl } from "@eto/core"
import { PyRandom } from "./PyRandom"

export const PRODUCTS_FILE = "products_1000.jsonl.gz"
export const INSTRUCTIONS_FILE = "items_ins_v2_1000.json"
export const GOAL_SHUFFLE_SEED = 233

export const DATA_HINT =
  `the WebShop small catalogue (${PRODUCTS_FILE} and ${INSTRUCTIONS_FILE}) is described in shared/data/README.md; ` +
  "put both files in <data dir>/webshop/ (data dir: $ETO_DATA_DIR, or ../shared/data beside the repository) " +
  "or pass the webshop directory explicitly"

export const ProductRecord = Schema.Struct({
  asin: Schema.String,
  Title: Schema.String,
  Description: Schema.String,
  BulletPoints: Schema.Array(Schema.String),
  Price: Schema.String,
  pricing: Schema.Array(Schema.Number),
  options: Schema.Record(Schema.String, Schema.Array(Schema.String)),
  Attributes: Schema.Array(Schema.String),
  category: Schema.String,
  query: Schema.String,
  product_category: Schema.String,
  Rating: Schema.String,
  Reviews: Schema.Array(Schema.Unknown)
})
export type ProductRecord = typeof ProductRecord.Type

export const ProductLine = Schema.Struct({
  id: Schema.String,
  contents: Schema.String,
  product: ProductRecord
})
export type ProductLine = typeof ProductLine.Type

export const InstructionEntry = Schema.Struct({
  attributes: Schema.Array(Schema.String),
  instruction: Schema.optionalKey(Schema.String),
  instruction_attributes: Schema.optionalKey(Schema.Array(Schema.String))
})
export const InstructionFile = Schema.Record(Schema.String, InstructionEntry)
export type InstructionFile = typeof InstructionFile.Type

export interface Product {
  readonly index: number
  readonly asin: string
  readonly contents: string
  readonly record: ProductRecord
  /** Option groups in record order. */
  readonly options: ReadonlyArray<readonly [name: string, values: ReadonlyArray<string>]>
  /** The price the reward uses (a draw inside the range for range-priced products). */
  readonly hiddenPrice: number
}

export interface Goal {
  /** Position in the shuffled goal list. */
  readonly index: number
  /** `<asin>:<value index per option, option names sorted>`. */
  readonly id: string
  readonly asin: string
  /** The product's template instruction, without options and price. */
  readonly instruction: string
  /** What the agent is told. */
  readonly instructionText: string
  readonly attributes: ReadonlyArray<string>
  /** Option name → value, names sorted. */
  readonly goalOptions: ReadonlyArray<readonly [name: string, value: string]>
  readonly priceUpper: number
  readonly query: string
  readonly category: string
  readonly productCategory: string
  /** The goal product's title. */
  readonly name: string
}

export interface Catalog {
  readonly dir: string
  readonly seed: number
  readonly products: ReadonlyArray<Product>
  readonly byAsin: ReadonlyMap<string, Product>
  /** Goals in the original (shuffled) order. */
  readonly goals: ReadonlyArray<Goal>
  readonly goalById: ReadonlyMap<string, Goal>
}

/** Python's `repr` of a float: shortest round-trip form, always with a decimal point or exponent. */
export const pyFloat = (x: number): string => {
  if (Number.isNaN(x)) return "nan"
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf"
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return `${x.toFixed(0)}.0`
  const abs = Math.abs(x)
  if (abs >= 1e16 || abs < 1e-4) {
    const [mant, exp] = x.toExponential().split("e") as [string, string]
    const e = Number(exp)
    return `${mant}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`
  }
  return String(x)
}

const lineOfOffset = (text: string, offset: number): number => {
  let line = 1
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++
  return line
}

const readFile = (file: string): Effect.Effect<string, DataFileError> =>
  Effect.try({
    try: () => {
      const buf = fs.readFileSync(file)
      return (file.endsWith(".gz") ? zlib.gunzipSync(buf) : buf).toString("utf8")
    },
    catch: (e) => {
      const code = (e as NodeJS.ErrnoException).code
      return new DataFileError({
        path: file,
        reason: code === "ENOENT" ? "file not found" : `cannot read: ${(e as Error).message}`,
        hint: DATA_HINT
      })
    }
  })

const decodeInstructions = (text: string, file: string): Effect.Effect<InstructionFile, DataFileError> =>
  Effect.suspend(() => {
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch (e) {
      const msg = (e as Error).message
      const pos = /position (\d+)/.exec(msg)
      return Effect.fail(
        new DataFileError({
          path: file,
          line: pos ? lineOfOffset(text, Number(pos[1])) : undefined,
          reason: `invalid JSON: ${msg}`,
          hint: DATA_HINT
        })
      )
    }
    if (typeof json !== "object" || json === null || Array.isArray(json)) {
      return Effect.fail(new DataFileError({ path: file, line: 1, reason: "expected a JSON object keyed by asin", hint: DATA_HINT }))
    }
    const decodeEntry = Schema.decodeUnknownResult(InstructionEntry)
    const out: Record<string, typeof InstructionEntry.Type> = {}
    for (const [asin, value] of Object.entries(json)) {
      const decoded = decodeEntry(value)
      if (Result.isFailure(decoded)) {
        const at = text.indexOf(JSON.stringify(asin))
        return Effect.fail(
          new DataFileError({
            path: file,
            line: at >= 0 ? lineOfOffset(text, at) : undefined,
            reason: `bad entry for ${asin}: ${describeSchemaError(decoded.failure)}`,
            hint: DATA_HINT
          })
        )
      }
      out[asin] = decoded.success
    }
    return Effect.succeed(out)
  })

const PRICE_RANGE: ReadonlyArray<number> = Array.from({ length: 99 }, (_, i) => (i + 1) * 10)

/** Builds products, hidden prices and goals from decoded records (pure; `seed` drives prices and bounds). */
export const buildCatalog = (
  dir: string,
  lines: ReadonlyArray<ProductLine>,
  instructions: InstructionFile,
  seed: number
): Effect.Effect<Catalog, DataFileError> =>
  Effect.suspend(() => {
    const productsFile = path.join(dir, PRODUCTS_FILE)
    const insFile = path.join(dir, INSTRUCTIONS_FILE)
    const rng = new PyRandom(seed)
    const products: Array<Product> = []
    const byAsin = new Map<string, Product>()
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!
      const record = line.product
      if (line.id !== record.asin) {
        return Effect.fail(
          new DataFileError({ path: productsFile, line: i + 1, reason: `id ${line.id} differs from product.asin ${record.asin}`, hint: DATA_HINT })
        )
      }
      if (byAsin.has(record.asin)) {
        return Effect.fail(new DataFileError({ path: productsFile, line: i + 1, reason: `duplicate asin ${record.asin}`, hint: DATA_HINT }))
      }
      const pricing = record.pricing
      const hiddenPrice = pricing.length === 0 ? 100 : pricing.length === 1 ? pricing[0]! : rng.uniform(pricing[0]!, pricing[1]!)
      const product: Product = {
        index: i,
        asin: record.asin,
        contents: line.contents,
        record,
        options: Object.entries(record.options),
        hiddenPrice
      }
      products.push(product)
      byAsin.set(record.asin, product)
    }
    const goals: Array<Omit<Goal, "index">> = []
    for (const product of products) {
      const entry = instructions[product.asin]
      if (entry === undefined) {
        return Effect.fail(
          new DataFileError({ path: insFile, reason: `no entry for product ${product.asin} (line ${product.index + 1} of ${PRODUCTS_FILE})`, hint: DATA_HINT })
        )
      }
      if (entry.instruction === undefined) continue
      const attributes = entry.instruction_attributes ?? []
      const candidates = PRICE_RANGE.filter((p) => p > product.hiddenPrice).slice(0, 4)
      let priceUpper = 1000000
      let priceText = ""
      if (candidates.length >= 2) {
        const [a, b] = rng.sample2(candidates)
        priceUpper = Math.max(a, b)
        priceText = `, and price lower than ${priceUpper.toFixed(2)} dollars`
      }
      const names = product.options.map(([name]) => name).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      const lists = names.map((name) => product.record.options[name]!)
      // Cartesian product, the last name varying fastest.
      let combos: Array<Array<number>> = [[]]
      for (const list of lists) {
        const next: Array<Array<number>> = []
        for (const combo of combos) for (let v = 0; v < list.length; v++) next.push([...combo, v])
        combos = next
      }
      for (const combo of combos) {
        const goalOptions = names.map((name, k) => [name, lists[k]![combo[k]!]!] as const)
        const optionText = goalOptions.length === 0 ? "" : ` with ${goalOptions.map(([n, v]) => `${n}: ${v}`).join(", and ")}`
        goals.push({
          id: `${product.asin}:${combo.join(".")}`,
          asin: product.asin,
          instruction: entry.instruction,
          instructionText: `${entry.instruction}${optionText}${priceText}`,
          attributes,
          goalOptions,
          priceUpper,
          query: product.record.query,
          category: product.record.category,
          productCategory: product.record.product_category,
          name: product.record.Title
        })
      }
    }
    const order = goals.map((_, i) => i)
    new PyRandom(GOAL_SHUFFLE_SEED).shuffle(order)
    const shuffled: Array<Goal> = order.map((k, index) => ({ ...goals[k]!, index }))
    const goalById = new Map<string, Goal>()
    for (const g of shuffled) goalById.set(g.id, g)
    return Effect.succeed({ dir, seed, products, byAsin, goals: shuffled, goalById })
  })

/** Reads and decodes the two data files of `dir` (the `webshop/` folder) and builds the catalogue. */
export const loadCatalog = (dir: string, seed = 0): Effect.Effect<Catalog, DataFileError> =>
  Effect.gen(function*() {
    const productsFile = path.join(dir, PRODUCTS_FILE)
    const insFile = path.join(dir, INSTRUCTIONS_FILE)
    const lines = yield* Effect.flatMap(readFile(productsFile), (text) => Jsonl.decodeJsonl(ProductLine, text, productsFile, DATA_HINT))
    if (lines.length === 0) return yield* new DataFileError({ path: productsFile, reason: "no products", hint: DATA_HINT })
    const instructions = yield* Effect.flatMap(readFile(insFile), (text) => decodeInstructions(text, insFile))
    return yield* buildCatalog(dir, lines, instructions, seed)
  })

const cache = new Map<string, Catalog>()

/** `loadCatalog`, cached per process by directory and seed. */
export const loadCatalogCached = (dir: string, seed = 0): Effect.Effect<Catalog, DataFileError> =>
  Effect.suspend(() => {
    const key = `${path.resolve(dir)}\u0000${seed}`
    const hit = cache.get(key)
    if (hit !== undefined) return Effect.succeed(hit)
    return Effect.tap(loadCatalog(dir, seed), (c) => Effect.sync(() => cache.set(key, c)))
  })
