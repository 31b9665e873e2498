/**
 * The compact view of a WebShop page for a model with a small context. The
 * page text is rebuilt from its " [SEP] " pieces instead of being cut at a
 * character count, so that everything an agent may usefully click survives.
 * The pieces are written one per line (`VIEW_SEP`): a line break is one
 * token where " [SEP] " takes three, and a value on a line of its own is
 * tokenized as it is inside `click[...]`.
 *
 *
 * - every page loses the restated instruction at its start ("Instruction:
 *   [SEP] ... [SEP]"; the first observation carries the task);
 * - a results page keeps its page line, its Prev/Next and Back buttons, and
 *   for every listed product a position label ("item 1" ... "item 10") in
 *   place of its ASIN, the first words of its title and its price;
 * - a product page keeps its Back and Prev buttons, every option name and
 *   value, the first words of the title, the price and Buy Now (the rating
 *   and the sub-page buttons go);
 * - other pages (search, sub-pages, the end page) are kept as they are.
 *
 * When the result is longer than the budget, titles get fewer words (down
 * to none). A results or product page is never cut further: its ASINs and
 * option values are what an agent clicks, so they stay even past the budget
 * (a results page without titles is short; a product page with many option
 * values can be long). Other pages are cut at the budget.
 *
 * Position labels: a small model trained from scratch does not learn to
 * copy a 10-character product code out of its context (it writes code-like
 * strings stitched from training codes instead), so the view names listed
 * products by position, and the agent clicks `click[item 3]`. The view's
 * actions map to the environment's and back through the page the action
 * was taken on (`actionToModel` / `actionFromModel`); the environment, its
 * action language and its reward are unchanged.
 */
import { SEP } from "./Session"

/** What separates the pieces of a page in the view. */
export const VIEW_SEP = "\n"

const ASIN = /^[A-Z0-9]{10}$/
const PAGE_LINE = /^Page \d+ \(Total results: \d+\)$/
const PRICE_LINE = /^Price: /
const RATING_LINE = /^Rating: /
const SUB_PAGE_BUTTONS = new Set(["Description", "Features", "Reviews", "Attributes"])

/** Title words kept on a results page and on a product page before the budget asks for fewer. */
export const RESULT_TITLE_WORDS = 4
export const ITEM_TITLE_WORDS = 6

/** The label of the `index`-th (0-based) product listed on a results page. */
export const itemLabel = (index: number): string => `item ${index + 1}`
const ITEM_CLICK = /^click\[\s*item (\d+)\s*\]$/i
const CLICK = /^click\[\s*(.+?)\s*\]$/i

const firstWords = (text: string, n: number): string => {
  const words = text.split(/\s+/).filter((w) => w !== "")
  return words.length <= n ? text : words.slice(0, n).join(" ")
}

type Layout =
  | { readonly kind: "results"; readonly head: ReadonlyArray<string>; readonly items: ReadonlyArray<{ asin: string; title: string; price: string }> }
  | { readonly kind: "item"; readonly head: ReadonlyArray<string>; readonly options: ReadonlyArray<string>; readonly title: string | undefined; readonly price: string; readonly tail: ReadonlyArray<string> }
  | { readonly kind: "other"; readonly text: string }

/** The pieces of a page, its restated instruction removed. */
const piecesOf = (observation: string): Array<string> => {
  const pieces = observation.split(SEP)
  return pieces[0]?.trim() === "Instruction:" && pieces.length >= 2 ? pieces.slice(2) : pieces
}

const layoutOf = (observation: string, sep: string): Layout => {
  const pieces = piecesOf(observation)
  const pageAt = pieces.findIndex((p) => PAGE_LINE.test(p))
  if (pageAt >= 0) {
    const head: Array<string> = pieces.slice(0, pageAt + 1)
    let i = pageAt + 1
    while (i < pieces.length && !ASIN.test(pieces[i]!)) head.push(pieces[i++]!)
    const items: Array<{ asin: string; title: string; price: string }> = []
    while (i < pieces.length) {
      const asin = pieces[i++]!
      const rest: Array<string> = []
      while (i < pieces.length && !ASIN.test(pieces[i]!)) rest.push(pieces[i++]!)
      // A listing is the ASIN, the title when there is one, and the price.
      const price = rest.length > 0 ? rest[rest.length - 1]! : ""
      items.push({ asin, title: rest.slice(0, -1).join(" "), price })
    }
    return { kind: "results", head, items }
  }
  const priceAt = pieces.findIndex((p) => PRICE_LINE.test(p))
  const buyAt = pieces.lastIndexOf("Buy Now")
  const prevAt = pieces.indexOf("< Prev")
  if (priceAt >= 0 && buyAt > priceAt && prevAt >= 0 && prevAt < priceAt) {
    const head = pieces.slice(0, prevAt + 1)
    const between = pieces.slice(prevAt + 1, priceAt)
    // The title is the last piece before the price; a long one is told from
    // an option value by its length (option values are short labels).
    const last = between[between.length - 1]
    const hasTitle = last !== undefined && last.split(/\s+/).length > ITEM_TITLE_WORDS
    const options = hasTitle ? between.slice(0, -1) : between
    const tail = pieces.slice(priceAt + 1).filter((p) => !RATING_LINE.test(p) && !SUB_PAGE_BUTTONS.has(p))
    return { kind: "item", head, options, title: hasTitle ? last : undefined, price: pieces[priceAt]!, tail }
  }
  return { kind: "other", text: pieces.join(sep) }
}

const render = (layout: Layout, titleWords: number, itemTitleWords: number, sep: string): string => {
  switch (layout.kind) {
    case "results": {
      const out = [...layout.head]
      for (const [k, it] of layout.items.entries()) {
        out.push(itemLabel(k))
        if (titleWords > 0 && it.title !== "") out.push(firstWords(it.title, titleWords))
        if (it.price !== "") out.push(it.price)
      }
      return out.join(sep)
    }
    case "item": {
      const out = [...layout.head, ...layout.options]
      if (itemTitleWords > 0 && layout.title !== undefined) out.push(firstWords(layout.title, itemTitleWords))
      out.push(layout.price, ...layout.tail)
      return out.join(sep)
    }
    case "other":
      return layout.text
  }
}

/**
 * The compact view of `observation` in at most `budgetChars` characters
 * (see the module comment for what each page keeps), its pieces separated by
 * `sep` (the page's own " [SEP] " gives the view as it was first written).
 */
export const compactObservation = (observation: string, budgetChars: number, sep: string = VIEW_SEP): string => {
  const layout = layoutOf(observation, sep)
  for (let words = RESULT_TITLE_WORDS; words >= 0; words--) {
    const itemWords = Math.max(0, ITEM_TITLE_WORDS - (RESULT_TITLE_WORDS - words) * 2)
    const text = render(layout, words, itemWords, sep)
    if (text.length <= budgetChars) return text
  }
  const bare = render(layout, 0, 0, sep)
  return layout.kind === "other" ? bare.slice(0, budgetChars) : bare
}

const listedAsins = (observation: string): ReadonlyArray<string> => {
  const layout = layoutOf(observation, VIEW_SEP)
  return layout.kind === "results" ? layout.items.map((it) => it.asin) : []
}

/**
 * An environment action taken on the page `observation`, as the model view
 * writes it: a click on a listed product becomes a click on its label.
 * Other actions are unchanged.
 */
export const actionToModel = (action: string, observation: string): string => {
  const click = CLICK.exec(action)
  if (click === null) return action
  const at = listedAsins(observation).findIndex((a) => a.toLowerCase() === click[1]!.toLowerCase())
  return at < 0 ? action : `click[${itemLabel(at)}]`
}

/**
 * A model-view action taken on the page `observation`, as the environment
 * reads it: a click on a listed label becomes a click on that product's
 * ASIN. Anything else (a label past the listing included) is unchanged and
 * meets the environment's own checks.
 */
export const actionFromModel = (action: string, observation: string): string => {
  const click = ITEM_CLICK.exec(action.trim())
  if (click === null) return action
  const asin = listedAsins(observation)[Number(click[1]) - 1]
  return asin === undefined ? action : `click[${asin}]`
}
