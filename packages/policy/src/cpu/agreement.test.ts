import { describe, it } from "@effect/vitest"
import type { GPTConfig } from "../Engine"
import { defaultConfig } from "../Init"
import { expectAgreement, seededInputs } from "../testSupport"
import { makeTfjsEngine } from "../tfjs/index"
import { makeCpuEngine } from "./index"

// The cpu engine against the tfjs engine (tfjs ops and autograd), on small
// random models: same logits, log-probs, entropies, values, gradients of
// every parameter, AdamW steps and cached decoding, to 1e-4 relative.

const configs: Array<[string, GPTConfig]> = [
  ["with a value head", defaultConfig({ vocabSize: 53, nPositions: 20, nEmbd: 16, nLayer: 2, nHead: 2, valueHead: true })],
  ["without a value head, odd sizes", defaultConfig({ vocabSize: 41, nPositions: 16, nEmbd: 12, nLayer: 1, nHead: 3 })]
]

const { jitteredParams, randomBatch } = seededInputs({ params: "agreement", batch: "agreement-batch" })

describe("cpu engine agrees with the tfjs engine", () => {
  for (const [label, config] of configs) {
    it(`logits, outputs, gradients, AdamW and decoding (${label})`, async () => {
      const params = jitteredParams(config, 1, 0.2)
      const cpu = await makeCpuEngine(config, params)
      const tf = await makeTfjsEngine(config, params)
      try {
        expectAgreement(cpu, [tf], config, randomBatch(config, 2, 9, 2, 4), 12)
      } finally {
        cpu.dispose()
        tf.dispose()
      }
    })
  }
})
