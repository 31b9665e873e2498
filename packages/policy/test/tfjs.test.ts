import { describe, expect, it } from "@effect/vitest"
import { defaultConfig, initParams } from "../src/Init"
import { maskedNll } from "../src/Losses"
import { pack } from "../src/Batch"
import { makeTfjsEngine } from "../src/tfjs/index"

const config = defaultConfig({ vocabSize: 23, nPositions: 16, nEmbd: 8, nLayer: 2, nHead: 2, valueHead: true })

// Random, non-trivial parameters (LayerNorm gains and biases too).
const randomParams = (seed: number) => {
  const p = initParams(config, seed)
  let s = seed + 1
  for (const [, t] of p) for (let i = 0; i < t.data.length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648
    t.data[i] = t.data[i]! + ((s / 2147483648) - 0.5) * 0.3
  }
  return p
}

describe("tfjs engine", () => {
  it("decoder with KV cache matches full-sequence logits, ragged prefill included", async () => {
    const engine = await makeTfjsEngine(config, randomParams(1))
    const seqs = [[1, 5, 7, 2, 9, 11], [3, 4, 22, 0, 6, 8]]
    const T = 6, V = config.vocabSize
    const full = engine.logits({ tokens: Int32Array.from(seqs.flat()), targets: new Int32Array(12).fill(-1), B: 2, T })
    const dec = engine.decoder(2, 10)
    // Sequence 0 prefills 4 tokens, sequence 1 only 2, then both step one at a time.
    let out = dec.feed([Int32Array.from(seqs[0]!.slice(0, 4)), Int32Array.from(seqs[1]!.slice(0, 2))])
    const row = (b: number, t: number) => full.slice((b * T + t) * V, (b * T + t + 1) * V)
    const close = (a: Float32Array, b: Float32Array) => a.forEach((x, i) => expect(x).toBeCloseTo(b[i]!, 4))
    close(out.slice(0, V), row(0, 3))
    close(out.slice(V), row(1, 1))
    out = dec.feed([Int32Array.from([seqs[0]![4]!]), Int32Array.from(seqs[1]!.slice(2, 5))])
    close(out.slice(0, V), row(0, 4))
    close(out.slice(V), row(1, 4))
    expect(dec.lengths()).toEqual([5, 5])
    dec.dispose()
    engine.dispose()
  })

  it("parameter gradients match finite differences of the masked NLL", async () => {
    const params = randomParams(2)
    const engine = await makeTfjsEngine(config, params)
    const { batch, mask } = pack([{ ids: [1, 2, 3, 4, 5], mask: [0, 0, 1, 1, 1] }, { ids: [6, 7, 8], mask: [0, 1, 1] }])
    engine.forwardBackward(batch, maskedNll(mask))
    const grads = engine.getGrads()
    const lossAt = (p: typeof params) => {
      engine.setParams(p)
      return maskedNll(mask)(engine.forward(batch)).loss
    }
    const names = ["transformer.wte.weight", "transformer.h.0.attn.c_attn.weight", "transformer.h.1.mlp.c_fc.bias", "transformer.ln_f.weight", "transformer.wpe.weight"]
    for (const name of names) {
      for (const i0 of [0, 5, 13]) {
        const i = i0 % params.get(name)!.data.length
        const h = 1e-2
        const plus = new Map(params), minus = new Map(params)
        const t = params.get(name)!
        const a = Float32Array.from(t.data), b = Float32Array.from(t.data)
        a[i] = a[i]! + h
        b[i] = b[i]! - h
        plus.set(name, { shape: t.shape, data: a })
        minus.set(name, { shape: t.shape, data: b })
        const fd = (lossAt(plus) - lossAt(minus)) / (2 * h)
        expect(grads.get(name)!.data[i]!).toBeCloseTo(fd, 2)
      }
    }
    engine.dispose()
  })

  it("gradients through entropies and the value head match finite differences", async () => {
    const params = randomParams(4)
    const engine = await makeTfjsEngine(config, params)
    const { batch, mask } = pack([{ ids: [3, 1, 4, 1, 5], mask: [0, 1, 1, 1, 1] }, { ids: [9, 2, 6], mask: [0, 1, 1] }])
    const n = batch.B * batch.T
    const w = Float32Array.from({ length: n }, (_, i) => mask[i]! * (0.3 + 0.1 * (i % 4)))
    const target = Float32Array.from({ length: n }, (_, i) => 0.5 - 0.2 * (i % 3))
    // A loss of all three outputs: weighted log-probs and entropies, squared value error.
    const loss = (o: { logprobs: Float32Array; entropies: Float32Array; values: Float32Array }) => {
      let l = 0
      const dl = new Float32Array(n), de = new Float32Array(n), dv = new Float32Array(n)
      for (let i = 0; i < n; i++) {
        l += -w[i]! * o.logprobs[i]! - 0.5 * w[i]! * o.entropies[i]! + w[i]! * (o.values[i]! - target[i]!) ** 2
        dl[i] = -w[i]!
        de[i] = -0.5 * w[i]!
        dv[i] = 2 * w[i]! * (o.values[i]! - target[i]!)
      }
      return { loss: l, dLogprobs: dl, dEntropies: de, dValues: dv }
    }
    engine.forwardBackward(batch, loss)
    const grads = engine.getGrads()
    const lossAt = (p: typeof params) => {
      engine.setParams(p)
      return loss(engine.forward(batch)).loss
    }
    for (const name of ["v_head.weight", "v_head.bias", "transformer.h.1.ln_2.weight", "transformer.wte.weight", "transformer.h.0.mlp.c_proj.weight"]) {
      const t = params.get(name)!
      for (const i of [0, Math.min(7, t.data.length - 1)]) {
        const h = 1e-2
        const shifted = (d: number) => {
          const m = new Map(params)
          const data = Float32Array.from(t.data)
          data[i] = data[i]! + d
          m.set(name, { shape: t.shape, data })
          return m
        }
        const fd = (lossAt(shifted(h)) - lossAt(shifted(-h))) / (2 * h)
        expect(grads.get(name)!.data[i]!).toBeCloseTo(fd, 2)
      }
    }
    engine.dispose()
  })
})
