/**
 * `ppo`: PPO from the SFT agent on the environment's final reward, with a
 * value head, a per-token KL penalty to the (frozen) SFT agent, the clipped
 * objective and GAE (Training.trainPpo).
 */
import { Effect } from "effect"
import type { StrategyImpl } from "../Experiment"
import { modelSettings, trainPpo } from "../Training"
import { evaluateCheckpoint, sftAgent } from "./Common"

export const ppo: StrategyImpl<"ppo"> = {
  run: (ctx) =>
    Effect.gen(function*() {
      const s = ctx.strategy
      const agent = yield* sftAgent(ctx)
      const tuned = yield* trainPpo(ctx.env, modelSettings(ctx.config), agent, {
        training: s.training,
        iterations: s.iterations,
        clip: s.clip,
        klCoef: s.klCoef,
        temperature: s.temperature,
        seed: ctx.seed,
        trainTasks: ctx.trainTasks,
        exploreTasks: ctx.exploreTasks
      })
      return { evaluations: yield* evaluateCheckpoint(ctx, tuned) }
    })
}
