/**
 * DPO (Eq. 11) on preference pairs, starting from a policy, against a frozen
 * copy of that policy (the reference, whose log-probs are computed once
 * before the first update).
 */
import * as path from "node:path"
import type { EnvironmentShape, PreferencePair } from "@eto/core"
import { Batch, Checkpoint, Losses, Train } from "@eto/policy"
import { Effect } from "effect"
import type { ResolvedTraining } from "../Config"
import type { PairsManifest } from "../Phases"
import { readPairs } from "../Phases"
import { memoPhase, type PhaseOutput } from "../Runner"
import {
  CheckpointManifest,
  checkpointDir,
  copyCheckpoint,
  forwardAll,
  optimFor,
  type PhaseEnv,
  renderTargets,
  startEngine,
  type TrainError,
  TRAINING_VERSIONS
} from "./Checkpoints"
import { actionMask, update } from "./Updates"
import type { ModelSettings } from "./View"

/**
 * DPO (Eq. 11) on the pairs of `pairs`, starting from `policy`, against a
 * frozen copy of `policy` (the reference). Pairs are processed in the order
 * of a seeded shuffle per epoch; `batchSize` pairs per step.
 */
export const trainDpo = (
  env: EnvironmentShape,
  model: ModelSettings,
  policy: PhaseOutput<CheckpointManifest>,
  pairs: PhaseOutput<PairsManifest>,
  options: { readonly training: ResolvedTraining; readonly beta: number; readonly seed: number }
): Effect.Effect<PhaseOutput<CheckpointManifest>, TrainError, PhaseEnv> =>
  memoPhase(
    {
      phase: "train-dpo",
      version: TRAINING_VERSIONS.dpo,
      config: { env: env.name, engine: model.engine, training: options.training, beta: options.beta, seed: options.seed },
      upstream: { policy, pairs },
      manifest: CheckpointManifest
    },
    (ctx) =>
      Effect.gen(function*() {
        const out = path.join(ctx.dir, "model")
        const list: ReadonlyArray<PreferencePair> = yield* readPairs(pairs)
        if (list.length === 0) {
          ctx.log("no pairs: the policy is kept as it is")
          yield* copyCheckpoint(checkpointDir(policy), out)
          return { checkpoint: "model", examples: 0, steps: 0, metrics: {} as Record<string, number> }
        }
        const ckpt = yield* Checkpoint.load(checkpointDir(policy))
        const tok = ckpt.tokenizer, T = ckpt.config.nPositions
        const seqs: Array<Batch.Sequence> = []
        for (const p of list) {
          seqs.push(renderTargets(tok, { env, model }, p.initialObservation, [...p.prefix, ...p.chosen], p.prefix.length, T))
          seqs.push(renderTargets(tok, { env, model }, p.initialObservation, [...p.prefix, ...p.rejected], p.prefix.length, T))
        }
        const engine = yield* startEngine(model.engine, ckpt)
        const t = options.training
        // The reference: the starting policy's summed action log-probs, once.
        const refSeq = forwardAll(engine, seqs, 8).map((o, i) => {
          const mask = actionMask(seqs[i]!)
          let sum = 0
          for (let k = 0; k < mask.length; k++) sum += mask[k]! * o.logprobs[k]!
          return sum
        })
        const P = list.length
        const totalSteps = Math.max(1, Math.ceil((t.epochs * P) / t.batchSize))
        const optim = optimFor(t, totalSteps)
        let first = { loss: NaN, accuracy: NaN }, last = { loss: NaN, accuracy: NaN }
        for (let step = 0; step < totalSteps; step++) {
          const idx = Train.microBatch(P, Math.min(t.batchSize, P), options.seed, step)
          const rows = idx.flatMap((i) => [seqs[2 * i]!, seqs[2 * i + 1]!])
          const packed = Batch.pack(rows)
          const r = update(engine, packed.batch, Losses.dpo({
            mask: packed.mask,
            B: packed.batch.B,
            T: packed.batch.T,
            chosenRows: idx.map((_, k) => 2 * k),
            rejectedRows: idx.map((_, k) => 2 * k + 1),
            refChosen: idx.map((i) => refSeq[2 * i]!),
            refRejected: idx.map((i) => refSeq[2 * i + 1]!),
            beta: options.beta
          }), optim, step, totalSteps)
          if (step === 0) first = { loss: r.loss, accuracy: r.stats.accuracy }
          last = { loss: r.loss, accuracy: r.stats.accuracy }
          ctx.progress(step + 1, totalSteps)
        }
        yield* Checkpoint.save(out, { config: ckpt.config, params: engine.getParams(), tokenizer: tok })
        ctx.log(`${P} pairs, ${totalSteps} steps: loss ${first.loss.toFixed(4)} -> ${last.loss.toFixed(4)}, accuracy ${last.accuracy.toFixed(2)}`)
        return {
          checkpoint: "model",
          examples: P,
          steps: totalSteps,
          metrics: { lossFirst: first.loss, lossLast: last.loss, accuracyLast: last.accuracy } as Record<string, number>
        }
      }).pipe(Effect.scoped)
  )
