/**
 * `best-of-n`: N trajectories per test task sampled from the SFT agent (at
 * temperature 1 by default), keeping the one with the highest environment
 * reward. This uses the reward as an oracle at test time, as the paper's
 * baseline does.
 */
import { Effect } from "effect"
import type { StrategyImpl } from "../Experiment"
import { bestOfNEvaluation, explore } from "../Phases"
import { modelSettings, withCheckpointPolicy } from "../Training"
import { checkpointName, sftAgent } from "./Common"

export const bestOfN: StrategyImpl<"best-of-n"> = {
  run: (ctx) =>
    Effect.gen(function*() {
      const s = ctx.strategy
      // 1. The SFT agent (shared with the other strategies).
      const agent = yield* sftAgent(ctx)
      const name = `${checkpointName(agent)}@T${s.temperature}`
      // 2. N samples per task of each evaluation split, then the best per task.
      const evaluations = yield* withCheckpointPolicy(
        ctx.env,
        modelSettings(ctx.config),
        agent,
        { name, temperature: s.temperature, seed: ctx.seed },
        (policy) =>
          Effect.forEach(ctx.evalSplits, (split) =>
            Effect.gen(function*() {
              const samples = yield* explore(ctx.env, policy, { split, limit: ctx.testTasks, samples: s.n, seed: ctx.seed })
              const best = yield* bestOfNEvaluation(ctx.env, samples, { policy: `${name} best of ${s.n}`, seed: ctx.seed })
              return best.manifest.summary
            }))
      )
      return { evaluations }
    })
}
