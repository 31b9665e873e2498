import { describe, expect, it } from "@effect/vitest"
import { Random } from "@eto/core"
import type { Engine, GPTConfig, OutputGrads, Params, TokenBatch } from "../Engine"
import { defaultConfig, initParams } from "../Init"
import { makeTfjsEngine } from "../tfjs/index"
import { makeCpuEngine } from "./index"

// The cpu engine against the tfjs engine (tfjs ops and autograd), on small
// random models: same logits, log-probs, entropies, values, gradients of
// every parameter, AdamW steps and cached decoding, to 1e-4 relative.

const configs: Array<[string, GPTConfig]> = [
  ["with a value head", defaultConfig({ vocabSize: 53, nPositions: 20, nEmbd: 16, nLayer: 2, nHead: 2, valueHead: true })],
  ["without a value head, odd sizes", defaultConfig({ vocabSize: 41, nPositions: 16, nEmbd: 12, nLayer: 1, nHead: 3 })]
]

const jitter = (config: GPTConfig, seed: number): Params => {
  const rng = Random.make(`agreement:${seed}`)
  const p = initParams(config, seed)
  for (const [, t] of p) for (let i = 0; i < t.data.length; i++) t.data[i] = t.data[i]! + (rng.next() * 2 - 1) * 0.2
  return p
}

const batchFor = (config: GPTConfig, B: number, T: number, seed: number): TokenBatch => {
  const rng = Random.make(`agreement-batch:${seed}`)
  const tokens = Int32Array.from({ length: B * T }, () => rng.int(config.vocabSize))
  const targets = Int32Array.from({ length: B * T }, (_, i) => (i % 4 === 3 ? -1 : rng.int(config.vocabSize)))
  return { tokens, targets, B, T }
}

const uniform = (n: number, seed: string): Float32Array => {
  const rng = Random.make(seed)
  return Float32Array.from({ length: n }, () => rng.next() * 2 - 1)
}

/** max |a - b| relative to max |b| (1 when b is all zeros). */
const relErr = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  expect(a.length).toBe(b.length)
  let d = 0
  let m = 0
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!))
    m = Math.max(m, Math.abs(b[i]!))
  }
  return d / Math.max(m, 1e-12)
}

const TOL = 1e-4

describe("cpu engine agrees with the tfjs engine", () => {
  for (const [label, config] of configs) {
    it(`logits, outputs, gradients, AdamW and decoding (${label})`, async () => {
      const params = jitter(config, 1)
      const engines: Array<Engine> = [await makeCpuEngine(config, params), await makeTfjsEngine(config, params)]
      try {
        const [cpu, tf] = engines as [Engine, Engine]
        const batch = batchFor(config, 2, 9, 2)
        const N = batch.B * batch.T
        expect(relErr(cpu.logits(batch), tf.logits(batch))).toBeLessThan(TOL)

        const grads: OutputGrads = {
          loss: 0,
          dLogprobs: uniform(N, "l"),
          dEntropies: uniform(N, "e"),
          dValues: config.valueHead ? uniform(N, "v") : undefined
        }
        for (const e of engines) e.zeroGrad()
        const a = cpu.forwardBackward(batch, () => grads).outputs
        const b = tf.forwardBackward(batch, () => grads).outputs
        expect(relErr(a.logprobs, b.logprobs)).toBeLessThan(TOL)
        expect(relErr(a.entropies, b.entropies)).toBeLessThan(TOL)
        if (config.valueHead) expect(relErr(a.values, b.values)).toBeLessThan(TOL)
        const ga = cpu.getGrads()
        const gb = tf.getGrads()
        expect([...ga.keys()].sort()).toEqual([...gb.keys()].sort())
        for (const [name, g] of gb) {
          if (name === "v_head.weight" || name === "v_head.bias") expect(Math.max(...g.data.map(Math.abs))).toBeGreaterThan(0)
          expect(relErr(ga.get(name)!.data, g.data), name).toBeLessThan(TOL)
        }

        // eps well above float32 noise: the key bias's gradient is zero in exact arithmetic (softmax
        // ignores a shift shared by a query's scores), and Adam would blow its ~1e-9 rounding up to +-lr.
        const opts = { lr: 1e-2, beta1: 0.9, beta2: 0.99, eps: 1e-4, weightDecay: 0.1, maxGradNorm: 1 }
        const na = cpu.step(opts)
        const nb = tf.step(opts)
        expect(Math.abs(na - nb) / nb).toBeLessThan(TOL)
        const pa = cpu.getParams()
        for (const [name, t] of tf.getParams()) expect(relErr(pa.get(name)!.data, t.data), name).toBeLessThan(TOL)

        const sa = cpu.decoder(2, 12)
        const sb = tf.decoder(2, 12)
        const prompt = [batch.tokens.slice(0, 5), batch.tokens.slice(9, 11)]
        expect(relErr(sa.feed(prompt), sb.feed(prompt))).toBeLessThan(TOL)
        const next = [Int32Array.of(1), Int32Array.of(2)]
        expect(relErr(sa.feed(next), sb.feed(next))).toBeLessThan(TOL)
        sa.dispose()
        sb.dispose()
      } finally {
        for (const e of engines) e.dispose()
      }
    })
  }
})
