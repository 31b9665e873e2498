/**
 * `sft`: behavioural cloning on the expert trajectories (Eq. 5: the loss
 * counts agent tokens only), plus the perturbed expert episodes when the
 * configuration asks for them, from an untrained model, then greedy evaluation.
 */
import { Effect } from "effect"
import type { StrategyImpl } from "../Experiment"
import { modelSettings, trainSft } from "../Training"
import { evaluateCheckpoint } from "./Common"

export const sft: StrategyImpl<"sft"> = {
  run: (ctx) =>
    Effect.gen(function*() {
      // 1. Fit the expert's actions (the tokenizer is trained on the same data).
      const agent = yield* trainSft(ctx.env, modelSettings(ctx.config), ctx.sftData, {
        training: ctx.strategy.training,
        seed: ctx.seed
      })
      // 2. Evaluate greedily.
      return { evaluations: yield* evaluateCheckpoint(ctx, agent) }
    })
}
