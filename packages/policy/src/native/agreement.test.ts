import { describe, expect, it } from "@effect/vitest"
import { makeCpuEngine } from "../cpu/index"
import type { Engine, GPTConfig, OutputGrads } from "../Engine"
import { defaultConfig } from "../Init"
import { makeTfjsEngine } from "../tfjs/index"
import { loadNative, makeNativeEngine } from "./index"
import { jitteredParams, randomBatch, uniform } from "./testData"

// The native engine, on every instruction set this machine runs (AVX-512,
// AVX2 + FMA, portable), against the tfjs engine (tfjs ops and autograd) and
// the WebAssembly engine: logits, log-probs, entropies, values, the gradient
// of every parameter, an AdamW step with clipping and weight decay, and cached
// decoding, to 1e-4 relative.

const native = loadNative()
if (!native.ok) throw new Error(`the native engine did not build here: ${native.reason}`)
const isas = native.binding.isas()

const configs: Array<[string, GPTConfig, number]> = [
  // head size 8: the products run on ragged (zero-padded) register tiles
  ["a value head, head size 8", defaultConfig({ vocabSize: 53, nPositions: 40, nEmbd: 16, nLayer: 2, nHead: 2, valueHead: true }), 37],
  ["odd sizes, no value head", defaultConfig({ vocabSize: 41, nPositions: 32, nEmbd: 12, nLayer: 1, nHead: 3 }), 29],
  // head size 32: whole AVX-512 register tiles, values read in place
  ["head size 32, vocabulary past one column block", defaultConfig({ vocabSize: 700, nPositions: 40, nEmbd: 64, nLayer: 1, nHead: 2, valueHead: true }), 33]
]

/** max |a - b| relative to max |b|. */
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

describe("native engine agrees with the tfjs and WebAssembly engines", () => {
  it("runs every instruction set this CPU supports, the portable one included", () => {
    expect(isas).toContain("portable")
    expect(isas[isas.length - 1]).toBe("portable")
  })

  for (const isa of isas) {
    for (const [label, config, T] of configs) {
      it(`${isa}: logits, outputs, gradients, AdamW and decoding (${label})`, async () => {
        const params = jitteredParams(config, 1, 0.2)
        const mine = await makeNativeEngine(config, params, { isa, threads: 2 })
        const references: Array<Engine> = [await makeTfjsEngine(config, params), await makeCpuEngine(config, params, { threads: 2 })]
        const all: Array<Engine> = [mine, ...references]
        try {
          expect(mine.isa).toBe(isa)
          const batch = randomBatch(config, 2, T, 2, 4)
          const N = batch.B * batch.T
          const logits = mine.logits(batch)
          for (const ref of references) expect(relErr(logits, ref.logits(batch)), ref.name).toBeLessThan(TOL)

          const grads: OutputGrads = {
            loss: 0,
            dLogprobs: uniform(N, "l"),
            dEntropies: uniform(N, "e"),
            dValues: config.valueHead ? uniform(N, "v") : undefined
          }
          for (const e of all) e.zeroGrad()
          const outs = all.map((e) => e.forwardBackward(batch, () => grads).outputs)
          const gradsOf = all.map((e) => e.getGrads())
          for (let r = 1; r < all.length; r++) {
            const name = all[r]!.name
            expect(relErr(outs[0]!.logprobs, outs[r]!.logprobs), name).toBeLessThan(TOL)
            expect(relErr(outs[0]!.entropies, outs[r]!.entropies), name).toBeLessThan(TOL)
            if (config.valueHead) expect(relErr(outs[0]!.values, outs[r]!.values), name).toBeLessThan(TOL)
            expect([...gradsOf[0]!.keys()].sort()).toEqual([...gradsOf[r]!.keys()].sort())
            for (const [p, g] of gradsOf[r]!) expect(relErr(gradsOf[0]!.get(p)!.data, g.data), `${name} ${p}`).toBeLessThan(TOL)
          }
          if (config.valueHead) expect(Math.max(...gradsOf[0]!.get("v_head.weight")!.data.map(Math.abs))).toBeGreaterThan(0)
          // inference reports what training's forward reported
          const inference = mine.forward(batch)
          expect(relErr(inference.logprobs, outs[0]!.logprobs)).toBeLessThan(1e-6)

          // eps well above float32 noise: the key bias's gradient is zero in exact arithmetic, and
          // Adam would blow its rounding up to +-lr
          const opts = { lr: 1e-2, beta1: 0.9, beta2: 0.99, eps: 1e-4, weightDecay: 0.1, maxGradNorm: 1 }
          const norms = all.map((e) => e.step(opts))
          expect(norms[0]!).toBeGreaterThan(opts.maxGradNorm) // clipping is exercised
          const after = all.map((e) => e.getParams())
          for (let r = 1; r < all.length; r++) {
            expect(Math.abs(norms[0]! - norms[r]!) / norms[r]!).toBeLessThan(TOL)
            for (const [p, t] of after[r]!) expect(relErr(after[0]!.get(p)!.data, t.data), `${all[r]!.name} ${p}`).toBeLessThan(TOL)
          }
          const moments = all.map((e) => e.getOptimizerState())
          expect(moments[0]!.step).toBe(1)
          for (const [p, t] of moments[1]!.m) expect(relErr(moments[0]!.m.get(p)!.data, t.data), p).toBeLessThan(TOL)

          const sessions = all.map((e) => e.decoder(2, 16))
          const prompt = [batch.tokens.slice(0, 5), batch.tokens.slice(T, T + 2)]
          const first = sessions.map((s) => s.feed(prompt))
          const next = [Int32Array.of(1), Int32Array.of(2)]
          const second = sessions.map((s) => s.feed(next))
          for (let r = 1; r < all.length; r++) {
            expect(relErr(first[0]!, first[r]!), all[r]!.name).toBeLessThan(TOL)
            expect(relErr(second[0]!, second[r]!), all[r]!.name).toBeLessThan(TOL)
          }
          for (const s of sessions) s.dispose()
        } finally {
          for (const e of all) e.dispose()
        }
      })
    }
  }
})
