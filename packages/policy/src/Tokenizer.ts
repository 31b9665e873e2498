/**
 * Byte-level BPE, GPT-2 style: text is split by the GPT-2 pre-tokenisation
 * pattern, each piece is taken as UTF-8 bytes shown through the printable
 * byte alphabet, and learned merges join adjacent symbols by rank. Saved and
 * loaded in the Hugging Face `tokenizer.json` layout (BPE model, ByteLevel
 * pre-tokenizer and decoder, added special tokens).
 *
 * Ids: 0..255 are the single bytes, then one id per merge in merge order, then
 * the special tokens.
 */
import { describeSchemaError } from "@eto/core"
import { Result, Schema } from "effect"

/** Special tokens delimiting a rendered conversation. */
export const SPECIAL = {
  /** Start / end of a document (GPT-2's only special token). */
  eot: "<|endoftext|>",
  /** Opens the instruction block (the environment's instruction prompt). */
  instruction: "<|instruction|>",
  /** Opens an agent turn. */
  agent: "<|agent|>",
  /** Opens an environment turn (the first observation or a later one). */
  env: "<|env|>",
  /** Closes any block; the end of an agent turn is where generation stops. */
  end: "<|end|>"
} as const
export const SPECIAL_TOKENS: ReadonlyArray<string> = [SPECIAL.eot, SPECIAL.instruction, SPECIAL.agent, SPECIAL.env, SPECIAL.end]

const PRETOKENIZE = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu

/**
 * The byte alphabet: bytes that are printable Latin-1 characters stand for
 * themselves, the others are moved to code points from 256 upward, in order.
 */
const buildByteAlphabet = (): { byteToChar: Array<string>; charToByte: Map<string, number> } => {
  const keep = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff)
  const byteToChar: Array<string> = new Array(256)
  let extra = 0
  for (let b = 0; b < 256; b++) byteToChar[b] = String.fromCharCode(keep(b) ? b : 256 + extra++)
  const charToByte = new Map<string, number>()
  byteToChar.forEach((c, b) => charToByte.set(c, b))
  return { byteToChar, charToByte }
}
const { byteToChar: BYTE_TO_CHAR, charToByte: CHAR_TO_BYTE } = buildByteAlphabet()

const utf8 = new TextEncoder()
const utf8Decoder = new TextDecoder("utf-8", { fatal: false })

/** The byte-alphabet form of a piece of text. */
const toByteChars = (piece: string): Array<string> => Array.from(utf8.encode(piece), (b) => BYTE_TO_CHAR[b]!)

export class TokenizerError extends Error {
  override readonly name = "TokenizerError"
}

export interface Tokenizer {
  /** Number of ids (bytes + merges + special tokens). */
  readonly size: number
  readonly vocab: ReadonlyArray<string>
  readonly merges: ReadonlyArray<readonly [string, string]>
  readonly specialTokens: ReadonlyArray<string>
  /** Encodes plain text; special-token strings inside it are ordinary text. */
  encode(text: string): Array<number>
  /** Decodes ids; special tokens are written out unless `skipSpecial`. */
  decode(ids: ArrayLike<number>, options?: { skipSpecial?: boolean }): string
  /** The id of a special token (throws when the tokenizer lacks it). */
  special(token: string): number
  hasSpecial(token: string): boolean
  /** `tokenizer.json` in the Hugging Face layout. */
  toJSON(): unknown
}

const pairKey = (a: number, b: number): number => a * 1048576 + b

const makeTokenizer = (
  vocab: ReadonlyArray<string>,
  merges: ReadonlyArray<readonly [string, string]>,
  specialTokens: ReadonlyArray<string>,
  specialIds: ReadonlyMap<string, number>
): Tokenizer => {
  const idOf = new Map<string, number>()
  vocab.forEach((t, i) => {
    if (!idOf.has(t)) idOf.set(t, i)
  })
  // Merge ranks keyed by the symbol ids of the pair; result id of each merge.
  const rank = new Map<number, number>()
  const mergedId = new Map<number, number>()
  merges.forEach(([a, b], r) => {
    const ia = idOf.get(a), ib = idOf.get(b), im = idOf.get(a + b)
    if (ia === undefined || ib === undefined || im === undefined) {
      throw new TokenizerError(`merge '${a} ${b}' refers to a token missing from the vocabulary`)
    }
    const k = pairKey(ia, ib)
    if (!rank.has(k)) {
      rank.set(k, r)
      mergedId.set(k, im)
    }
  })
  const byteIds = BYTE_TO_CHAR.map((c) => {
    const id = idOf.get(c)
    if (id === undefined) throw new TokenizerError(`vocabulary lacks the byte symbol U+${c.charCodeAt(0).toString(16)}`)
    return id
  })
  const isSpecial = new Set(specialIds.values())
  const cache = new Map<string, Array<number>>()

  const encodePiece = (piece: string): Array<number> => {
    const hit = cache.get(piece)
    if (hit) return hit
    const bytes = utf8.encode(piece)
    let syms: Array<number> = Array.from(bytes, (b) => byteIds[b]!)
    while (syms.length > 1) {
      let best = -1, bestRank = Infinity
      for (let i = 0; i < syms.length - 1; i++) {
        const r = rank.get(pairKey(syms[i]!, syms[i + 1]!))
        if (r !== undefined && r < bestRank) {
          bestRank = r
          best = i
        }
      }
      if (best < 0) break
      const a = syms[best]!, b = syms[best + 1]!
      const m = mergedId.get(pairKey(a, b))!
      const next: Array<number> = []
      for (let i = 0; i < syms.length; i++) {
        if (i < syms.length - 1 && syms[i] === a && syms[i + 1] === b) {
          next.push(m)
          i++
        } else next.push(syms[i]!)
      }
      syms = next
    }
    if (cache.size < 200_000) cache.set(piece, syms)
    return syms
  }

  const tok: Tokenizer = {
    size: vocab.length,
    vocab,
    merges,
    specialTokens,
    encode: (text) => {
      const out: Array<number> = []
      for (const m of text.matchAll(PRETOKENIZE)) for (const id of encodePiece(m[0])) out.push(id)
      return out
    },
    decode: (ids, options) => {
      const bytes: Array<number> = []
      let text = ""
      const flush = () => {
        if (bytes.length > 0) text += utf8Decoder.decode(new Uint8Array(bytes))
        bytes.length = 0
      }
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i]!
        const t = vocab[id]
        if (t === undefined) throw new TokenizerError(`token id ${id} outside the vocabulary of ${vocab.length}`)
        if (isSpecial.has(id)) {
          flush()
          if (!options?.skipSpecial) text += t
          continue
        }
        for (const c of t) {
          const b = CHAR_TO_BYTE.get(c)
          if (b !== undefined) bytes.push(b)
        }
      }
      flush()
      return text
    },
    special: (token) => {
      const id = specialIds.get(token)
      if (id === undefined) throw new TokenizerError(`tokenizer has no special token ${token}`)
      return id
    },
    hasSpecial: (token) => specialIds.has(token),
    toJSON: () => ({
      version: "1.0",
      truncation: null,
      padding: null,
      added_tokens: specialTokens.map((content) => ({
        id: specialIds.get(content)!,
        content,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true
      })),
      normalizer: null,
      pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
      post_processor: { type: "ByteLevel", add_prefix_space: true, trim_offsets: false, use_regex: true },
      decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
      model: {
        type: "BPE",
        dropout: null,
        unk_token: null,
        continuing_subword_prefix: "",
        end_of_word_suffix: "",
        fuse_unk: false,
        byte_fallback: false,
        ignore_merges: false,
        vocab: Object.fromEntries(vocab.map((t, i) => [t, i])),
        merges: merges.map(([a, b]) => `${a} ${b}`)
      }
    })
  }
  return tok
}

/** A tokenizer with the bytes, the merges and the given special tokens appended. */
const fromMerges = (merges: ReadonlyArray<readonly [string, string]>, specials: ReadonlyArray<string>): Tokenizer => {
  const vocab: Array<string> = BYTE_TO_CHAR.slice()
  for (const [a, b] of merges) vocab.push(a + b)
  const specialIds = new Map<string, number>()
  for (const s of specials) {
    specialIds.set(s, vocab.length)
    vocab.push(s)
  }
  return makeTokenizer(vocab, merges, specials, specialIds)
}

export interface TrainOptions {
  /** Total number of ids, bytes and special tokens included. */
  readonly vocabSize: number
  /** Pairs seen fewer times than this are never merged (default 2). */
  readonly minFrequency?: number
  readonly specialTokens?: ReadonlyArray<string>
}

/**
 * Learns merges from a corpus. Each round merges the most frequent adjacent
 * pair (ties: the pair of smaller ids, so training is deterministic). Pair
 * counts are kept incrementally: a merge only revisits the words holding the
 * pair, and a lazy max-heap finds the next best pair.
 */
export const train = (texts: Iterable<string>, options: TrainOptions): Tokenizer => {
  const specials = options.specialTokens ?? SPECIAL_TOKENS
  const minFreq = options.minFrequency ?? 2
  const nMerges = options.vocabSize - 256 - specials.length
  if (nMerges < 0) throw new TokenizerError(`vocabulary size ${options.vocabSize} is below the ${256 + specials.length} bytes and special tokens`)
  // Word frequencies.
  const wordFreq = new Map<string, number>()
  for (const text of texts) for (const m of text.matchAll(PRETOKENIZE)) wordFreq.set(m[0], (wordFreq.get(m[0]) ?? 0) + 1)
  // Sort the words so that ties in iteration order cannot depend on input order.
  const entries = [...wordFreq.entries()].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0))
  const words: Array<Array<number>> = entries.map(([w]) => Array.from(utf8.encode(w)))
  const freqs: Array<number> = entries.map(([, f]) => f)

  const counts = new Map<number, number>()
  const where = new Map<number, Set<number>>()
  const add = (k: number, w: number, n: number) => {
    counts.set(k, (counts.get(k) ?? 0) + n)
    let s = where.get(k)
    if (!s) where.set(k, (s = new Set()))
    s.add(w)
  }
  words.forEach((syms, w) => {
    for (let i = 0; i < syms.length - 1; i++) add(pairKey(syms[i]!, syms[i + 1]!), w, freqs[w]!)
  })

  // Max-heap of [count, key]; stale entries are skipped when popped.
  const heap: Array<[number, number]> = []
  const better = (x: [number, number], y: [number, number]) => x[0] > y[0] || (x[0] === y[0] && x[1] < y[1])
  const push = (e: [number, number]) => {
    heap.push(e)
    let i = heap.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!better(heap[i]!, heap[p]!)) break
      ;[heap[i], heap[p]] = [heap[p]!, heap[i]!]
      i = p
    }
  }
  const pop = (): [number, number] | undefined => {
    if (heap.length === 0) return undefined
    const top = heap[0]!
    const last = heap.pop()!
    if (heap.length > 0) {
      heap[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1, r = l + 1
        let m = i
        if (l < heap.length && better(heap[l]!, heap[m]!)) m = l
        if (r < heap.length && better(heap[r]!, heap[m]!)) m = r
        if (m === i) break
        ;[heap[i], heap[m]] = [heap[m]!, heap[i]!]
        i = m
      }
    }
    return top
  }
  for (const [k, c] of counts) push([c, k])

  const symbols: Array<string> = BYTE_TO_CHAR.slice()
  const merges: Array<readonly [string, string]> = []
  const touched = new Set<number>()
  while (merges.length < nMerges) {
    const top = pop()
    if (!top) break
    const [c, k] = top
    if (counts.get(k) !== c) continue
    if (c < minFreq) break
    const a = Math.floor(k / 1048576), b = k % 1048576
    const m = symbols.length
    symbols.push(symbols[a]! + symbols[b]!)
    merges.push([symbols[a]!, symbols[b]!])
    touched.clear()
    for (const w of where.get(k)!) {
      const syms = words[w]!
      const f = freqs[w]!
      for (let i = 0; i < syms.length - 1; i++) {
        if (syms[i] !== a || syms[i + 1] !== b) continue
        if (i > 0) {
          const kl = pairKey(syms[i - 1]!, a)
          counts.set(kl, counts.get(kl)! - f)
          touched.add(kl)
        }
        if (i + 2 < syms.length) {
          const kr = pairKey(b, syms[i + 2]!)
          counts.set(kr, counts.get(kr)! - f)
          touched.add(kr)
        }
        counts.set(k, counts.get(k)! - f)
        syms.splice(i, 2, m)
        if (i > 0) {
          const kl = pairKey(syms[i - 1]!, m)
          add(kl, w, f)
          touched.add(kl)
        }
        if (i + 1 < syms.length) {
          const kr = pairKey(m, syms[i + 1]!)
          add(kr, w, f)
          touched.add(kr)
        }
      }
    }
    counts.delete(k)
    where.delete(k)
    for (const t of touched) {
      const n = counts.get(t)
      if (n !== undefined && n > 0) push([n, t])
      else if (n !== undefined) {
        counts.delete(t)
        where.delete(t)
      }
    }
  }
  return fromMerges(merges, specials)
}

const AddedToken = Schema.Struct({ id: Schema.Number, content: Schema.String, special: Schema.optionalKey(Schema.Boolean) })
export const TokenizerJson = Schema.Struct({
  added_tokens: Schema.optionalKey(Schema.Array(AddedToken)),
  pre_tokenizer: Schema.optionalKey(Schema.NullOr(Schema.Unknown)),
  model: Schema.Struct({
    type: Schema.Literal("BPE"),
    vocab: Schema.Record(Schema.String, Schema.Number),
    merges: Schema.Array(Schema.Union([Schema.String, Schema.Tuple([Schema.String, Schema.String])]))
  })
})

/** Builds a tokenizer from a parsed `tokenizer.json`. */
export const fromJSON = (json: unknown): Tokenizer => {
  const decoded = Schema.decodeUnknownResult(TokenizerJson)(json)
  if (Result.isFailure(decoded)) {
    throw new TokenizerError(`not a byte-level BPE tokenizer.json: ${describeSchemaError(decoded.failure)}`)
  }
  const j = decoded.success
  const entries: Array<readonly [string, number]> = [
    ...Object.entries(j.model.vocab),
    ...(j.added_tokens ?? []).map((t) => [t.content, t.id] as const)
  ]
  for (const [t, id] of entries) {
    if (!Number.isSafeInteger(id) || id < 0) throw new TokenizerError(`token '${t}' has a bad id ${id}`)
  }
  // Ids must run 0..size-1 without a hole; checked before anything of that size is allocated.
  const ids = [...new Set(entries.map(([, id]) => id))].sort((a, b) => a - b)
  const hole = ids.findIndex((id, i) => id !== i)
  if (hole >= 0) throw new TokenizerError(`vocabulary has no token with id ${hole}`)
  const size = ids.length
  const specials = new Map<string, number>()
  const vocab: Array<string> = new Array(size).fill("")
  for (const [t, id] of Object.entries(j.model.vocab)) vocab[id] = t
  for (const t of j.added_tokens ?? []) {
    vocab[t.id] = t.content
    specials.set(t.content, t.id)
  }
  const merges = j.model.merges.map((m): readonly [string, string] => {
    if (typeof m !== "string") return [m[0], m[1]]
    const at = m.indexOf(" ", 1)
    if (at < 0) throw new TokenizerError(`merge '${m}' is not two symbols`)
    return [m.slice(0, at), m.slice(at + 1)]
  })
  return makeTokenizer(vocab, merges, [...specials.keys()], specials)
}
