/**
 * One WebShop browsing session in text mode: the page state machine, action
 * parsing and the text observation, as the original `web_agent_site` text
 * environment renders them. Purely synchronous.
 */
import type { Catalog, Goal, Product } from "./Catalog"
import { pyFloat } from "./Catalog"
import { computeReward, type RewardDetails } from "./Reward"
import type { SearchHit } from "./Search"

export const SEP = " [SEP] "
export const PRODUCT_WINDOW = 10

export type SubPage = "description" | "features" | "reviews" | "attributes"

export type Page =
  | { readonly kind: "search" }
  | { readonly kind: "results"; readonly page: number }
  | { readonly kind: "item" }
  | { readonly kind: "sub"; readonly sub: SubPage }
  | { readonly kind: "done" }

/** What a session needs from its environment. */
export interface Shop {
  readonly catalog: Catalog
  /** Cached, ranked hits (at most 50) of a query. */
  search(keywords: string): ReadonlyArray<SearchHit>
  readonly showAttributes: boolean
}

export interface ParsedAction {
  readonly name: string
  readonly arg: string
}

const ACTION = /^([^\n]+)\[([^\n]+)\]/

/** The original's `name[argument]` parsing: greedy, single line, argument lower-cased. */
export const parseAction = (action: string): ParsedAction | undefined => {
  const m = ACTION.exec(action)
  if (m === null) return undefined
  return { name: m[1]!, arg: m[2]!.toLowerCase() }
}

type Clickable =
  | { readonly kind: "back" }
  | { readonly kind: "prev" }
  | { readonly kind: "next" }
  | { readonly kind: "sub"; readonly sub: SubPage }
  | { readonly kind: "buy" }
  | { readonly kind: "product"; readonly asin: string }
  | { readonly kind: "option"; readonly group: string; readonly value: string }

const WS_WITH_NEWLINE = /^\s*$/

/** A visible text piece: trimmed; whitespace-only text that holds a line break produces nothing. */
const piece = (out: Array<string>, text: string): void => {
  if (WS_WITH_NEWLINE.test(text) && text.includes("\n")) return
  out.push(text.trim())
}

/** Python's `json.dumps(obj, sort_keys=True)` for a string → string map (ASCII escapes). */
export const pyJsonDumps = (obj: Readonly<Record<string, string>>): string => {
  const str = (s: string) =>
    JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)
  const keys = Object.keys(obj).sort()
  return `{${keys.map((k) => `${str(k)}: ${str(obj[k]!)}`).join(", ")}}`
}

export interface ActResult {
  readonly valid: boolean
  readonly done: boolean
  readonly reward: number
  readonly details?: RewardDetails | undefined
}

export class Session {
  page: Page = { kind: "search" }
  keywords: string | undefined = undefined
  /** The results page an item was opened from. */
  resultsPage = 1
  product: Product | undefined = undefined
  options: Record<string, string> = {}
  purchase: { readonly product: Product; readonly options: Readonly<Record<string, string>>; readonly details: RewardDetails } | undefined =
    undefined
  private clickCache: Map<string, Clickable> | undefined = undefined

  constructor(readonly shop: Shop, readonly goal: Goal) {}

  private hits(): ReadonlyArray<SearchHit> {
    return this.keywords === undefined ? [] : this.shop.search(this.keywords)
  }

  private pageProducts(p: number): Array<Product> {
    const hits = this.hits()
    const out: Array<Product> = []
    for (let i = (p - 1) * PRODUCT_WINDOW; i < Math.min(hits.length, p * PRODUCT_WINDOW); i++) {
      out.push(this.shop.catalog.products[hits[i]!.doc]!)
    }
    return out
  }

  /** The current page's clickable map (key → target), in document order; later keys win. */
  clickables(): ReadonlyMap<string, Clickable> {
    if (this.clickCache !== undefined) return this.clickCache
    const m = new Map<string, Clickable>()
    const page = this.page
    switch (page.kind) {
      case "search":
      case "done":
        break
      case "results": {
        m.set("back to search", { kind: "back" })
        if (page.page > 1) m.set("< prev", { kind: "prev" })
        m.set("next >", { kind: "next" })
        for (const p of this.pageProducts(page.page)) m.set(p.asin.toLowerCase(), { kind: "product", asin: p.asin })
        break
      }
      case "item": {
        m.set("back to search", { kind: "back" })
        m.set("< prev", { kind: "prev" })
        m.set("description", { kind: "sub", sub: "description" })
        m.set("features", { kind: "sub", sub: "features" })
        m.set("reviews", { kind: "sub", sub: "reviews" })
        if (this.shop.showAttributes) m.set("attributes", { kind: "sub", sub: "attributes" })
        m.set("buy now", { kind: "buy" })
        for (const [group, values] of this.product!.options) {
          for (const value of values) m.set(value, { kind: "option", group, value })
        }
        break
      }
      case "sub": {
        m.set("back to search", { kind: "back" })
        m.set("< prev", { kind: "prev" })
        break
      }
    }
    this.clickCache = m
    return m
  }

  private go(page: Page): void {
    this.page = page
    this.clickCache = undefined
  }

  private toResults(p: number): void {
    this.resultsPage = p
    this.product = undefined
    this.options = {}
    this.go({ kind: "results", page: p })
  }

  /** Applies a bare action; invalid actions change nothing. */
  act(action: string): ActResult {
    const invalid: ActResult = { valid: false, done: this.page.kind === "done", reward: 0 }
    if (this.page.kind === "done") return invalid
    const parsed = parseAction(action)
    if (parsed === undefined) return invalid
    if (parsed.name === "search") {
      this.keywords = parsed.arg.split(" ").join(" ")
      this.toResults(1)
      return { valid: true, done: false, reward: 0 }
    }
    if (parsed.name !== "click" || parsed.arg === "search") return invalid
    const target = this.clickables().get(parsed.arg)
    if (target === undefined) return invalid
    const page = this.page
    switch (target.kind) {
      case "back":
        this.keywords = undefined
        this.resultsPage = 1
        this.product = undefined
        this.options = {}
        this.go({ kind: "search" })
        break
      case "next":
        this.toResults((page.kind === "results" ? page.page : this.resultsPage) + 1)
        break
      case "prev":
        if (page.kind === "results") this.toResults(page.page - 1)
        else if (page.kind === "item") this.toResults(this.resultsPage)
        else this.go({ kind: "item" })
        break
      case "product":
        this.product = this.shop.catalog.byAsin.get(target.asin)
        this.options = {}
        this.go({ kind: "item" })
        break
      case "option":
        this.options[target.group] = target.value
        this.clickCache = undefined
        break
      case "sub":
        this.go({ kind: "sub", sub: target.sub })
        break
      case "buy": {
        const product = this.product!
        const options = { ...this.options }
        const details = computeReward(this.goal, product, options)
        this.purchase = { product, options, details }
        this.go({ kind: "done" })
        return { valid: true, done: true, reward: details.reward, details }
      }
    }
    return { valid: true, done: false, reward: 0 }
  }

  /** The text observation of the current page. */
  observation(): string {
    const out: Array<string> = []
    const instruction = this.goal.instructionText
    const page = this.page
    if (page.kind === "search") {
      out.push("WebShop", "Instruction:")
      piece(out, instruction)
      out.push("Search")
      return out.join(SEP)
    }
    if (page.kind === "done") return this.doneText()
    out.push("Instruction:")
    piece(out, instruction)
    out.push("Back to Search")
    switch (page.kind) {
      case "results": {
        out.push(`Page ${page.page} (Total results: ${this.hits().length})`)
        if (page.page > 1) out.push("< Prev")
        out.push("Next >")
        for (const p of this.pageProducts(page.page)) {
          out.push(p.asin)
          if (p.record.Title !== "") piece(out, p.record.Title)
          piece(out, p.record.Price)
        }
        break
      }
      case "item": {
        const p = this.product!
        out.push("< Prev")
        for (const [group, values] of p.options) {
          piece(out, group)
          for (const v of values) piece(out, v)
        }
        if (p.record.Title !== "") piece(out, p.record.Title)
        piece(out, `Price: ${p.record.Price}`)
        piece(out, `Rating: ${p.record.Rating}`)
        out.push("Description", "Features", "Reviews")
        if (this.shop.showAttributes) out.push("Attributes")
        out.push("Buy Now")
        break
      }
      case "sub": {
        const r = this.product!.record
        out.push("< Prev")
        if (page.sub === "description") {
          if (r.Description !== "") piece(out, r.Description)
        } else if (page.sub === "features") {
          for (const b of r.BulletPoints) piece(out, b)
        } else if (page.sub === "reviews") {
          for (const review of r.Reviews) {
            const rv = review as { title?: unknown; score?: unknown; body?: unknown }
            piece(out, `"${String(rv.title ?? "")}"`)
            piece(out, String(rv.score ?? ""))
            piece(out, String(rv.body ?? ""))
          }
        } else {
          for (const a of r.Attributes) piece(out, a)
          piece(out, r.category)
          piece(out, r.query)
          piece(out, r.product_category)
        }
        break
      }
    }
    return out.join(SEP)
  }

  private doneText(): string {
    const p = this.purchase!
    return [
      "Thank you for shopping with us!", "Your code:", "None", "(Paste it in your MTurk interface.)", "Purchased",
      "asin", p.product.asin, "options", pyJsonDumps(p.options), "attrs", "None", "category", "None", "query", "None",
      "product category", "None", "Target", "asin", "options", "attrs", "price upper", "instuction text", "category",
      "product category", "query", "Goal", "None", "Reward", "Your score (min 0.0, max 1.0)", pyFloat(p.details.reward),
      "Reward Details", "None"
    ].join(SEP)
  }
}
