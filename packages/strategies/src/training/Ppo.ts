/**
 * PPO with a value head, a per-token KL penalty to the starting policy, the
 * clipped objective and GAE, on the final reward.
 */
import * as path from "node:path"
import { type EnvironmentShape, Random, rollout } from "@eto/core"
import { Batch, Checkpoint, Generate, Losses, type Params, Train } from "@eto/policy"
import { Effect } from "effect"
import type { ResolvedTraining } from "../Config"
import { selectTasks } from "../Phases"
import { memoPhase, type PhaseOutput } from "../Runner"
import {
  CheckpointManifest,
  checkpointDir,
  enginePolicy,
  forwardAll,
  optimFor,
  type PhaseEnv,
  renderTargets,
  startEngine,
  type TrainError,
  TRAINING_VERSIONS
} from "./Checkpoints"
import { actionMask, update } from "./Updates"
import { actingOf, decodingOf, instructionOf, type ModelSettings, replyFormOf, trainingModelKey, viewPolicy } from "./View"

export interface PpoOptions {
  readonly training: ResolvedTraining
  readonly iterations: number
  readonly clip: number
  readonly klCoef: number
  readonly temperature: number
  readonly seed: number
  /** Training tasks explored per iteration (the scale's limit). */
  readonly trainTasks: number | undefined
  /** A spread subset of those explored (all when undefined). */
  readonly exploreTasks?: number | undefined
  /** GAE's lambda; the discount is 1 (episodic, final reward). */
  readonly lambda?: number
  readonly valueCoef?: number
}

/**
 * Per-position rewards, advantages (GAE) and returns of one sampled
 * trajectory. Positions are those of a packed row (position t predicts token
 * t+1); only masked positions are actions. Each action token gets
 * -klCoef * (log pi - log ref); the last one also gets the final reward.
 */
export const gae = (
  mask: ArrayLike<number>,
  logprobs: ArrayLike<number>,
  refLogprobs: ArrayLike<number>,
  values: ArrayLike<number>,
  reward: number,
  klCoef: number,
  lambda: number
): { advantages: Float32Array; returns: Float32Array; kl: number } => {
  const n = mask.length
  const adv = new Float32Array(n), ret = new Float32Array(n)
  const actions: Array<number> = []
  for (let t = 0; t < n; t++) if (mask[t]! > 0) actions.push(t)
  let next = 0, nextValue = 0, kl = 0
  for (let k = actions.length - 1; k >= 0; k--) {
    const t = actions[k]!
    const d = logprobs[t]! - refLogprobs[t]!
    kl += d
    const r = -klCoef * d + (k === actions.length - 1 ? reward : 0)
    const delta = r + nextValue - values[t]!
    next = delta + lambda * next
    adv[t] = next
    ret[t] = next + values[t]!
    nextValue = values[t]!
  }
  return { advantages: adv, returns: ret, kl }
}

const withValueHead = (ckpt: Checkpoint.Checkpoint): { config: Checkpoint.Checkpoint["config"]; params: Params } => {
  if (ckpt.config.valueHead) return ckpt
  const params: Params = new Map(ckpt.params)
  params.set("v_head.weight", { shape: [ckpt.config.nEmbd], data: new Float32Array(ckpt.config.nEmbd) })
  params.set("v_head.bias", { shape: [1], data: new Float32Array(1) })
  return { config: { ...ckpt.config, valueHead: true }, params }
}

/** Places per-sequence arrays into a [B, T] batch layout. */
const layout = (arrays: ReadonlyArray<ArrayLike<number>>, T: number): Float32Array => {
  const out = new Float32Array(arrays.length * T)
  arrays.forEach((a, b) => {
    for (let t = 0; t < a.length && t < T; t++) out[b * T + t] = a[t]!
  })
  return out
}

/**
 * PPO from `policy` on the training tasks' final reward: each iteration
 * samples one episode per task at `temperature`, scores it with the current
 * policy (log-probs, values) and the frozen starting policy (KL penalty),
 * computes GAE advantages (normalised over the iteration) and takes
 * `epochs` passes of clipped-objective updates in batches of `batchSize`
 * episodes.
 */
export const trainPpo = (
  env: EnvironmentShape,
  model: ModelSettings,
  policy: PhaseOutput<CheckpointManifest>,
  options: PpoOptions
): Effect.Effect<PhaseOutput<CheckpointManifest>, TrainError, PhaseEnv> => {
  const lambda = options.lambda ?? 0.95, valueCoef = options.valueCoef ?? 0.5
  return memoPhase(
    {
      phase: "train-ppo",
      version: TRAINING_VERSIONS.ppo,
      config: {
        env: env.name,
        model: trainingModelKey(env, model),
        maxReplyTokens: model.maxReplyTokens,
        ...decodingOf(model),
        ...actingOf(model),
        ...options,
        trainTasks: options.trainTasks ?? null,
        exploreTasks: options.exploreTasks ?? null,
        lambda,
        valueCoef
      },
      upstream: { policy },
      manifest: CheckpointManifest
    },
    (ctx) =>
      Effect.gen(function*() {
        const ckpt = yield* Checkpoint.load(checkpointDir(policy))
        const tok = ckpt.tokenizer, T = ckpt.config.nPositions
        const engine = yield* startEngine(model.engine, withValueHead(ckpt))
        const reference = yield* startEngine(model.engine, ckpt)
        const tasks = selectTasks(selectTasks(yield* env.tasks("train"), options.trainTasks), options.exploreTasks)
        const t = options.training
        const stepsPerIteration = Math.max(1, Math.ceil((t.epochs * tasks.length) / t.batchSize))
        const totalSteps = options.iterations * stepsPerIteration
        const optim = optimFor(t, totalSteps)
        const metrics: Record<string, number> = {}
        let step = 0
        for (let it = 0; it < options.iterations; it++) {
          const sampler = enginePolicy(engine, tok, instructionOf(env, model), "ppo", Generate.defaultSampling({
            temperature: options.temperature,
            maxTokens: model.maxReplyTokens,
            ...decodingOf(model),
            seed: Random.hashString(`ppo:${options.seed}:${it}`)
          }), replyFormOf(model))
          const episodes = yield* rollout(env, viewPolicy(env, sampler, model), tasks, { source: { kind: "policy", name: "ppo" } })
          const seqs = episodes.map((e) => renderTargets(tok, { env, model }, e.initialObservation, e.turns, 0, T))
          const current = forwardAll(engine, seqs, 8)
          const ref = forwardAll(reference, seqs, 8)
          let klSum = 0
          const scored = seqs.map((s, i) => {
            const mask = actionMask(s)
            const g = gae(mask, current[i]!.logprobs, ref[i]!.logprobs, current[i]!.values, episodes[i]!.reward, options.klCoef, lambda)
            klSum += g.kl
            return { seq: s, mask, old: current[i]!.logprobs, ...g }
          })
          // Normalise advantages over every action token of the iteration.
          let sum = 0, sq = 0, count = 0
          for (const s of scored) {
            for (let k = 0; k < s.mask.length; k++) {
              if (s.mask[k]! > 0) {
                sum += s.advantages[k]!
                sq += s.advantages[k]! ** 2
                count++
              }
            }
          }
          const mean = count > 0 ? sum / count : 0
          const sd = count > 1 ? Math.sqrt(Math.max(1e-12, sq / count - mean * mean)) : 1
          for (const s of scored) for (let k = 0; k < s.mask.length; k++) s.advantages[k] = (s.advantages[k]! - mean) / sd
          let lastStats = { policyLoss: NaN, valueLoss: NaN, entropy: NaN, clipFraction: NaN }
          for (let k = 0; k < stepsPerIteration; k++) {
            const idx = Train.microBatch(scored.length, Math.min(t.batchSize, scored.length), Random.hashString(`ppo-order:${options.seed}:${it}`), k)
            const rows = idx.map((i) => scored[i]!)
            const packed = Batch.pack(rows.map((r) => r.seq))
            const TT = packed.batch.T
            lastStats = update(engine, packed.batch, Losses.ppo({
              mask: packed.mask,
              oldLogprobs: layout(rows.map((r) => r.old), TT),
              advantages: layout(rows.map((r) => r.advantages), TT),
              returns: layout(rows.map((r) => r.returns), TT),
              clip: options.clip,
              valueCoef,
              entropyCoef: 0
            }), optim, step, totalSteps).stats
            step++
            ctx.progress(step, totalSteps)
          }
          const avg = episodes.reduce((s, e) => s + e.reward, 0) / Math.max(1, episodes.length)
          ctx.log(
            `iteration ${it + 1}: sampled reward ${(100 * avg).toFixed(1)}, KL ${(klSum / Math.max(1, episodes.length)).toFixed(3)}, ` +
              `policy loss ${lastStats.policyLoss.toFixed(4)}, value loss ${lastStats.valueLoss.toFixed(4)}, clipped ${lastStats.clipFraction.toFixed(2)}`
          )
          metrics[`sampledReward${it + 1}`] = avg
          metrics[`kl${it + 1}`] = klSum / Math.max(1, episodes.length)
        }
        yield* Checkpoint.save(path.join(ctx.dir, "model"), {
          config: engine.config,
          params: engine.getParams(),
          tokenizer: tok
        })
        return { checkpoint: "model", examples: tasks.length, steps: totalSteps, metrics }
      }).pipe(Effect.scoped)
  )
}
