import { describe, expect, it } from "@effect/vitest"
import { Random } from "@eto/core"
import type { ForwardOutputs, OutputGrads } from "../src/Engine"
import { dpo, maskedNll, ppo, sequenceLogprobs } from "../src/Losses"

const B = 4, T = 5, N = B * T
const rng = Random.make("losses-test")
const randArr = (lo: number, hi: number) => Float32Array.from({ length: N }, () => lo + (hi - lo) * rng.next())
const outputs = (): ForwardOutputs => ({ logprobs: randArr(-4, -0.1), entropies: randArr(0.2, 3), values: randArr(-1, 1) })
const mask = Float32Array.from({ length: N }, (_, i) => (i % T >= 2 ? 1 : 0))

/** Central finite differences of loss w.r.t. every output entry, against the returned gradients. */
const checkGrads = <G extends OutputGrads>(o: ForwardOutputs, loss: (o: ForwardOutputs) => G): G => {
  const g = loss(o)
  const h = 1e-3
  for (const key of ["logprobs", "entropies", "values"] as const) {
    const grad = key === "logprobs" ? g.dLogprobs : key === "entropies" ? g.dEntropies : g.dValues
    for (let i = 0; i < N; i++) {
      const at = (d: number) => {
        const arr = Float32Array.from(o[key])
        arr[i] = arr[i]! + d
        return loss({ ...o, [key]: arr }).loss
      }
      const fd = (at(h) - at(-h)) / (2 * h)
      expect(grad ? grad[i]! : 0).toBeCloseTo(fd, 3)
    }
  }
  return g
}

describe("losses and their output gradients", () => {
  it("masked NLL is the mean over agent tokens", () => {
    const o = outputs()
    const g = checkGrads(o, maskedNll(mask))
    let s = 0, n = 0
    for (let i = 0; i < N; i++) if (mask[i]) (s -= o.logprobs[i]!, n++)
    expect(g.loss).toBeCloseTo(s / n, 5)
    // An explicit denominator (accumulated steps) divides the sum instead.
    expect(maskedNll(mask, 2 * n)(o).loss).toBeCloseTo(s / (2 * n), 5)
  })

  it("sequence log-prob sums count masked positions only", () => {
    const o = outputs()
    const sums = sequenceLogprobs(o.logprobs, mask, B, T)
    expect(sums[1]).toBeCloseTo(o.logprobs[7]! + o.logprobs[8]! + o.logprobs[9]!, 5)
  })

  it("DPO: -log sigmoid(beta ((pi_c - ref_c) - (pi_r - ref_r)))", () => {
    const o = outputs()
    const input = { mask, B, T, chosenRows: [0, 2], rejectedRows: [1, 3], refChosen: [-7, -5], refRejected: [-6, -8], beta: 0.1 }
    const g = checkGrads(o, dpo(input))
    const seq = sequenceLogprobs(o.logprobs, mask, B, T)
    const term = (c: number, r: number, rc: number, rr: number) => {
      const z = 0.1 * ((seq[c]! - rc) - (seq[r]! - rr))
      return Math.log(1 + Math.exp(-z))
    }
    expect(g.loss).toBeCloseTo((term(0, 1, -7, -6) + term(2, 3, -5, -8)) / 2, 5)
    // Raising the chosen log-probs lowers the loss.
    expect(g.dLogprobs![2]!).toBeLessThan(0)
    expect(g.dLogprobs![7]!).toBeGreaterThan(0)
  })

  it("PPO clipped surrogate, value loss and entropy bonus", () => {
    const o = outputs()
    // Old log-probs around the current ones so that some ratios are clipped and some not.
    const old = Float32Array.from(o.logprobs, (x, i) => x + (i % 3 === 0 ? 0.5 : i % 3 === 1 ? -0.4 : 0.05))
    const adv = Float32Array.from({ length: N }, (_, i) => (i % 2 === 0 ? 1.3 : -0.7))
    const returns = randArr(-1, 1)
    const g = checkGrads(o, ppo({ mask, oldLogprobs: old, advantages: adv, returns, clip: 0.2, valueCoef: 0.5, entropyCoef: 0.01 }))
    expect(g.stats.clipFraction).toBeGreaterThan(0)
    expect(g.stats.clipFraction).toBeLessThan(1)
    expect(g.loss).toBeCloseTo(g.stats.policyLoss + 0.5 * g.stats.valueLoss - 0.01 * g.stats.entropy, 6)
  })
})
