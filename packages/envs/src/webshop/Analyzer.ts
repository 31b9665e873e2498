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
// Lucene's tokenizer emits every Han ideograph as a one-character token, and an emoji (a character that is
// Extended_Pictographic or Emoji, with its presentation selector, modifier or ZWJ sequence) as a token of its own.
// Lucene 8 took Extended_Pictographic from the emoji data of its time, which is wider than recent Unicode's
// (it still held most of the Miscellaneous Symbols block, e.g. U+2605 BLACK STAR); these are its ranges.
const PICTOGRAPHIC_RANGES = [
  "\u00a9", "\u00ae", "\u203c", "\u2049", "\u2122", "\u2139", "\u2194-\u2199", "\u21a9-\u21aa", "\u231a-\u231b",
  "\u2328", "\u2388", "\u23cf", "\u23e9-\u23f3", "\u23f8-\u23fa", "\u24c2", "\u25aa-\u25ab", "\u25b6", "\u25c0",
  "\u25fb-\u25fe", "\u2600-\u2605", "\u2607-\u2612", "\u2614-\u2685", "\u2690-\u2705", "\u2708-\u2712", "\u2714",
  "\u2716", "\u271d", "\u2721", "\u2728", "\u2733-\u2734", "\u2744", "\u2747", "\u274c", "\u274e", "\u2753-\u2755",
  "\u2757", "\u2763-\u2767", "\u2795-\u2797", "\u27a1", "\u27b0", "\u27bf", "\u2934-\u2935", "\u2b05-\u2b07",
  "\u2b1b-\u2b1c", "\u2b50", "\u2b55", "\u3030", "\u303d", "\u3297", "\u3299", "\u{1f000}-\u{1f0ff}",
  "\u{1f10d}-\u{1f10f}", "\u{1f12f}", "\u{1f16c}-\u{1f171}", "\u{1f17e}-\u{1f17f}", "\u{1f18e}", "\u{1f191}-\u{1f19a}",
  "\u{1f1ad}-\u{1f1e5}", "\u{1f201}-\u{1f20f}", "\u{1f21a}", "\u{1f22f}", "\u{1f232}-\u{1f23a}", "\u{1f23c}-\u{1f23f}",
  "\u{1f249}-\u{1f3fa}", "\u{1f400}-\u{1f53d}", "\u{1f546}-\u{1f64f}", "\u{1f680}-\u{1f6ff}", "\u{1f774}-\u{1f77f}",
  "\u{1f7d5}-\u{1f7ff}", "\u{1f80c}-\u{1f80f}", "\u{1f848}-\u{1f84f}", "\u{1f85a}-\u{1f85f}", "\u{1f888}-\u{1f88f}",
  "\u{1f8ae}-\u{1f8ff}", "\u{1f90c}-\u{1f93a}", "\u{1f93c}-\u{1f945}", "\u{1f947}-\u{1faff}", "\u{1fc00}-\u{1fffd}"
]
const PICTOGRAPHIC = new RegExp(`[${PICTOGRAPHIC_RANGES.join("")}]`, "u")
/** Emoji characters other than keycap bases, regional indicators and skin-tone modifiers. */
const EMOJI_CHAR = /(?![0-9#*\u{1f1e6}-\u{1f1ff}\u{1f3fb}-\u{1f3ff}])\p{Emoji}/u

/** Whether a non-word segment is an emoji token. */
const isEmoji = (segment: string): boolean => PICTOGRAPHIC.test(segment) || EMOJI_CHAR.test(segment)
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

/**
 * UAX#29 word segmentation restricted to ASCII (letters, digits and `_` join;
 * `:` `.` `'` join letters, `,` `;` `.` `'` join digits): the same words as
 * Intl.Segmenter on ASCII text, many times faster.
 */
const ASCII_WORD = /[A-Za-z0-9_]+(?:(?:(?<=[A-Za-z])[:.'](?=[A-Za-z])|(?<=[0-9])[,;.'](?=[0-9]))[A-Za-z0-9_]+)*/g
const NON_ASCII = /[^\x00-\x7f]/

/** The word-like segments of a text, in order. */
export const words = (text: string): Array<string> => {
  if (!NON_ASCII.test(text)) {
    const out: Array<string> = []
    for (const m of text.matchAll(ASCII_WORD)) if (m[0] !== "_") out.push(m[0])
    return out
  }
  const out: Array<string> = []
  for (const seg of segmenter.segment(text)) if (seg.isWordLike) out.push(seg.segment)
  return out
}

const pushWord = (w: string, out: Array<string>): void => {
  if (w.length > MAX_TOKEN_LENGTH) return
  const word = stripPossessive(w).toLowerCase()
  if (word === "" || STOP_WORDS.has(word)) return
  out.push(stem(word))
}

const analyzeAscii = (text: string, out: Array<string>): void => {
  for (const m of text.matchAll(ASCII_WORD)) if (m[0] !== "_") pushWord(m[0], out)
}

/** Analysis through the Unicode segmenter (any text). */
export const analyzeUnicode = (text: string, out: Array<string> = []): Array<string> => {
  for (const seg of segmenter.segment(text)) {
    const word = seg.segment
    if (!seg.isWordLike) {
      if (isEmoji(word)) out.push(word)
    } else if (HAN.test(word)) pushHan(word, out)
    else pushWord(word, out)
  }
  return out
}

const ASCII_SPACE = /[ \t\n\r]+/

/** The analyzed terms of a text, in order (duplicates kept). */
export const analyze = (text: string): Array<string> => {
  const out: Array<string> = []
  if (!NON_ASCII.test(text)) {
    analyzeAscii(text, out)
    return out
  }
  // No word spans ASCII white space, so the ASCII stretches between spaces can take the fast path.
  for (const chunk of text.split(ASCII_SPACE)) {
    if (NON_ASCII.test(chunk)) analyzeUnicode(chunk, out)
    else analyzeAscii(chunk, out)
  }
  return out
}
