/**
 * `eto`: Exploration-based Trajectory Optimization (Algorithm 1).
 *
 *   policy <- SFT agent
 *   repeat I times:
 *     explore:  the policy plays every training task once (greedy);
 *               at step level, it takes over an expert episode at a random
 *               step t after t-1 teacher-forced expert actions (Appendix C)
 *     pairs:    expert vs. exploration by final reward, ties dropped, flipped
 *               when the agent wins, rejected side cut to 5 rounds beyond
 *               the chosen one (Pairs.ts); `mixture` takes both kinds
 *     train:    DPO against a frozen copy of the current policy
 *               (beta and lr of the first iteration, then `laterBeta`,
 *               `laterLr`)
 *
 * `level` selects trajectory (the paper's ETO), step (`eto-step`) or
 * mixture (`eto-mixture`) pairs.
 */
import { Effect } from "effect"
import type { StrategyImpl } from "../Experiment"
import { buildPairs, explore, stepExplore } from "../Phases"
import { modelSettings, trainDpo, withCheckpointPolicy } from "../Training"
import { checkpointName, evaluateCheckpoint, sftAgent } from "./Common"

export const eto: StrategyImpl<"eto"> = {
  run: (ctx) =>
    Effect.gen(function*() {
      const s = ctx.strategy
      const model = modelSettings(ctx.config)
      const rounds = Math.max(s.iterations, s.trackIterations ?? 0)
      let policy = yield* sftAgent(ctx)
      const iterations = [{ iteration: 0, evaluations: yield* evaluateCheckpoint(ctx, policy) }]
      for (let i = 1; i <= rounds; i++) {
        // Exploration and pairs.
        const pairs = yield* withCheckpointPolicy(
          ctx.env,
          model,
          policy,
          { name: checkpointName(policy), temperature: s.explorationTemperature, seed: ctx.seed },
          (explorer) =>
            Effect.gen(function*() {
              const explorations = s.level === "step"
                ? undefined
                : yield* explore(ctx.env, explorer, { split: "train", limit: ctx.trainTasks, subset: ctx.exploreTasks, seed: ctx.seed })
              const stepExplorations = s.level === "trajectory"
                ? undefined
                : yield* stepExplore(ctx.env, explorer, ctx.expert, { seed: ctx.seed, subset: ctx.exploreTasks })
              return yield* buildPairs(s.level, { expert: ctx.expert, explorations, stepExplorations }, { margin: s.truncationMargin })
            })
        )
        // Training against the frozen current policy.
        policy = yield* trainDpo(ctx.env, model, policy, pairs, {
          training: { ...s.training, lr: i === 1 ? s.training.lr : s.laterLr },
          beta: i === 1 ? s.beta : s.laterBeta,
          seed: ctx.seed
        })
        iterations.push({ iteration: i, evaluations: yield* evaluateCheckpoint(ctx, policy) })
      }
      return {
        evaluations: iterations[s.iterations]!.evaluations,
        ...(s.trackIterations !== undefined ? { iterations } : {})
      }
    })
}
