/**
 * Seeded inputs for the native engine's tests: jittered parameters (so
 * LayerNorm gains, biases and the value head are all non-trivial), token
 * batches with some positions lacking a target, and uniform arrays.
 */
import { Random } from "@eto/core"
import type { GPTConfig, Params, TokenBatch } from "../Engine"
import { initParams } from "../Init"

export const jitteredParams = (config: GPTConfig, seed: number, scale: number): Params => {
  const rng = Random.make(`native-params:${seed}`)
  const p = initParams(config, seed)
  for (const [, t] of p) for (let i = 0; i < t.data.length; i++) t.data[i] = t.data[i]! + (rng.next() * 2 - 1) * scale
  return p
}

/** B sequences of T random tokens; every `gap`-th position has no target (-1). */
export const randomBatch = (config: GPTConfig, B: number, T: number, seed: number, gap = 5): TokenBatch => {
  const rng = Random.make(`native-batch:${seed}`)
  const tokens = Int32Array.from({ length: B * T }, () => rng.int(config.vocabSize))
  const targets = Int32Array.from({ length: B * T }, (_, i) => (i % gap === gap - 1 ? -1 : rng.int(config.vocabSize)))
  return { tokens, targets, B, T }
}

/** n values uniform in [-1, 1). */
export const uniform = (n: number, seed: string): Float32Array => {
  const rng = Random.make(seed)
  return Float32Array.from({ length: n }, () => rng.next() * 2 - 1)
}
