/**
 * What the training phases share: the checkpoint a training phase writes and
 * its manifest, optimiser settings from a strategy's hyper-parameters,
 * engines started from checkpoints, a trajectory as a sequence with its loss
 * mask (DPO and PPO), batched forward outputs, and checkpoints as policies.
 */
import * as path from "node:path"
import { type DataFileError, type EnvironmentShape, InvalidInput, PolicyError, type PolicyShape, type Turn, type UnknownSplit, type UnknownTask } from "@eto/core"
import { Batch, Checkpoint, type Engine, type EngineKind, Generate, makeEngine, type Params, Render, Tokenizer, Train } from "@eto/policy"
import { Effect, Schema } from "effect"
import type { ResolvedTraining } from "../Config"
import type { PolicyRef } from "../Phases"
import type { PhaseOutput, RunReporter, RunStore } from "../Runner"
import { actingOf, decodingOf, dialogueOf, instructionOf, type ModelSettings, replyFormOf, trainingModelKey, viewPolicy } from "./View"

export const TRAINING_VERSIONS = { sft: "1", dpo: "1", ppo: "1", dataset: "1" } as const

export type TrainError = DataFileError | InvalidInput | PolicyError | UnknownSplit | UnknownTask
export type PhaseEnv = RunStore | RunReporter

export const CheckpointManifest = Schema.Struct({
  /** Checkpoint directory, relative to the phase directory. */
  checkpoint: Schema.String,
  /** Training examples (sequences or pairs) seen per epoch. */
  examples: Schema.Int,
  steps: Schema.Int,
  /** Loss (or objective) before and after, and other end-of-run figures. */
  metrics: Schema.Record(Schema.String, Schema.Number)
})
export type CheckpointManifest = typeof CheckpointManifest.Type

export const checkpointDir = (out: PhaseOutput<CheckpointManifest>): string => path.join(out.dir, out.manifest.checkpoint)

export const optimFor = (t: ResolvedTraining, estimatedSteps: number): Train.OptimConfig =>
  Train.defaultOptim({ lr: t.lr, warmupSteps: Math.round(t.warmup * estimatedSteps) })

export const startEngine = (kind: EngineKind, ckpt: { config: Checkpoint.Checkpoint["config"]; params: Params }) =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: () => makeEngine(kind, ckpt.config, ckpt.params),
      catch: (e) => new InvalidInput({ reason: `cannot start the ${kind} engine: ${(e as Error).message}` })
    }),
    (e) => Effect.sync(() => e.dispose())
  )

export const copyCheckpoint = (from: string, to: string) =>
  Effect.flatMap(Checkpoint.load(from), (c) => Checkpoint.save(to, { config: c.config, params: c.params, tokenizer: c.tokenizer }))

/**
 * A trajectory's tokens with the loss mask on the agent turns from
 * `firstTarget` on (earlier turns are context only). Old turns are dropped to
 * fit the context (Render's rule), so a long trajectory is trained on its
 * last turns.
 */
export const renderTargets = (
  tok: Tokenizer.Tokenizer,
  view: { readonly env: EnvironmentShape; readonly model: ModelSettings },
  initialObservation: string,
  turns: ReadonlyArray<Turn>,
  firstTarget: number,
  maxTokens: number
): Batch.Sequence & { readonly ids: Int32Array; readonly mask: Uint8Array } => {
  const r = Render.render(tok, dialogueOf(view.env, view.model, initialObservation, turns), maxTokens)
  const skip = Math.max(0, firstTarget - r.droppedTurns)
  const mask = Uint8Array.from(r.mask)
  if (skip > 0) {
    // Clear the mask up to the open tag of the first kept target turn.
    const agent = tok.special(Tokenizer.SPECIAL.agent)
    let seen = 0, cut = mask.length
    for (let i = 0; i < r.ids.length; i++) {
      if (r.ids[i] === agent) {
        if (seen === skip) {
          cut = i
          break
        }
        seen++
      }
    }
    mask.fill(0, 0, cut)
  }
  return { ids: r.ids, mask }
}

/** Per-position forward outputs of sequences, computed in batches; arrays have one entry per position with a target. */
export const forwardAll = (
  engine: Engine,
  seqs: ReadonlyArray<Batch.Sequence>,
  batchSize: number
): Array<{ logprobs: Float32Array; values: Float32Array }> => {
  const out: Array<{ logprobs: Float32Array; values: Float32Array }> = []
  for (let i = 0; i < seqs.length; i += batchSize) {
    const part = seqs.slice(i, i + batchSize)
    const p = Batch.pack(part)
    const o = engine.forward(p.batch)
    part.forEach((s, b) => {
      const n = Math.max(0, s.ids.length - 1)
      out.push({
        logprobs: o.logprobs.slice(b * p.batch.T, b * p.batch.T + n),
        values: o.values.slice(b * p.batch.T, b * p.batch.T + n)
      })
    })
  }
  return out
}

/** A policy over a loaded engine (for rollouts inside a training phase). */
export const enginePolicy = (
  engine: Engine,
  tokenizer: Checkpoint.Checkpoint["tokenizer"],
  instructionPrompt: string,
  name: string,
  sampling: Generate.SamplingOptions,
  replyForm: Render.ReplyForm
): PolicyShape => {
  const next = Generate.makeTurnGenerator(engine, tokenizer, instructionPrompt, sampling, replyForm)
  return {
    name,
    act: (requests) =>
      Effect.try({ try: () => next(requests), catch: (e) => new PolicyError({ reason: `generation failed: ${(e as Error).message}` }) })
  }
}

/**
 * Runs `use` with the checkpoint of `ckpt` as a policy (greedy when
 * `temperature` is 0), releasing its engine afterwards.
 */
export const withCheckpointPolicy = <A, E, R>(
  env: EnvironmentShape,
  model: ModelSettings,
  ckpt: PhaseOutput<CheckpointManifest>,
  o: { readonly name: string; readonly temperature: number; readonly seed: number },
  use: (policy: PolicyRef) => Effect.Effect<A, E, R>
): Effect.Effect<A, E | DataFileError | InvalidInput, R> =>
  Effect.acquireUseRelease(
    Generate.makeCheckpointPolicy({
      checkpoint: checkpointDir(ckpt),
      instructionPrompt: instructionOf(env, model),
      engine: model.engine,
      name: o.name,
      replyForm: replyFormOf(model),
      sampling: { temperature: o.temperature, seed: o.seed, maxTokens: model.maxReplyTokens, ...decodingOf(model) }
    }),
    (policy) =>
      use({
        name: o.name,
        policy: viewPolicy(env, policy, model),
        from: ckpt,
        // Greedy decoding does not depend on the sampling seed.
        settings: {
          temperature: o.temperature,
          maxTokens: model.maxReplyTokens,
          view: trainingModelKey(env, model),
          ...decodingOf(model),
          ...actingOf(model),
          ...(o.temperature > 0 ? { seed: o.seed } : {})
        }
      }),
    (policy) => Effect.sync(() => policy.dispose())
  )

