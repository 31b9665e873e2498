import { describe, expect, it } from "@effect/vitest"
import { makeCpuEngine } from "../cpu/index"
import type { Engine, GPTConfig } from "../Engine"
import { defaultConfig } from "../Init"
import { expectAgreement } from "../testSupport"
import { makeTfjsEngine } from "../tfjs/index"
import { loadNative, makeNativeEngine } from "./index"
import { jitteredParams, randomBatch } from "./testData"

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
        try {
          expect(mine.isa).toBe(isa)
          expectAgreement(mine, references, config, randomBatch(config, 2, T, 2, 4), 16)
        } finally {
          for (const e of [mine, ...references]) e.dispose()
        }
      })
    }
  }
})
