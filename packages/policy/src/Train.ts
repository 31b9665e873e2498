/**
 * The training loop shared by the trainers: learning-rate schedule (linear
 * warmup, then cosine decay or constant), AdamW through the engine, gradient
 * clipping, gradient accumulation and a seeded data order.
 *
 * The data order is a pure function of (seed, micro-batch index), in one of
 * two ways (`BatchOrder`):
 *   - "shuffle": epoch e visits the examples in the permutation drawn from
 *     `sft-order:<seed>:<e>`, and micro-batch k takes positions
 *     [k*B, (k+1)*B) of the concatenated epochs;
 *   - "length": the same permutation is cut into spans of `BUCKET_SPAN`
 *     micro-batches, each span is sorted by length (ties in permutation
 *     order) and cut into micro-batches of B, and the epoch's ceil(n / B)
 *     micro-batches are visited in the order drawn from
 *     `sft-batches:<seed>:<e>`. A micro-batch is padded to its longest
 *     sequence, so like lengths together waste little compute on padding,
 *     while every micro-batch is still a random draw of lengths and examples.
 * So a run resumed at step s (micro-batch s*accum) with the saved
 * parameters and optimizer state continues exactly like an uninterrupted run.
 */
import { Random } from "@eto/core"
import { Schema } from "effect"
import { pack } from "./Batch"
import type { AdamWOptions, Engine } from "./Engine"
import { maskedNll } from "./Losses"

export const Schedule = Schema.Literals(["cosine", "constant"])
export type Schedule = typeof Schedule.Type

export const OptimConfig = Schema.Struct({
  lr: Schema.Number,
  warmupSteps: Schema.Number,
  schedule: Schedule,
  /** Final learning rate of the cosine schedule, as a fraction of `lr`. */
  minLrRatio: Schema.Number,
  beta1: Schema.Number,
  beta2: Schema.Number,
  eps: Schema.Number,
  weightDecay: Schema.Number,
  maxGradNorm: Schema.Number
})
export type OptimConfig = typeof OptimConfig.Type

export const defaultOptim = (overrides: Partial<OptimConfig> = {}): OptimConfig => ({
  lr: 1e-3,
  warmupSteps: 10,
  schedule: "cosine",
  minLrRatio: 0.1,
  beta1: 0.9,
  beta2: 0.95,
  eps: 1e-8,
  weightDecay: 0.01,
  maxGradNorm: 1,
  ...overrides
})

/** Learning rate of step `step` (0-based) out of `totalSteps`. */
export const lrAt = (o: OptimConfig, step: number, totalSteps: number): number => {
  if (step < o.warmupSteps) return (o.lr * (step + 1)) / o.warmupSteps
  if (o.schedule === "constant") return o.lr
  const span = Math.max(1, totalSteps - o.warmupSteps)
  const progress = Math.min(1, (step - o.warmupSteps) / span)
  return o.lr * (o.minLrRatio + (1 - o.minLrRatio) * 0.5 * (1 + Math.cos(Math.PI * progress)))
}

export const adamW = (o: OptimConfig, lr: number): AdamWOptions => ({
  lr,
  beta1: o.beta1,
  beta2: o.beta2,
  eps: o.eps,
  weightDecay: o.weightDecay,
  maxGradNorm: o.maxGradNorm
})

/** Example indices of micro-batch `k` (see the module comment). */
export const microBatch = (n: number, batchSize: number, seed: number, k: number): Array<number> => {
  const out: Array<number> = []
  if (n === 0) return out
  let epoch = -1
  let perm: Array<number> = []
  for (let pos = k * batchSize; pos < (k + 1) * batchSize; pos++) {
    const e = Math.floor(pos / n)
    if (e !== epoch) {
      epoch = e
      perm = Random.make(`sft-order:${seed}:${e}`).shuffle(Array.from({ length: n }, (_, i) => i))
    }
    out.push(perm[pos % n]!)
  }
  return out
}

export const BatchOrder = Schema.Literals(["shuffle", "length"])
export type BatchOrder = typeof BatchOrder.Type

/** Micro-batches per span sorted by length in the "length" order. */
export const BUCKET_SPAN = 32

/** The micro-batches of epoch `epoch` in the "length" order (see the module comment). */
export const lengthBucketedEpoch = (lengths: ReadonlyArray<number>, batchSize: number, seed: number, epoch: number): Array<Array<number>> => {
  const n = lengths.length
  const perm = Random.make(`sft-order:${seed}:${epoch}`).shuffle(Array.from({ length: n }, (_, i) => i))
  const batches: Array<Array<number>> = []
  const span = batchSize * BUCKET_SPAN
  for (let start = 0; start < n; start += span) {
    const part = perm.slice(start, start + span)
    const sorted = part.map((i, at) => ({ i, at })).sort((a, b) => lengths[a.i]! - lengths[b.i]! || a.at - b.at).map((x) => x.i)
    for (let b = 0; b < sorted.length; b += batchSize) batches.push(sorted.slice(b, b + batchSize))
  }
  return Random.make(`sft-batches:${seed}:${epoch}`).shuffle(batches)
}

/** Example indices of micro-batch `k` for examples of these lengths, in the given order. */
export const batchOrder = (lengths: ReadonlyArray<number>, batchSize: number, seed: number, order: BatchOrder): (k: number) => Array<number> => {
  const n = lengths.length
  if (order === "shuffle" || n === 0) return (k) => microBatch(n, batchSize, seed, k)
  const perEpoch = Math.ceil(n / batchSize)
  let cached: { epoch: number; batches: Array<Array<number>> } | undefined
  return (k) => {
    const epoch = Math.floor(k / perEpoch)
    if (cached?.epoch !== epoch) cached = { epoch, batches: lengthBucketedEpoch(lengths, batchSize, seed, epoch) }
    return cached.batches[k % perEpoch]!
  }
}

export interface Example {
  readonly ids: Int32Array
  readonly mask: Uint8Array
}

export interface StepReport {
  /** 1-based number of the step just taken. */
  readonly step: number
  readonly totalSteps: number
  readonly loss: number
  readonly lr: number
  readonly gradNorm: number
  /** Tokens (inputs, padding excluded) processed in this step. */
  readonly tokens: number
  readonly tokensPerSecond: number
  /** Tokens that carry loss (agent targets) in this step. */
  readonly lossTokens: number
  /** Positions computed in this step, padding included (batch rows x padded length). */
  readonly paddedTokens: number
  readonly epoch: number
}

export interface LoopOptions {
  readonly optim: OptimConfig
  readonly batchSize: number
  readonly gradAccum: number
  readonly seed: number
  /** Data order (default "shuffle"). */
  readonly order?: BatchOrder
  readonly totalSteps: number
  /** Steps already taken (resume). */
  readonly startStep: number
  readonly onStep?: (r: StepReport) => void
  /** Stop after this step (for tests of interrupted runs); defaults to totalSteps. */
  readonly stopAfter?: number
}

/** Runs SFT steps (masked NLL over agent tokens) from `startStep`; returns the reports. */
export const sftLoop = (engine: Engine, examples: ReadonlyArray<Example>, o: LoopOptions): Array<StepReport> => {
  const reports: Array<StepReport> = []
  const stop = Math.min(o.totalSteps, o.stopAfter ?? o.totalSteps)
  const indices = batchOrder(examples.map((e) => e.ids.length), o.batchSize, o.seed, o.order ?? "shuffle")
  for (let step = o.startStep; step < stop; step++) {
    const t0 = performance.now()
    const batches = Array.from({ length: o.gradAccum }, (_, j) => pack(indices(step * o.gradAccum + j).map((i) => examples[i]!)))
    const denom = batches.reduce((s, b) => s + b.maskedTokens, 0)
    engine.zeroGrad()
    let loss = 0
    let tokens = 0
    for (const b of batches) {
      const r = engine.forwardBackward(b.batch, maskedNll(b.mask, Math.max(1, denom)))
      loss += r.loss
      for (let i = 0; i < b.batch.targets.length; i++) if (b.batch.targets[i]! >= 0) tokens++
    }
    const lr = lrAt(o.optim, step, o.totalSteps)
    const gradNorm = engine.step(adamW(o.optim, lr))
    const seconds = (performance.now() - t0) / 1000
    const report: StepReport = {
      step: step + 1,
      totalSteps: o.totalSteps,
      loss,
      lr,
      gradNorm,
      tokens,
      tokensPerSecond: tokens / Math.max(seconds, 1e-9),
      lossTokens: denom,
      paddedTokens: batches.reduce((s, b) => s + b.batch.B * b.batch.T, 0),
      epoch: ((step + 1) * o.gradAccum * o.batchSize) / Math.max(1, examples.length)
    }
    reports.push(report)
    o.onStep?.(report)
  }
  return reports
}
