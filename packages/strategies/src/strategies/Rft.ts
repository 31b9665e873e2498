/**
 * `rft`: rejection-sampling fine-tuning. The SFT agent explores every
 * training task (`samples` times, at `temperature`); its successful episodes
 * (or, with `minReward`, those whose final reward reaches it) that differ
 * from the expert's are added to the expert data, and the agent is
 * fine-tuned further on the union. How many were added is logged and
 * reported.
 */
import { Effect } from "effect"
import type { StrategyImpl } from "../Experiment"
import { explore } from "../Phases"
import { RunReporter } from "../Runner"
import { dataset, modelSettings, trainSft, withCheckpointPolicy } from "../Training"
import { checkpointName, evaluateCheckpoint, sftAgent } from "./Common"

export const rft: StrategyImpl<"rft"> = {
  run: (ctx) =>
    Effect.gen(function*() {
      const s = ctx.strategy
      const model = modelSettings(ctx.config)
      // 1. The SFT agent explores the training tasks.
      const agent = yield* sftAgent(ctx)
      const explored = yield* withCheckpointPolicy(
        ctx.env,
        model,
        agent,
        { name: checkpointName(agent), temperature: s.temperature, seed: ctx.seed },
        (policy) => explore(ctx.env, policy, { split: "train", limit: ctx.trainTasks, subset: ctx.exploreTasks, samples: s.samples, seed: ctx.seed })
      )
      // 2. Expert data plus the new successes.
      const data = yield* dataset("rft", { expert: ctx.expert, explorations: explored }, { minReward: s.minReward })
      const added = data.manifest.added
      ;(yield* RunReporter).line(
        `${s.label} seed ${ctx.seed}: ${added} of ${explored.manifest.trajectories} explorations added to the expert data ` +
          `(${s.minReward === undefined ? "successful" : `reward ≥ ${s.minReward}`}; ${explored.manifest.successes} successful)`
      )
      // 3. Fine-tune the agent on them and evaluate.
      const tuned = yield* trainSft(ctx.env, model, [data], { training: s.training, seed: ctx.seed, init: agent })
      return { evaluations: yield* evaluateCheckpoint(ctx, tuned), data: { trajectories: added } }
    })
}
