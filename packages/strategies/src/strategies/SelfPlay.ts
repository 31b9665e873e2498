/**
 * `self-play` (Section 4.5, Table 5): no expert data. The untuned agent
 * (Common.untunedAgent) samples `samples` episodes per training task at
 * temperature 1, and trajectories of the same task are compared by reward:
 * - `rft`: fine-tune on the successful episodes;
 * - `eto`: DPO on best-vs-worst pairs of each task's samples;
 * - `rft+eto`: RFT first, then the RFT agent explores and ETO follows.
 */
import { Effect } from "effect"
import type { StrategyContext, StrategyImpl } from "../Experiment"
import { buildSelfPlayPairs, explore } from "../Phases"
import type { PhaseOutput } from "../Runner"
import { type CheckpointManifest, dataset, modelSettings, trainDpo, trainSft, withCheckpointPolicy } from "../Training"
import { checkpointName, evaluateCheckpoint, sftTraining, untunedAgent } from "./Common"

type Ctx = StrategyContext<Parameters<StrategyImpl<"self-play">["run"]>[0]["strategy"]>

const sampleTasks = (ctx: Ctx, policy: PhaseOutput<CheckpointManifest>) =>
  withCheckpointPolicy(
    ctx.env,
    modelSettings(ctx.config),
    policy,
    { name: checkpointName(policy), temperature: ctx.strategy.temperature, seed: ctx.seed },
    (p) => explore(ctx.env, p, { split: "train", limit: ctx.trainTasks, subset: ctx.exploreTasks, samples: ctx.strategy.samples, seed: ctx.seed })
  )

/** Fine-tunes on the successful samples; keeps the policy when there are none. */
const rftStep = (ctx: Ctx, policy: PhaseOutput<CheckpointManifest>) =>
  Effect.gen(function*() {
    const data = yield* dataset("successful", { explorations: yield* sampleTasks(ctx, policy) })
    if (data.manifest.trajectories === 0) return policy
    const training = ctx.strategy.method === "rft" ? ctx.strategy.training : sftTraining(ctx)
    return yield* trainSft(ctx.env, modelSettings(ctx.config), [data], { training, seed: ctx.seed, init: policy })
  })

/** DPO on pairs of the policy's own samples. */
const etoStep = (ctx: Ctx, policy: PhaseOutput<CheckpointManifest>) =>
  Effect.gen(function*() {
    const pairs = yield* buildSelfPlayPairs(yield* sampleTasks(ctx, policy))
    return yield* trainDpo(ctx.env, modelSettings(ctx.config), policy, pairs, {
      training: ctx.strategy.training,
      beta: ctx.strategy.beta,
      seed: ctx.seed
    })
  })

export const selfPlay: StrategyImpl<"self-play"> = {
  run: (ctx) =>
    Effect.gen(function*() {
      let policy = yield* untunedAgent(ctx)
      if (ctx.strategy.method !== "eto") policy = yield* rftStep(ctx, policy)
      if (ctx.strategy.method !== "rft") policy = yield* etoStep(ctx, policy)
      return { evaluations: yield* evaluateCheckpoint(ctx, policy) }
    })
}
