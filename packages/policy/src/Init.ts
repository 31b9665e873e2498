/**
 * GPT-2's initialisation: weights ~ N(0, 0.02), the residual projections
 * (attn.c_proj, mlp.c_proj) scaled by 1/sqrt(2 * nLayer), biases 0, LayerNorm
 * gains 1. Seeded, so the same seed gives the same model everywhere.
 */
import { Random } from "@eto/core"
import { type GPTConfig, type Params, paramShapes } from "./Engine"

export const defaultConfig = (overrides: Partial<GPTConfig> = {}): GPTConfig => ({
  vocabSize: 4096,
  nPositions: 512,
  nEmbd: 128,
  nLayer: 4,
  nHead: 4,
  layerNormEps: 1e-5,
  valueHead: false,
  ...overrides
})

export const initParams = (config: GPTConfig, seed: number): Params => {
  const rng = Random.make(`gpt2-init:${seed}`)
  const gauss = () => {
    // Box-Muller; 1 - u keeps the log finite.
    const u = 1 - rng.next()
    const v = rng.next()
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
  }
  const params: Params = new Map()
  const residualStd = 0.02 / Math.sqrt(2 * config.nLayer)
  for (const [name, shape] of paramShapes(config)) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1))
    if (/ln_\d\.weight$|ln_f\.weight$/.test(name)) data.fill(1)
    else if (name.endsWith(".bias")) data.fill(0)
    else {
      const std = /c_proj\.weight$/.test(name) ? residualStd : 0.02
      for (let i = 0; i < data.length; i++) data[i] = gauss() * std
    }
    params.set(name, { shape, data })
  }
  return params
}
