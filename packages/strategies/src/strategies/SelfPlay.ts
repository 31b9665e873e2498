/**
 * `self-play` (Section 4.5, Table 5): no expert data. The untuned agent
 * (Base.untunedAgent) samples `samples` episodes per training task (the
 * explored ones, or a spread subset of `tasks`) at temperature 1, and trajectories of the same task are compared by reward:
 * - `rft`: fine-tune on the kept samples (the successful ones, or with
 *   `minReward` those whose reward reaches it);
 * - `eto`: DPO on best-vs-worst pairs of each task's samples;
 * - `rft+eto`: the RFT agent (the same one the `rft` strategy trains, when
 *   the experiment has one), which then samples again for ETO.
 * The number of kept trajectories and of pairs is logged and returned, so
 * the report shows what each stage had to learn from.
 *
 * With a `sampler` (a model behind an OpenAI-compatible API), that model
 * samples in place of the untuned model: its episodes are the data of the
 * RFT stage (`rft`, `rft+eto`) or of the pairs (`eto`). The model trained on
 * them is still the local untuned model, and DPO's frozen reference is that
 * model too (the policy being trained, as in every DPO stage here; a remote
 * model gives no log-probabilities under our tokenizer). In `rft+eto` the
 * ETO stage is sampled by the RFT agent, as without a sampler. The remote
 * sampling runs first, so a server that refuses or cannot be reached stops
 * the strategy before any local training; it is a memoised phase keyed by the
 * model, the API root and the sampling settings, so a rerun does not query
 * the model again.
 */
import { Effect } from "effect"
import { type ResolvedRemote, resolveStrategy } from "../Config"
import { StrategyFailed, type StrategyImpl, type TrainingData } from "../Experiment"
import { buildSelfPlayPairs, explore, type ExploreManifest, type PolicyRef } from "../Phases"
import { RunReporter, type PhaseOutput } from "../Runner"
import { type CheckpointManifest, dataset, modelSettings, trainDpo, trainSft, withCheckpointPolicy } from "../Training"
import { untunedAgent } from "./Base"
import { checkpointName, evaluateCheckpoint, sftTraining } from "./Common"
import { remotePolicyRef } from "./Prompted"

type Ctx = Parameters<StrategyImpl<"self-play">["run"]>[0]

/** `samples` episodes per training task (the strategy's `tasks`, else the explored ones) from `p`. */
const sampleWith = (ctx: Ctx, p: PolicyRef) =>
  explore(ctx.env, p, {
    split: "train",
    limit: ctx.trainTasks,
    subset: ctx.strategy.tasks ?? ctx.exploreTasks,
    samples: ctx.strategy.samples,
    seed: ctx.seed
  })

const sampleTasks = (ctx: Ctx, policy: PhaseOutput<CheckpointManifest>) =>
  withCheckpointPolicy(
    ctx.env,
    modelSettings(ctx.config),
    policy,
    { name: checkpointName(policy), temperature: ctx.strategy.temperature, seed: ctx.seed },
    (p) => sampleWith(ctx, p)
  )

/** The remote sampler's episodes at the strategy's temperature; a failed request or a missing key names the strategy. */
const sampleRemote = (ctx: Ctx, sampler: ResolvedRemote) =>
  Effect.flatMap(remotePolicyRef(ctx.env, { ...sampler, temperature: ctx.strategy.temperature }, ctx.seed), (ref) => sampleWith(ctx, ref)).pipe(
    Effect.catchTag(["PolicyError", "InvalidInput"], (e) => Effect.fail(new StrategyFailed({ strategy: ctx.strategy.label, reason: `sampler ${e.message}` })))
  )

/** Both absent, or the same remote model with the same settings. */
const sameSampler = (a: ResolvedRemote | undefined, b: ResolvedRemote | undefined): boolean =>
  a === undefined || b === undefined ? a === b : JSON.stringify(a) === JSON.stringify(b)

/**
 * The RFT stage's settings: the strategy's own for `rft`; for `rft+eto`, the
 * experiment's self-play `rft` entry's with the same sampler (so both share
 * one RFT agent), else the SFT settings with this strategy's threshold.
 */
const rftStage = (ctx: Ctx) => {
  const own = { minReward: ctx.strategy.minReward, samples: ctx.strategy.samples, tasks: ctx.strategy.tasks, temperature: ctx.strategy.temperature }
  if (ctx.strategy.method === "rft") return { ...own, training: ctx.strategy.training }
  const r = ctx.config.strategies.map((s) => resolveStrategy(s, ctx.config.env)).find((s) =>
    s._tag === "self-play" && s.method === "rft" && sameSampler(s.sampler, ctx.strategy.sampler)
  )
  return r?._tag === "self-play"
    ? { training: r.training, minReward: r.minReward, samples: r.samples, tasks: r.tasks, temperature: r.temperature }
    : { ...own, training: sftTraining(ctx) }
}

/** The context the RFT stage samples with (its sample count, tasks and temperature). */
const stageCtx = (ctx: Ctx): Ctx => {
  const stage = rftStage(ctx)
  return { ...ctx, strategy: { ...ctx.strategy, samples: stage.samples, tasks: stage.tasks, temperature: stage.temperature } }
}

/**
 * Fine-tunes on the kept samples (the policy's own, or `sampled` when given);
 * keeps the policy when there are none.
 */
const rftStep = (ctx: Ctx, policy: PhaseOutput<CheckpointManifest>, sampled?: PhaseOutput<ExploreManifest>) =>
  Effect.gen(function*() {
    const stage = rftStage(ctx)
    const samples = sampled ?? (yield* sampleTasks(stageCtx(ctx), policy))
    const data = yield* dataset("successful", { explorations: samples }, { minReward: stage.minReward })
    const kept = data.manifest.trajectories
    const rule = stage.minReward === undefined ? "successful" : `reward ≥ ${stage.minReward}`
    ;(yield* RunReporter).line(
      `${ctx.strategy.label} seed ${ctx.seed}: RFT stage keeps ${kept} of ${samples.manifest.trajectories} samples (${rule}; ` +
        `sample reward ${(100 * samples.manifest.avgReward).toFixed(1)}, ${samples.manifest.successes} successful)`
    )
    if (kept === 0) return { policy, kept }
    const tuned = yield* trainSft(ctx.env, modelSettings(ctx.config), [data], { training: stage.training, seed: ctx.seed, init: policy })
    return { policy: tuned, kept }
  })

/**
 * DPO on pairs of the policy's own samples (or of `sampled` when given),
 * against a frozen copy of the policy; keeps the policy when there are none.
 */
const etoStep = (ctx: Ctx, policy: PhaseOutput<CheckpointManifest>, sampled?: PhaseOutput<ExploreManifest>) =>
  Effect.gen(function*() {
    const samples = sampled ?? (yield* sampleTasks(ctx, policy))
    const pairs = yield* buildSelfPlayPairs(samples)
    const n = pairs.manifest.pairs
    ;(yield* RunReporter).line(
      `${ctx.strategy.label} seed ${ctx.seed}: ETO stage has ${n} pairs from ${pairs.manifest.considered} tasks ` +
        `(${pairs.manifest.ties} ties; sample reward ${(100 * samples.manifest.avgReward).toFixed(1)})`
    )
    if (n === 0) return { policy, pairs: n }
    const tuned = yield* trainDpo(ctx.env, modelSettings(ctx.config), policy, pairs, {
      training: ctx.strategy.training,
      beta: ctx.strategy.beta,
      seed: ctx.seed
    })
    return { policy: tuned, pairs: n }
  })

export const selfPlay: StrategyImpl<"self-play"> = {
  run: (ctx) =>
    Effect.gen(function*() {
      const sampler = ctx.strategy.sampler
      // The remote model's episodes for the first stage, before any local training.
      const sampled = sampler === undefined
        ? undefined
        : yield* sampleRemote(ctx.strategy.method === "eto" ? ctx : stageCtx(ctx), sampler)
      let policy = yield* untunedAgent(ctx)
      let data: TrainingData = {}
      if (ctx.strategy.method !== "eto") {
        const r = yield* rftStep(ctx, policy, sampled)
        policy = r.policy
        data = { ...data, trajectories: r.kept }
      }
      if (ctx.strategy.method !== "rft") {
        const e = yield* etoStep(ctx, policy, ctx.strategy.method === "eto" ? sampled : undefined)
        policy = e.policy
        data = { ...data, pairs: e.pairs }
      }
      return { evaluations: yield* evaluateCheckpoint(ctx, policy), data }
    })
}
