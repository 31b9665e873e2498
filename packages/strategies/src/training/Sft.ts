/**
 * Behavioural cloning (Eq. 5: masked NLL over agent tokens) as a memoised
 * phase: on the trajectories of other phases, seen through the model view,
 * from scratch (a tokenizer trained on the data, GPT-2 initialisation from the
 * seed) or from a checkpoint's weights and tokenizer.
 */
import * as path from "node:path"
import { type EnvironmentShape, InvalidInput } from "@eto/core"
import { Sft } from "@eto/policy"
import { Effect } from "effect"
import type { ResolvedTraining } from "../Config"
import { readTrajectories } from "../Phases"
import { memoPhase, type PhaseOutput, type PhaseSpec } from "../Runner"
import { CheckpointManifest, checkpointDir, optimFor, type PhaseEnv, type TrainError, TRAINING_VERSIONS } from "./Checkpoints"
import { dialogueOf, type ModelSettings, trainingModelKey } from "./View"

interface SftPhaseOptions {
  readonly training: ResolvedTraining
  readonly seed: number
  readonly init?: PhaseOutput<CheckpointManifest> | undefined
}

/** What the SFT phase is keyed by: the data phases in order (`data0`, `data1`, ...), the model view, the settings. */
export const sftSpec = (
  env: EnvironmentShape,
  model: ModelSettings,
  data: ReadonlyArray<PhaseOutput<{ readonly file: string }>>,
  options: SftPhaseOptions
): PhaseSpec<CheckpointManifest, typeof CheckpointManifest.Encoded> => ({
  phase: "train-sft",
  version: TRAINING_VERSIONS.sft,
  config: { env: env.name, model: trainingModelKey(env, model), training: options.training, seed: options.seed },
  upstream: {
    ...Object.fromEntries(data.map((d, i) => [`data${i}`, d])),
    ...(options.init !== undefined ? { init: options.init } : {})
  },
  manifest: CheckpointManifest
})

/** Behavioural cloning on the trajectories of `data`, from scratch or from `init`. */
export const trainSft = (
  env: EnvironmentShape,
  model: ModelSettings,
  data: ReadonlyArray<PhaseOutput<{ readonly file: string }>>,
  options: SftPhaseOptions
): Effect.Effect<PhaseOutput<CheckpointManifest>, TrainError, PhaseEnv> =>
  memoPhase(
    sftSpec(env, model, data, options),
    (ctx) =>
      Effect.gen(function*() {
        const trajectories = (yield* Effect.forEach(data, readTrajectories)).flat()
        if (trajectories.length === 0) return yield* new InvalidInput({ reason: "SFT: the training set is empty" })
        const dialogues = trajectories.map((t) => dialogueOf(env, model, t.initialObservation, t.turns))
        const t = options.training
        const estimated = Math.ceil((t.epochs * dialogues.length) / t.batchSize)
        const t0 = performance.now()
        let lossTokens = 0
        const result = yield* Sft.runSft({
          data: dialogues,
          out: path.join(ctx.dir, "model"),
          init: options.init !== undefined ? checkpointDir(options.init) : undefined,
          options: Sft.defaultSftOptions({
            engine: model.engine,
            epochs: t.epochs,
            batchSize: t.batchSize,
            seed: options.seed,
            vocabSize: model.vocabSize,
            nLayer: model.nLayer,
            nEmbd: model.nEmbd,
            nHead: model.nHead,
            nPositions: model.nPositions,
            optim: optimFor(t, estimated),
            windows: model.windows,
            order: model.windows === "episode" ? "length" : "shuffle"
          }),
          onProgress: (r) => {
            lossTokens += r.lossTokens
            ctx.progress(r.step, r.totalSteps)
          },
          onInfo: ctx.log
        })
        const seconds = (performance.now() - t0) / 1000
        ctx.log(
          `loss ${result.lossBefore.toFixed(3)} -> ${result.lossAfter.toFixed(3)} over ${result.totalSteps} steps; ` +
            `${dialogues.length} conversations in ${result.examples} windows, ${(lossTokens / seconds).toFixed(0)} loss-carrying tokens/s`
        )
        return {
          checkpoint: "model",
          examples: result.examples,
          steps: result.totalSteps,
          metrics: { lossBefore: result.lossBefore, lossAfter: result.lossAfter, lossTokens, seconds }
        }
      })
  )
