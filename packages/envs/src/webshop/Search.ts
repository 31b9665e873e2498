/**
 * WebShop's search engine: Lucene BM25 (k1 = 0.9, b = 0.4, pyserini's
 * defaults) over each product's indexed `contents`, with Lucene's lossy
 * one-byte document-length encoding, float32 scores, ties broken by asin, at
 * most 50 hits. Built once per catalogue; a query is a few array walks.
 */
import { analyze } from "./Analyzer"

export const K1 = 0.9
export const B = 0.4
export const SEARCH_RETURN_N = 50

/** Lucene's SmallFloat.intToByte4 followed by byte4ToInt: the length a norm stores. */
export const encodedLength = (length: number): number => {
  if (length < 24) return length
  const x = length - 24
  const bits = 32 - Math.clz32(x)
  if (bits <= 4) return length
  const shift = bits - 4
  return 24 + ((x >>> shift) << shift)
}

export interface SearchHit {
  readonly doc: number
  readonly score: number
}

export interface SearchIndex {
  readonly size: number
  readonly avgdl: number
  /** Document frequency of an analyzed term (0 when absent). */
  df(term: string): number
  /** Ranked hits (score > 0), best first, at most `limit`. */
  search(query: string, limit?: number): Array<SearchHit>
}

/**
 * Builds the index. `ids` give the tie order (ascending string order), one per
 * document, aligned with `texts`.
 */
export const buildIndex = (ids: ReadonlyArray<string>, texts: ReadonlyArray<string>): SearchIndex => {
  const n = texts.length
  const postings = new Map<string, { docs: Array<number>; tfs: Array<number> }>()
  const lengths = new Float64Array(n)
  let total = 0
  for (let d = 0; d < n; d++) {
    const terms = analyze(texts[d]!)
    total += terms.length
    lengths[d] = encodedLength(terms.length)
    const counts = new Map<string, number>()
    for (const t of terms) counts.set(t, (counts.get(t) ?? 0) + 1)
    for (const [t, c] of counts) {
      let p = postings.get(t)
      if (p === undefined) {
        p = { docs: [], tfs: [] }
        postings.set(t, p)
      }
      p.docs.push(d)
      p.tfs.push(c)
    }
  }
  const avgdl = Math.fround(total / n)
  // Lucene caches 1 / (k1 * ((1 - b) + b * dl / avgdl)) per encoded length, in float32.
  const normInverse = new Float64Array(n)
  for (let d = 0; d < n; d++) normInverse[d] = Math.fround(1 / Math.fround(K1 * (1 - B + (B * lengths[d]!) / avgdl)))
  const idfs = new Map<string, number>()
  for (const [t, p] of postings) {
    idfs.set(t, Math.fround(Math.log(1 + (n - p.docs.length + 0.5) / (p.docs.length + 0.5))))
  }
  // Rank of each id in ascending string order, for the tie rule.
  const order = ids.map((_, i) => i).sort((a, b) => (ids[a]! < ids[b]! ? -1 : ids[a]! > ids[b]! ? 1 : 0))
  const tieRank = new Int32Array(n)
  order.forEach((doc, rank) => (tieRank[doc] = rank))
  const scores = new Float64Array(n)
  const touched: Array<number> = []

  const search = (query: string, limit = SEARCH_RETURN_N): Array<SearchHit> => {
    const weights = new Map<string, number>()
    for (const t of analyze(query)) weights.set(t, (weights.get(t) ?? 0) + 1)
    touched.length = 0
    for (const [t, m] of weights) {
      const p = postings.get(t)
      if (p === undefined) continue
      const weight = Math.fround(m * idfs.get(t)!)
      const { docs, tfs } = p
      for (let k = 0; k < docs.length; k++) {
        const d = docs[k]!
        if (scores[d] === 0) touched.push(d)
        // Lucene 8+: weight - weight / (1 + tf * normInverse), i.e. weight * tf / (tf + norm).
        scores[d] = Math.fround(scores[d]! + Math.fround(weight - Math.fround(weight / Math.fround(1 + Math.fround(tfs[k]! * normInverse[d]!)))))
      }
    }
    const hits: Array<SearchHit> = []
    for (const d of touched) {
      if (scores[d]! > 0) hits.push({ doc: d, score: scores[d]! })
      scores[d] = 0
    }
    hits.sort((a, b) => b.score - a.score || tieRank[a.doc]! - tieRank[b.doc]!)
    if (hits.length > limit) hits.length = limit
    return hits
  }

  return { size: n, avgdl, df: (t) => postings.get(t)?.docs.length ?? 0, search }
}
