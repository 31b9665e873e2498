/**
 * The training objectives, each a function of the engine's per-position
 * outputs (log-probs, entropies, values) returning the loss and its gradient
 * with respect to those outputs (`OutputGrads`), ready for
 * `Engine.forwardBackward`. Masks are per position of the batch ([B, T]) and
 * mark the positions whose target is an agent token.
 */
import type { ForwardOutputs, OutputGrads } from "./Engine"

type Mask = ArrayLike<number>

const maskCount = (mask: Mask): number => {
  let n = 0
  for (let i = 0; i < mask.length; i++) n += mask[i]!
  return n
}

/**
 * Action-masked negative log-likelihood (the SFT loss, Eq. 5 of the paper):
 * -sum(mask * log p) / denominator. The denominator defaults to the number of
 * agent tokens in this batch; pass the count over all micro-batches of an
 * accumulated step to get the mean over the whole step.
 */
export const maskedNll = (mask: Mask, denominator?: number) => (o: ForwardOutputs): OutputGrads => {
  const n = denominator ?? maskCount(mask)
  const d = new Float32Array(mask.length)
  if (n <= 0) return { loss: 0, dLogprobs: d }
  let s = 0
  for (let i = 0; i < mask.length; i++) {
    if (mask[i] === 0) continue
    s += mask[i]! * o.logprobs[i]!
    d[i] = -mask[i]! / n
  }
  return { loss: -s / n, dLogprobs: d }
}

/** Per-sequence sums of masked log-probs (rows of a [B, T] batch). */
export const sequenceLogprobs = (logprobs: ArrayLike<number>, mask: Mask, B: number, T: number): Float64Array => {
  const out = new Float64Array(B)
  for (let b = 0; b < B; b++) {
    let s = 0
    for (let t = 0; t < T; t++) s += mask[b * T + t]! * logprobs[b * T + t]!
    out[b] = s
  }
  return out
}

const logSigmoid = (x: number): number => (x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x)))
const sigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)))

export interface DpoInput {
  readonly mask: Mask
  readonly B: number
  readonly T: number
  /** Row of each pair's chosen and rejected sequence in the batch. */
  readonly chosenRows: ReadonlyArray<number>
  readonly rejectedRows: ReadonlyArray<number>
  /** The frozen reference policy's summed action log-probs, per pair. */
  readonly refChosen: ArrayLike<number>
  readonly refRejected: ArrayLike<number>
  readonly beta: number
  /** Divides the summed loss (default: the number of pairs here). */
  readonly denominator?: number
}

export interface DpoStats {
  /** Mean of beta * (pi - ref) for chosen and rejected. */
  readonly chosenReward: number
  readonly rejectedReward: number
  /** Share of pairs whose chosen implicit reward is higher. */
  readonly accuracy: number
}

/**
 * DPO (Eq. 11 of the paper): mean over pairs of
 * -log sigmoid(beta * ((pi_c - ref_c) - (pi_r - ref_r))), where pi / ref are
 * summed action log-probs of the policy and the frozen reference.
 */
export const dpo = (input: DpoInput) => (o: ForwardOutputs): OutputGrads & { stats: DpoStats } => {
  const { B, T, beta, mask } = input
  const P = input.chosenRows.length
  if (input.rejectedRows.length !== P || input.refChosen.length !== P || input.refRejected.length !== P) {
    throw new Error("DPO inputs disagree on the number of pairs")
  }
  const n = input.denominator ?? P
  const seq = sequenceLogprobs(o.logprobs, mask, B, T)
  const dSeq = new Float64Array(B)
  let loss = 0, cr = 0, rr = 0, acc = 0
  for (let i = 0; i < P; i++) {
    const c = input.chosenRows[i]!, r = input.rejectedRows[i]!
    const rc = beta * (seq[c]! - input.refChosen[i]!)
    const rj = beta * (seq[r]! - input.refRejected[i]!)
    const z = rc - rj
    loss += -logSigmoid(z)
    const g = -sigmoid(-z) * beta / n
    dSeq[c] = dSeq[c]! + g
    dSeq[r] = dSeq[r]! - g
    cr += rc
    rr += rj
    if (rc > rj) acc++
  }
  const d = new Float32Array(B * T)
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) d[b * T + t] = dSeq[b]! * mask[b * T + t]!
  return {
    loss: P === 0 ? 0 : loss / n,
    dLogprobs: d,
    stats: { chosenReward: P ? cr / P : 0, rejectedReward: P ? rr / P : 0, accuracy: P ? acc / P : 0 }
  }
}

export interface PpoInput {
  readonly mask: Mask
  /** Log-probs of the sampled tokens under the policy that sampled them. */
  readonly oldLogprobs: ArrayLike<number>
  readonly advantages: ArrayLike<number>
  /** Value targets. */
  readonly returns: ArrayLike<number>
  /** Ratio clipping range epsilon (e.g. 0.2). */
  readonly clip: number
  readonly valueCoef: number
  readonly entropyCoef: number
  /** Divides the summed per-token terms (default: masked tokens here). */
  readonly denominator?: number
}

export interface PpoStats {
  readonly policyLoss: number
  readonly valueLoss: number
  readonly entropy: number
  /** Share of masked tokens whose ratio was clipped. */
  readonly clipFraction: number
}

/**
 * PPO's objective per masked token, averaged:
 *   -min(r A, clip(r, 1-eps, 1+eps) A) + valueCoef * 0.5 (V - R)^2 - entropyCoef * H
 * with r = exp(log p - old log p).
 */
export const ppo = (input: PpoInput) => (o: ForwardOutputs): OutputGrads & { stats: PpoStats } => {
  const { mask, clip } = input
  const L = mask.length
  const n = input.denominator ?? maskCount(mask)
  const dl = new Float32Array(L), dv = new Float32Array(L), de = new Float32Array(L)
  let pl = 0, vl = 0, ent = 0, clipped = 0
  if (n > 0) {
    for (let i = 0; i < L; i++) {
      const w = mask[i]!
      if (w === 0) continue
      const a = input.advantages[i]!
      const ratio = Math.exp(o.logprobs[i]! - input.oldLogprobs[i]!)
      const un = ratio * a
      const cl = Math.min(Math.max(ratio, 1 - clip), 1 + clip) * a
      if (un <= cl) {
        pl -= w * un
        dl[i] = -w * un / n
      } else {
        pl -= w * cl
        clipped += w
      }
      const diff = o.values[i]! - input.returns[i]!
      vl += w * 0.5 * diff * diff
      dv[i] = input.valueCoef * w * diff / n
      ent += w * o.entropies[i]!
      de[i] = -input.entropyCoef * w / n
    }
  }
  const policyLoss = n > 0 ? pl / n : 0
  const valueLoss = n > 0 ? vl / n : 0
  const entropy = n > 0 ? ent / n : 0
  return {
    loss: policyLoss + input.valueCoef * valueLoss - input.entropyCoef * entropy,
    dLogprobs: dl,
    dValues: dv,
    dEntropies: de,
    stats: { policyLoss, valueLoss, entropy, clipFraction: n > 0 ? clipped / n : 0 }
  }
}
