/**
 * Reading a WebShop instruction the way a shopper would: the product
 * description, the requested options and the price limit, and search
 * keywords made from them.
 */

export interface ParsedInstruction {
  /** The product wanted, e.g. `wall mounted decorative mirrors for living room`. */
  readonly product: string
  /** Requested options as written (`name: value`). */
  readonly options: ReadonlyArray<readonly [name: string, value: string]>
  /** The price limit in dollars, when stated. */
  readonly priceLimit: number | undefined
}

const PRICE = /,? and price lower than ([0-9.]+) dollars\s*$/
const OPTION_NAME = /^[a-z0-9][a-z0-9 &'/-]*?: /

/** Where the option clause starts: the first " with " directly followed by an option name and ": ". */
const optionStart = (text: string): number => {
  for (let at = text.indexOf(" with "); at >= 0; at = text.indexOf(" with ", at + 1)) {
    const m = OPTION_NAME.exec(text.slice(at + 6))
    if (m !== null && !m[0].includes(" with ")) return at
  }
  return -1
}

export const parseInstruction = (text: string): ParsedInstruction => {
  let rest = text.trim()
  let priceLimit: number | undefined
  const price = PRICE.exec(rest)
  if (price !== null) {
    priceLimit = Number(price[1])
    rest = rest.slice(0, price.index)
  }
  const options: Array<readonly [string, string]> = []
  const at = optionStart(rest)
  if (at >= 0) {
    const optionText = rest.slice(at + " with ".length)
    rest = rest.slice(0, at)
    // Pairs are joined by ", and "; a value may itself contain commas, so split only before `name: `.
    const parts = optionText.split(/, and (?=[a-z0-9][a-z0-9 &'/-]*: )/)
    for (const part of parts) {
      const colon = part.indexOf(": ")
      if (colon > 0) options.push([part.slice(0, colon), part.slice(colon + 2)])
    }
  }
  const product = rest.replace(/^(find me|i need|i want|i am looking for)\s+/i, "").trim()
  return { product, options, priceLimit }
}

/** Default search keywords for an instruction: the product wanted, lower-cased. */
export const instructionQuery = (text: string): string => parseInstruction(text).product.toLowerCase()
