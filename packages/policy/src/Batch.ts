/**
 * Packs rendered sequences into a `TokenBatch`: one row per sequence, padded
 * to the longest; position t predicts token t+1, and the loss mask at t is
 * the action mask of token t+1 (so only agent tokens are targets).
 */
import type { TokenBatch } from "./Engine"

export interface Sequence {
  readonly ids: ArrayLike<number>
  /** Action mask per token (1 = agent token); all ones when omitted. */
  readonly mask?: ArrayLike<number> | undefined
}

export interface PackedBatch {
  readonly batch: TokenBatch
  /** [B, T]: 1 where the target is an agent token. */
  readonly mask: Float32Array
  /** Number of masked targets. */
  readonly maskedTokens: number
}

export const pack = (seqs: ReadonlyArray<Sequence>, padId = 0): PackedBatch => {
  const B = seqs.length
  const T = Math.max(1, ...seqs.map((s) => s.ids.length))
  const tokens = new Int32Array(B * T).fill(padId)
  const targets = new Int32Array(B * T).fill(-1)
  const mask = new Float32Array(B * T)
  let masked = 0
  seqs.forEach((s, b) => {
    const n = s.ids.length
    for (let t = 0; t < n; t++) tokens[b * T + t] = s.ids[t]!
    for (let t = 0; t + 1 < n; t++) {
      targets[b * T + t] = s.ids[t + 1]!
      const m = s.mask ? s.mask[t + 1]! : 1
      mask[b * T + t] = m
      masked += m
    }
  })
  return { batch: { tokens, targets, B, T }, mask, maskedTokens: masked }
}
