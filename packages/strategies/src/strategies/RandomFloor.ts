/**
 * `random`: the floor, a policy picking uniformly among the valid actions
 * (seeded by the experiment seed).
 */
import { randomPolicy } from "@eto/core"
import { Effect } from "effect"
import type { StrategyImpl } from "../Experiment"

export const random: StrategyImpl<"random"> = {
  run: (ctx) =>
    Effect.map(
      ctx.evaluate({ name: "random", policy: randomPolicy(ctx.seed), settings: { seed: ctx.seed } }),
      (evaluations) => ({ evaluations })
    )
}
