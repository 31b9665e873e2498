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
 */
import { Effect } from "effect"
import { resolveStrategy } from "../Config"
import type { StrategyImpl, TrainingData } from "../Experiment"
import { buildSelfPlayPairs, explore } from "../Phases"
import { RunReporter, type PhaseOutput } from "../Runner"
import { type CheckpointManifest, dataset, modelSettings, trainDpo, trainSft, withCheckpointPolicy } from "../Training"
import { untunedAgent } from "./Base"
import { checkpointName, evaluateCheckpoint, sftTraining } from "./Common"

type Ctx = Parameters<StrategyImpl<"self-play">["run"]>[0]

const sampleTasks = (ctx: Ctx, policy: PhaseOutput<CheckpointManifest>) =>
  withCheckpointPolicy(
    ctx.env,
    modelSettings(ctx.config),
    policy,
    { name: checkpointName(policy), temperature: ctx.strategy.temperature, seed: ctx.seed },
    (p) =>
      explore(ctx.env, p, {
        split: "train",
        limit: ctx.trainTasks,
        subset: ctx.strategy.tasks ?? ctx.exploreTasks,
        samples: ctx.strategy.samples,
        seed: ctx.seed
      })
  )

/**
 * The RFT stage's settings: the strategy's own for `rft`; for `rft+eto`, the
 * experiment's self-play `rft` entry's (so both share one RFT agent), else
 * the SFT settings with this strategy's threshold.
 */
const rftStage = (ctx: Ctx) => {
  const own = { minReward: ctx.strategy.minReward, samples: ctx.strategy.samples, tasks: ctx.strategy.tasks, temperature: ctx.strategy.temperature }
  if (ctx.strategy.method === "rft") return { ...own, training: ctx.strategy.training }
  const entry = ctx.config.strategies.find((s) => s._tag === "self-play" && s.method === "rft")
  const r = entry === undefined ? undefined : resolveStrategy(entry, ctx.config.env)
  return r?._tag === "self-play"
    ? { training: r.training, minReward: r.minReward, samples: r.samples, tasks: r.tasks, temperature: r.temperature }
    : { ...own, training: sftTraining(ctx) }
}

/** Fine-tunes on the kept samples; keeps the policy when there are none. */
const rftStep = (ctx: Ctx, policy: PhaseOutput<CheckpointManifest>) =>
  Effect.gen(function*() {
    const stage = rftStage(ctx)
    const samples = yield* sampleTasks(
      { ...ctx, strategy: { ...ctx.strategy, samples: stage.samples, tasks: stage.tasks, temperature: stage.temperature } },
      policy
    )
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

/** DPO on pairs of the policy's own samples; keeps the policy when there are none. */
const etoStep = (ctx: Ctx, policy: PhaseOutput<CheckpointManifest>) =>
  Effect.gen(function*() {
    const samples = yield* sampleTasks(ctx, policy)
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
      let policy = yield* untunedAgent(ctx)
      let data: TrainingData = {}
      if (ctx.strategy.method !== "eto") {
        const r = yield* rftStep(ctx, policy)
        policy = r.policy
        data = { ...data, trajectories: r.kept }
      }
      if (ctx.strategy.method !== "rft") {
        const e = yield* etoStep(ctx, policy)
        policy = e.policy
        data = { ...data, pairs: e.pairs }
      }
      return { evaluations: yield* evaluateCheckpoint(ctx, policy), data }
    })
}
