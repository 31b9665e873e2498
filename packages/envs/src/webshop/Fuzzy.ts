/**
 * thefuzz's `token_set_ratio` as WebShop's reward uses it: inputs are
 * processed the Python way (characters U+0080-U+00FF deleted, anything that is
 * not a letter or digit turned into a space, lower-cased, trimmed), then the
 * token-set comparison with the LCS-based ratio is delegated to fuzzball.
 */
import * as fuzz from "fuzzball"

const LATIN1 = /[\u0080-\u00ff]/g
const NOT_ALNUM = /[^\p{L}\p{N}]/gu

/** thefuzz's default processor (full_process with force_ascii off, as in the reward). */
export const processText = (s: string): string => s.replace(LATIN1, "").replace(NOT_ALNUM, " ").toLowerCase().trim()

const NON_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u

/** Python's `repr` of a str. */
export const pyReprString = (s: string): string => {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'"
  let out = quote
  for (const ch of s) {
    const cp = ch.codePointAt(0)!
    if (ch === "\\") out += "\\\\"
    else if (ch === quote) out += `\\${quote}`
    else if (ch === "\t") out += "\\t"
    else if (ch === "\n") out += "\\n"
    else if (ch === "\r") out += "\\r"
    else if (ch !== " " && NON_PRINTABLE.test(ch)) {
      out += cp < 0x100
        ? `\\x${cp.toString(16).padStart(2, "0")}`
        : cp < 0x10000
        ? `\\u${cp.toString(16).padStart(4, "0")}`
        : `\\U${cp.toString(16).padStart(8, "0")}`
    } else out += ch
  }
  return out + quote
}

/** Python's `str` of a 2-tuple of strings. */
export const pyPairString = (a: string, b: string): string => `(${pyReprString(a)}, ${pyReprString(b)})`

const OPTIONS = { full_process: false } as const

/** token_set_ratio on already processed strings. */
export const tokenSetRatioProcessed = (a: string, b: string): number =>
  a === "" || b === "" ? 0 : fuzz.token_set_ratio(a, b, OPTIONS)

/** token_set_ratio(s1, s2) with thefuzz's default processing. */
export const tokenSetRatio = (a: string, b: string): number => tokenSetRatioProcessed(processText(a), processText(b))
