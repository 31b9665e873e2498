/**
 * The text analysis of WebShop's search engine (Lucene's English analyzer as
 * configured by pyserini): UAX#29 word segmentation, trailing possessive `'s`
 * removed, lower-casing, the 33 Lucene English stop words dropped, then the
 * classic Porter stemmer.
 */
import { stemmer } from "stemmer"

export const STOP_WORDS: ReadonlySet<string> = new Set([
  "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it", "no", "not",
  "of", "on", "or", "such", "that", "the", "their", "then", "there", "these", "they", "this", "to", "was",
  "will", "with"
])

const segmenter = new Intl.Segmenter("en", { granularity: "word" })
const stemCache = new Map<string, string>()
const MAX_TOKEN_LENGTH = 255
// Lucene's tokenizer emits an emoji character as a token of its own and every Han ideograph as a one-character token.
const EMOJI = /[^\x00-\x7f]/u
const EMOJI_CHAR = /\p{Emoji}/u
const HAN = /\p{Script=Han}/u

const stem = (word: string): string => {
  let s = stemCache.get(word)
  if (s === undefined) {
    // The stemmer only rewrites ASCII letter suffixes; it lower-cases, which is a no-op here.
    s = stemmer(word)
    stemCache.set(word, s)
  }
  return s
}

const stripPossessive = (word: string): string => {
  const n = word.length
  if (n >= 2) {
    const last = word.charCodeAt(n - 1)
    const prev = word.charCodeAt(n - 2)
    if ((last === 115 || last === 83) && (prev === 39 || prev === 0x2019 || prev === 0xff07)) return word.slice(0, n - 2)
  }
  return word
}

const pushHan = (word: string, out: Array<string>): void => {
  let rest = ""
  const flush = () => {
    if (rest !== "") {
      const w = stripPossessive(rest).toLowerCase()
      if (w !== "" && !STOP_WORDS.has(w)) out.push(stem(w))
      rest = ""
    }
  }
  for (const ch of word) {
    if (HAN.test(ch)) {
      flush()
      out.push(ch)
    } else rest += ch
  }
  flush()
}

/** The analyzed terms of a text, in order (duplicates kept). */
export const analyze = (text: string): Array<string> => {
  const out: Array<string> = []
  for (const seg of segmenter.segment(text)) {
    let word = seg.segment
    if (!seg.isWordLike) {
      if (EMOJI.test(word) && EMOJI_CHAR.test(word)) out.push(word)
      continue
    }
    if (HAN.test(word)) {
      pushHan(word, out)
      continue
    }
    if (word.length > MAX_TOKEN_LENGTH) continue
    word = stripPossessive(word).toLowerCase()
    if (word === "" || STOP_WORDS.has(word)) continue
    out.push(stem(word))
  }
  return out
}
