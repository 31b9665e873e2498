/**
 * `base`: the untuned model, evaluated as it is (Table 5's prompted row).
 * Here that is a model pretrained only on random-policy episodes (see
 * `untunedAgent`): it knows the format, not the task.
 */
import { Effect } from "effect"
import type { StrategyImpl } from "../Experiment"
import { evaluateCheckpoint, untunedAgent } from "./Common"

export const base: StrategyImpl<"base"> = {
  run: (ctx) =>
    Effect.gen(function*() {
      const untuned = yield* untunedAgent(ctx)
      return { evaluations: yield* evaluateCheckpoint(ctx, untuned) }
    })
}
