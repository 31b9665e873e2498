/**
 * The training phases the strategies share, memoised like every other phase
 * (Runner.ts): each writes a checkpoint (Hugging Face layout, see
 * @eto/policy Checkpoint) into its phase directory, so a rerun reuses it and
 * a killed run trains it again from the start of that phase.
 *
 * - `trainSft`: behavioural cloning on trajectories (masked NLL over agent
 *   tokens), from scratch or from a checkpoint;
 * - `trainDpo`: DPO on preference pairs against a frozen copy of the starting
 *   policy (its log-probs are computed once before the first update);
 * - `trainPpo`: PPO with a value head, a per-token KL penalty to the starting
 *   policy, the clipped objective and GAE, on the final reward;
 * - `withCheckpointPolicy`: a checkpoint as a `PolicyRef` for rollouts.
 *
 * The loops are plain synchronous code over the engine; only file access and
 * rollouts are effects.
 */
import * as path from "node:path"
import {
  type DataFileError,
  type EnvironmentShape,
  formatReply,
  InvalidInput,
  Jsonl,
  PolicyError,
  parseReply,
  type PolicyShape,
  type PreferencePair,
  Random,
  rollout,
  Trajectory,
  type Turn,
  type UnknownSplit,
  type UnknownTask
} from "@eto/core"
import { Batch, Checkpoint, type Engine, Generate, Losses, makeEngine, type Params, Render, Sft, Tokenizer, Train } from "@eto/policy"
import { Effect, Schema } from "effect"
import type { ExperimentConfig, ResolvedTraining } from "./Config"
import type { ExploreManifest, PairsManifest, PolicyRef } from "./Phases"
import { readPairs, readTrajectories, selectTasks } from "./Phases"
import * as Pairs from "./Pairs"
import { memoPhase, type PhaseOutput, type RunReporter, type RunStore } from "./Runner"

export const TRAINING_VERSIONS = { sft: "1", dpo: "1", ppo: "1", dataset: "1" } as const

type TrainError = DataFileError | InvalidInput | PolicyError | UnknownSplit | UnknownTask
type PhaseEnv = RunStore | RunReporter

// ---------------------------------------------------------------------------
// Model settings

/** The model every strategy of an experiment trains, and how it generates. */
export interface ModelSettings {
  readonly nLayer: number
  readonly nEmbd: number
  readonly nHead: number
  readonly nPositions: number
  readonly vocabSize: number
  readonly engine: "cpu" | "tfjs"
  /** Most tokens generated per agent turn. */
  readonly maxReplyTokens: number
  /** Observation view: characters kept per observation (undefined: all). */
  readonly maxObservationChars: number | undefined
  readonly instructionPrompt: "full" | "none"
  /** "keep": ReAct replies; "drop": replies with an empty thought; "none": "Action: ..." alone. */
  readonly thoughts: "keep" | "drop" | "none"
  /** Decoding never repeats an n-gram of this size within a reply (0: off). */
  readonly noRepeatNgram: number
}

export const modelSettings = (c: ExperimentConfig): ModelSettings => ({
  nLayer: c.model?.nLayer ?? 4,
  nEmbd: c.model?.nEmbd ?? 128,
  nHead: c.model?.nHead ?? 4,
  nPositions: c.model?.nPositions ?? 512,
  vocabSize: c.model?.vocabSize ?? 2048,
  engine: c.engine ?? "cpu",
  maxReplyTokens: c.model?.maxReplyTokens ?? 64,
  maxObservationChars: c.model?.maxObservationChars,
  instructionPrompt: c.model?.instructionPrompt ?? "full",
  thoughts: c.model?.thoughts ?? "keep",
  noRepeatNgram: c.model?.noRepeatNgram ?? 0
})

/** The instruction prompt the model is trained and prompted with. */
export const instructionOf = (env: EnvironmentShape, m: ModelSettings): string => (m.instructionPrompt === "none" ? "" : env.instructionPrompt)

/** An environment's structure-aware shortening of observations (LoadedEnvironment.compactObservation), when it has one. */
type ObservationShortener = (observation: string, budgetChars: number) => string
/** LoadedEnvironment.actionToModel / actionFromModel: an action on the page it was taken on, mapped between views. */
type ActionMap = (action: string, observation: string) => string

const hookOf = <F>(env: EnvironmentShape, name: "compactObservation" | "actionToModel" | "actionFromModel"): F | undefined => {
  const hook = (env as unknown as Record<string, unknown>)[name]
  return typeof hook === "function" ? (hook as F) : undefined
}
const shortenerOf = (env: EnvironmentShape) => hookOf<ObservationShortener>(env, "compactObservation")

/** Which view a model is trained with: the environment's own shortening or the character cut. */
const viewKind = (env: EnvironmentShape, m: ModelSettings): "env" | "cut" | "full" =>
  m.maxObservationChars === undefined ? "full" : shortenerOf(env) !== undefined ? "env" : "cut"

/** The action maps of the environment's view, when the model sees that view and the view labels things. */
const actionMapsOf = (env: EnvironmentShape, m: ModelSettings): { toModel: ActionMap; fromModel: ActionMap } | undefined => {
  const toModel = hookOf<ActionMap>(env, "actionToModel"), fromModel = hookOf<ActionMap>(env, "actionFromModel")
  return viewKind(env, m) === "env" && toModel !== undefined && fromModel !== undefined ? { toModel, fromModel } : undefined
}

/**
 * The observation view of a small context: an observation that restates the
 * task instruction at its start ("Instruction: [SEP] ... [SEP] ", as WebShop
 * pages do) loses that restatement (the first observation keeps the task),
 * and observations are cut to \`maxChars\` characters.
 */
export const compactObservation = (text: string, maxChars: number | undefined): string => {
  const stripped = text.replace(/^\s*Instruction:\s*\[SEP\][^[]*\[SEP\]\s*/, "")
  return maxChars === undefined || stripped.length <= maxChars ? stripped : stripped.slice(0, maxChars)
}

/**
 * An observation as the model sees it: with a character budget, the
 * environment's structure-aware shortening when it has one, else the
 * character cut of \`compactObservation\`.
 */
export const viewObservation = (env: EnvironmentShape, m: ModelSettings, text: string): string => {
  const shorten = shortenerOf(env)
  return m.maxObservationChars !== undefined && shorten !== undefined
    ? shorten(text, m.maxObservationChars)
    : compactObservation(text, m.maxObservationChars)
}

/**
 * Turns as the model sees them: observations in the view, thoughts dropped
 * when the settings say so, and actions in the view's own labels (each
 * action is mapped through the page it was taken on: the initial
 * observation, then the previous turn's).
 */
export const compactTurns = (env: EnvironmentShape, initialObservation: string, turns: ReadonlyArray<Turn>, m: ModelSettings): Array<Turn> => {
  const maps = actionMapsOf(env, m)
  return turns.map((t, i) => ({
    ...t,
    thought: m.thoughts === "keep" ? t.thought : "",
    action: maps === undefined ? t.action : maps.toModel(t.action, i === 0 ? initialObservation : turns[i - 1]!.observation),
    observation: viewObservation(env, m, t.observation)
  }))
}

/** The dialogue the model sees for a trajectory (training and prompting alike). */
export const dialogueOf = (env: EnvironmentShape, m: ModelSettings, initialObservation: string, turns: ReadonlyArray<Turn>): Render.Dialogue =>
  Render.fromTurns(instructionOf(env, m), initialObservation, compactTurns(env, initialObservation, turns, m), false, replyFormOf(m))

/** How the model writes its turns. */
export const replyFormOf = (m: ModelSettings): Render.ReplyForm => (m.thoughts === "none" ? "action" : "thought-action")

/** A reply in the view's action labels, as the environment reads it (`page`: the full page it answers). */
const replyFromModel = (maps: { readonly fromModel: ActionMap }, reply: string, page: string): string => {
  const parsed = parseReply(reply)
  if (parsed === undefined) return reply
  const action = maps.fromModel(parsed.action, page)
  return action === parsed.action ? reply : formatReply(parsed.thought, action)
}

/** A policy seeing the compact view of each request, its actions mapped back to the environment's. */
export const viewPolicy = (env: EnvironmentShape, policy: PolicyShape, m: ModelSettings): PolicyShape => {
  if (m.maxObservationChars === undefined && m.thoughts === "keep") return policy
  const maps = actionMapsOf(env, m)
  return {
    ...policy,
    act: (requests) => {
      const replies = policy.act(requests.map((r) => ({ ...r, turns: compactTurns(env, r.initialObservation, r.turns, m) })))
      if (maps === undefined) return replies
      return Effect.map(replies, (rs) =>
        rs.map((reply, j) => {
          const r = requests[j]!
          return replyFromModel(maps, reply, r.turns.length === 0 ? r.initialObservation : r.turns[r.turns.length - 1]!.observation)
        }))
    }
  }
}

/** What of the model settings changes a trained checkpoint. */
const trainingModelKey = (env: EnvironmentShape, m: ModelSettings) => ({
  nLayer: m.nLayer,
  nEmbd: m.nEmbd,
  nHead: m.nHead,
  nPositions: m.nPositions,
  vocabSize: m.vocabSize,
  engine: m.engine,
  maxObservationChars: m.maxObservationChars ?? null,
  instructionPrompt: m.instructionPrompt,
  ...(m.thoughts !== "keep" ? { thoughts: m.thoughts } : {}),
  ...(viewKind(env, m) === "env" ? { observationView: "env" } : {}),
  ...(actionMapsOf(env, m) !== undefined ? { actionView: "labels" } : {})
})

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

const optimFor = (t: ResolvedTraining, estimatedSteps: number): Train.OptimConfig =>
  Train.defaultOptim({ lr: t.lr, warmupSteps: Math.round(t.warmup * estimatedSteps) })

const startEngine = (kind: "cpu" | "tfjs", ckpt: { config: Checkpoint.Checkpoint["config"]; params: Params }) =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: () => makeEngine(kind, ckpt.config, ckpt.params),
      catch: (e) => new InvalidInput({ reason: `cannot start the ${kind} engine: ${(e as Error).message}` })
    }),
    (e) => Effect.sync(() => e.dispose())
  )

// ---------------------------------------------------------------------------
// Datasets

export const DatasetManifest = Schema.Struct({ file: Schema.String, trajectories: Schema.Int, added: Schema.Int })
export type DatasetManifest = typeof DatasetManifest.Type

/**
 * A training set of trajectories: `rft` is the expert data plus the distinct
 * successful explorations; `successful` is the successful explorations alone
 * (self-play, which has no expert). With `minReward`, an exploration is kept
 * when it succeeded or its final reward is at least that (Pairs.kept).
 */
export const dataset = (
  kind: "rft" | "successful",
  inputs: { readonly expert?: PhaseOutput<{ readonly file: string }> | undefined; readonly explorations: PhaseOutput<ExploreManifest> },
  options: { readonly minReward?: number | undefined } = {}
): Effect.Effect<PhaseOutput<DatasetManifest>, DataFileError | InvalidInput, PhaseEnv> => {
  if (kind === "rft" && inputs.expert === undefined) return Effect.fail(new InvalidInput({ reason: "an RFT data set needs expert data" }))
  const minReward = options.minReward
  return memoPhase(
    {
      phase: "dataset",
      version: TRAINING_VERSIONS.dataset,
      config: { kind, ...(minReward !== undefined ? { minReward } : {}) },
      upstream: { explorations: inputs.explorations, ...(kind === "rft" ? { expert: inputs.expert! } : {}) },
      manifest: DatasetManifest
    },
    (ctx) =>
      Effect.gen(function*() {
        const explorations = yield* readTrajectories(inputs.explorations)
        const data = kind === "rft"
          ? Pairs.rftDataset(yield* readTrajectories(inputs.expert!), explorations, minReward)
          : (() => {
            const ok = Pairs.successful(explorations, minReward)
            return { trajectories: ok, added: ok.length }
          })()
        yield* Jsonl.writeJsonl(Trajectory, path.join(ctx.dir, "trajectories.jsonl"), data.trajectories)
        ctx.log(`${data.trajectories.length} trajectories (${data.added} from explorations)`)
        return { file: "trajectories.jsonl", trajectories: data.trajectories.length, added: data.added }
      })
  )
}

// ---------------------------------------------------------------------------
// SFT

/**
 * Behavioural cloning on the trajectories of `data` (loss on agent tokens
 * only). From scratch (a tokenizer trained on the data, GPT-2 initialisation
 * from the seed) or from `init`'s weights and tokenizer.
 */
export const trainSft = (
  env: EnvironmentShape,
  model: ModelSettings,
  data: ReadonlyArray<PhaseOutput<{ readonly file: string }>>,
  options: { readonly training: ResolvedTraining; readonly seed: number; readonly init?: PhaseOutput<CheckpointManifest> | undefined }
): Effect.Effect<PhaseOutput<CheckpointManifest>, TrainError, PhaseEnv> =>
  memoPhase(
    {
      phase: "train-sft",
      version: TRAINING_VERSIONS.sft,
      config: { env: env.name, model: trainingModelKey(env, model), training: options.training, seed: options.seed },
      upstream: {
        ...Object.fromEntries(data.map((d, i) => [`data${i}`, d])),
        ...(options.init !== undefined ? { init: options.init } : {})
      },
      manifest: CheckpointManifest
    },
    (ctx) =>
      Effect.gen(function*() {
        const trajectories = (yield* Effect.forEach(data, readTrajectories)).flat()
        if (trajectories.length === 0) return yield* new InvalidInput({ reason: "SFT: the training set is empty" })
        const dialogues = trajectories.map((t) => dialogueOf(env, model, t.initialObservation, t.turns))
        const t = options.training
        const estimated = Math.ceil((t.epochs * dialogues.length) / t.batchSize)
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
            optim: optimFor(t, estimated)
          }),
          onProgress: (r) => ctx.progress(r.step, r.totalSteps),
          onInfo: ctx.log
        })
        ctx.log(`loss ${result.lossBefore.toFixed(3)} -> ${result.lossAfter.toFixed(3)} over ${result.totalSteps} steps`)
        return {
          checkpoint: "model",
          examples: result.examples,
          steps: result.totalSteps,
          metrics: { lossBefore: result.lossBefore, lossAfter: result.lossAfter }
        }
      })
  )

// ---------------------------------------------------------------------------
// Sequences for DPO and PPO

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
const forwardAll = (
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

// ---------------------------------------------------------------------------
// DPO

const copyCheckpoint = (from: string, to: string) =>
  Effect.flatMap(Checkpoint.load(from), (c) => Checkpoint.save(to, { config: c.config, params: c.params, tokenizer: c.tokenizer }))

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
          const s = seqs[i]!
          let sum = 0
          for (let k = 0; k + 1 < s.ids.length; k++) sum += (s.mask![k + 1] ?? 0) * o.logprobs[k]!
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
          engine.zeroGrad()
          const loss = Losses.dpo({
            mask: packed.mask,
            B: packed.batch.B,
            T: packed.batch.T,
            chosenRows: idx.map((_, k) => 2 * k),
            rejectedRows: idx.map((_, k) => 2 * k + 1),
            refChosen: idx.map((i) => refSeq[2 * i]!),
            refRejected: idx.map((i) => refSeq[2 * i + 1]!),
            beta: options.beta
          })
          let stats = { accuracy: NaN }
          const r = engine.forwardBackward(packed.batch, (o) => {
            const g = loss(o)
            stats = g.stats
            return g
          })
          engine.step(Train.adamW(optim, Train.lrAt(optim, step, totalSteps)))
          if (step === 0) first = { loss: r.loss, accuracy: stats.accuracy }
          last = { loss: r.loss, accuracy: stats.accuracy }
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

// ---------------------------------------------------------------------------
// Policies from checkpoints

/** Decoding settings beyond temperature (absent when off, so they change no phase key). */
const decodingOf = (m: ModelSettings): { readonly noRepeatNgram?: number } => (m.noRepeatNgram > 1 ? { noRepeatNgram: m.noRepeatNgram } : {})

/** A policy over a loaded engine (for rollouts inside a training phase). */
const enginePolicy = (
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
          ...(o.temperature > 0 ? { seed: o.seed } : {})
        }
      }),
    (policy) => Effect.sync(() => policy.dispose())
  )

// ---------------------------------------------------------------------------
// PPO

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
            const n = Math.max(0, s.ids.length - 1)
            const mask = new Float32Array(n)
            for (let k = 0; k < n; k++) mask[k] = s.mask![k + 1] ?? 0
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
            const loss = Losses.ppo({
              mask: packed.mask,
              oldLogprobs: layout(rows.map((r) => r.old), TT),
              advantages: layout(rows.map((r) => r.advantages), TT),
              returns: layout(rows.map((r) => r.returns), TT),
              clip: options.clip,
              valueCoef,
              entropyCoef: 0
            })
            engine.zeroGrad()
            engine.forwardBackward(packed.batch, (o) => {
              const g = loss(o)
              lastStats = g.stats
              return g
            })
            engine.step(Train.adamW(optim, Train.lrAt(optim, step, totalSteps)))
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
