/**
 * WebShop's purchase reward: a type factor (query, breadcrumb and title-noun
 * overlap) times the share of matched attributes, options and price. Follows
 * the original scorer including its quirks: goal options are compared as
 * stringified (name, value) pairs, colour normalisation is a plain substring
 * search, fuzzy matching is token_set_ratio > 85.
 */
import winkNLP from "wink-nlp"
import model from "wink-eng-lite-web-model"
import type { Goal, Product } from "./Catalog"
import { processText, pyPairString, tokenSetRatioProcessed } from "./Fuzzy"

export const COLOR_SET: ReadonlyArray<string> = [
  "alabaster", "apricot", "aqua", "ash", "asphalt", "azure", "banana", "beige", "black", "blue", "blush", "bordeaux",
  "bronze", "brown", "burgundy", "camel", "camo", "caramel", "champagne", "charcoal", "cheetah", "chestnut",
  "chocolate", "christmas", "coffee", "cognac", "copper", "coral", "cranberry", "cream", "crystal", "dark", "denim",
  "eggplant", "elephant", "espresso", "fuchsia", "gold", "granite", "grape", "graphite", "grass", "gray", "green",
  "grey", "heather", "indigo", "ivory", "ivy", "khaki", "lavender", "lemon", "leopard", "light", "lilac", "lime",
  "magenta", "maroon", "mauve", "merlot", "midnight", "mint", "mocha", "multicolor", "mushroom", "mustard", "natural",
  "navy", "nude", "olive", "orange", "peach", "pewter", "pink", "plum", "purple", "rainbow", "red", "rose", "royal",
  "rust", "sand", "sapphire", "seashell", "silver", "skull", "slate", "steel", "stone", "stonewash", "sunflower",
  "tan", "taupe", "teal", "tiger", "turquoise", "violet", "walnut", "wheat", "white", "wine", "yellow"
]

/** A purchased value: the first colour word contained in it, else the value itself. */
export const normalizeColorValue = (s: string): string => {
  for (const c of COLOR_SET) if (s.includes(c)) return c
  return s
}

/** A goal (name, value) pair: a colour word equal to the name or value, else the pair's Python text. */
export const normalizeColorPair = (name: string, value: string): string => {
  for (const c of COLOR_SET) if (c === name || c === value) return c
  return pyPairString(name, value)
}

export const FUZZY_THRESHOLD = 85

let nlp: ReturnType<typeof winkNLP> | undefined
const nounCache = new Map<string, ReadonlyArray<string>>()

/** Lower-cased NOUN / PROPN tokens of a title (duplicates kept), by the wink-nlp tagger. */
export const titleNouns = (title: string): ReadonlyArray<string> => {
  let nouns = nounCache.get(title)
  if (nouns === undefined) {
    nlp ??= winkNLP(model, ["pos"])
    const doc = nlp.readDoc(title)
    const values = doc.tokens().out(nlp.its.value) as Array<string>
    const tags = doc.tokens().out(nlp.its.pos) as Array<string>
    const out: Array<string> = []
    for (let i = 0; i < values.length; i++) {
      if (tags[i] === "NOUN" || tags[i] === "PROPN") out.push(values[i]!.toLowerCase())
    }
    nouns = out
    nounCache.set(title, nouns)
  }
  return nouns
}

/** Share of the goal title's nouns (with duplicates) whose word also is a noun of the purchased title. */
export const titleScore = (goalTitle: string, productTitle: string): number => {
  const ng = titleNouns(goalTitle)
  if (ng.length === 0) return 0.2
  const np = new Set(titleNouns(productTitle))
  let shared = 0
  for (const w of new Set(ng)) if (np.has(w)) shared++
  return shared / ng.length
}

const categoryLevels = (breadcrumb: string): Set<string> => new Set(breadcrumb.split("›").map((s) => s.trim()))

export const categoryMatch = (a: string, b: string): boolean => {
  const la = categoryLevels(a)
  let shared = 0
  for (const l of categoryLevels(b)) if (la.has(l)) shared++
  return shared >= 2
}

export interface RewardDetails {
  readonly reward: number
  readonly r_type: number
  readonly query_match: boolean
  readonly category_match: boolean
  readonly title_score: number
  readonly r_att: number
  readonly w_att: number
  readonly matched_attributes: ReadonlyArray<string>
  /** Absent when the goal has no options. */
  readonly r_option?: number | undefined
  readonly w_option?: number | undefined
  readonly matched_options: ReadonlyArray<string>
  readonly r_price: boolean
  readonly w_price: number
}

export const typeReward = (goal: Goal, product: Product) => {
  const query_match = product.record.query === goal.query
  const category_match = categoryMatch(goal.productCategory, product.record.product_category)
  const title_score = titleScore(goal.name, product.record.Title)
  let r_type = 1.0
  if (!(query_match || category_match || title_score > 0.2)) r_type = 0.5
  if (title_score < 0.1) r_type = 0.1
  if (title_score === 0.0) r_type = 0.0
  return { r_type, query_match, category_match, title_score }
}

const productTextCache = new WeakMap<Product, { attrs: ReadonlyArray<string>; title: string; bullets: string; description: string }>()

const productText = (product: Product) => {
  let t = productTextCache.get(product)
  if (t === undefined) {
    const r = product.record
    t = {
      attrs: r.Attributes.map(processText),
      title: r.Title.toLowerCase(),
      bullets: r.BulletPoints.join(" ").toLowerCase(),
      description: r.Description.toLowerCase()
    }
    productTextCache.set(product, t)
  }
  return t
}

export const attributeMatches = (goal: Goal, product: Product): Array<string> => {
  const text = productText(product)
  const out: Array<string> = []
  for (const g of goal.attributes) {
    const pg = processText(g)
    let hit = false
    for (const a of text.attrs) {
      if (tokenSetRatioProcessed(a, pg) > FUZZY_THRESHOLD) {
        hit = true
        break
      }
    }
    if (!hit) hit = text.title.includes(g) || text.bullets.includes(g) || text.description.includes(g)
    if (hit) out.push(g)
  }
  return out
}

/** The goal options (as `name: value`) that some chosen value satisfies. */
export const optionMatches = (goal: Goal, chosen: Readonly<Record<string, string>>): Array<string> => {
  const purchased = Object.values(chosen).map((v) => processText(normalizeColorValue(v)))
  const out: Array<string> = []
  for (const [name, value] of goal.goalOptions) {
    const g = processText(normalizeColorPair(name, value))
    if (purchased.some((p) => tokenSetRatioProcessed(p, g) > FUZZY_THRESHOLD)) out.push(`${name}: ${value}`)
  }
  return out
}

/** The reward of buying `product` with `chosen` options (name → value) at hidden price `price`. */
export const computeReward = (
  goal: Goal,
  product: Product,
  chosen: Readonly<Record<string, string>>,
  price: number = product.hiddenPrice
): RewardDetails => {
  const type = typeReward(goal, product)
  const nAtt = goal.attributes.length
  const nOpt = goal.goalOptions.length
  const d = nAtt + nOpt + 1
  const matchedAttributes = attributeMatches(goal, product)
  const matchedOptions = optionMatches(goal, chosen)
  const r_price = price <= goal.priceUpper
  const a = matchedAttributes.length
  const o = matchedOptions.length
  const reward = (type.r_type * (a + o + (r_price ? 1 : 0))) / d
  return {
    reward,
    ...type,
    r_att: nAtt === 0 ? 0 : a / nAtt,
    w_att: nAtt / d,
    matched_attributes: matchedAttributes,
    r_option: nOpt === 0 ? undefined : o / nOpt,
    w_option: nOpt === 0 ? undefined : nOpt / d,
    matched_options: matchedOptions,
    r_price,
    w_price: 1 / d
  }
}

