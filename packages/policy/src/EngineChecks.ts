/**
 * The input checks the `native` and `cpu` engines share: the model config,
 * AdamW options, token batches, output gradients, decoder sizes and the
 * tokens fed to a decode session. Each throws the engine's own error class
 * with a one-line message naming the bad value.
 */
import type { AdamWOptions, GPTConfig, OutputGrads, TokenBatch } from "./Engine"
import type { EngineErrorClass } from "./ParamBlock"

export const checkConfig = (c: GPTConfig, fail: EngineErrorClass): void => {
  for (const [k, v] of [
    ["vocabSize", c.vocabSize],
    ["nPositions", c.nPositions],
    ["nEmbd", c.nEmbd],
    ["nLayer", c.nLayer],
    ["nHead", c.nHead]
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new fail({ message: `config.${k} must be a positive integer, got ${v}` })
  }
  if (c.nEmbd % c.nHead !== 0) {
    throw new fail({ message: `config.nEmbd (${c.nEmbd}) must be divisible by config.nHead (${c.nHead})` })
  }
  if (!(c.layerNormEps > 0)) throw new fail({ message: `config.layerNormEps must be > 0, got ${c.layerNormEps}` })
}

export const checkAdamW = (o: AdamWOptions, fail: EngineErrorClass): void => {
  for (const [k, v, ok] of [
    ["lr", o.lr, o.lr >= 0],
    ["beta1", o.beta1, o.beta1 >= 0 && o.beta1 < 1],
    ["beta2", o.beta2, o.beta2 >= 0 && o.beta2 < 1],
    ["eps", o.eps, o.eps > 0],
    ["weightDecay", o.weightDecay, o.weightDecay >= 0],
    ["maxGradNorm", o.maxGradNorm, o.maxGradNorm >= 0]
  ] as const) {
    if (!ok) throw new fail({ message: `step: invalid AdamW option ${k} = ${v}` })
  }
}

export const checkOptimizerStep = (step: number, fail: EngineErrorClass): void => {
  if (!Number.isInteger(step) || step < 0) {
    throw new fail({ message: `setOptimizerState: step must be a non-negative integer, got ${step}` })
  }
}

export const checkBatch = (config: GPTConfig, batch: TokenBatch, fail: EngineErrorClass): void => {
  const { B, T, tokens, targets } = batch
  const { vocabSize: V, nPositions } = config
  if (!Number.isInteger(B) || !Number.isInteger(T) || B < 1 || T < 1) {
    throw new fail({ message: `batch: B and T must be positive integers, got B=${B} T=${T}` })
  }
  if (T > nPositions) throw new fail({ message: `batch: T=${T} exceeds the context length ${nPositions}` })
  if (tokens.length !== B * T) throw new fail({ message: `batch: tokens has ${tokens.length} entries, expected B*T=${B * T}` })
  if (targets.length !== B * T) throw new fail({ message: `batch: targets has ${targets.length} entries, expected B*T=${B * T}` })
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!
    if (t < 0 || t >= V) throw new fail({ message: `batch: token ${t} at index ${i} is outside the vocabulary [0, ${V})` })
    const g = targets[i]!
    if (g < -1 || g >= V) throw new fail({ message: `batch: target ${g} at index ${i} is outside [-1, ${V})` })
  }
}

/** The loss's gradients have one entry per position (N = B*T) or are absent. */
export const checkOutputGrads = (grads: OutputGrads, N: number, fail: EngineErrorClass): void => {
  for (const [k, g] of [
    ["dLogprobs", grads.dLogprobs],
    ["dEntropies", grads.dEntropies],
    ["dValues", grads.dValues]
  ] as const) {
    if (g !== undefined && g.length !== N) throw new fail({ message: `forwardBackward: ${k} has ${g.length} entries, expected B*T=${N}` })
  }
}

export const checkDecoder = (config: GPTConfig, B: number, maxLength: number, fail: EngineErrorClass): void => {
  if (!Number.isInteger(B) || B < 1) throw new fail({ message: `decoder: B must be a positive integer, got ${B}` })
  if (!Number.isInteger(maxLength) || maxLength < 1 || maxLength > config.nPositions) {
    throw new fail({ message: `decoder: maxLength must be in [1, ${config.nPositions}], got ${maxLength}` })
  }
}

/**
 * One array of new tokens per sequence of a decode session, each in the
 * vocabulary [0, V), none taking its sequence past `maxLength`; returns how
 * many tokens they hold together.
 */
export const checkFeed = (
  tokens: ReadonlyArray<Int32Array>,
  lengths: Int32Array,
  maxLength: number,
  V: number,
  fail: EngineErrorClass
): number => {
  const B = lengths.length
  if (tokens.length !== B) throw new fail({ message: `feed: got ${tokens.length} token arrays, expected B=${B}` })
  let R = 0
  for (let b = 0; b < B; b++) {
    const t = tokens[b]!
    if (lengths[b]! + t.length > maxLength) {
      throw new fail({ message: `feed: sequence ${b} would reach ${lengths[b]! + t.length} tokens, beyond maxLength ${maxLength}` })
    }
    for (let i = 0; i < t.length; i++) {
      if (t[i]! < 0 || t[i]! >= V) throw new fail({ message: `feed: token ${t[i]} of sequence ${b} is outside [0, ${V})` })
    }
    R += t.length
  }
  return R
}
