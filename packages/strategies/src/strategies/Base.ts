/**
 * `base`: the untuned model, evaluated as it is (Table 5's prompted row), and
 * the start of every self-play strategy.
 *
 * No pretrained chat model exists here, so the untuned model is one trained
 * from scratch only on episodes of the random valid-action policy on the
 * explored training tasks (or on `tasks` training tasks spread over the split): it knows the reply format and how actions look on
 * each page, not how to solve a task. It gets enough of that data (`samples`
 * episodes per task, `epochs` epochs, by default the SFT entry's learning rate and batch)
 * to write valid actions, so that sampling from it at temperature 1 scores
 * about what the random policy scores: self-play then has rewards to learn
 * from. Greedy decoding of such a model is a different matter (it follows
 * the most frequent action of a near-uniform choice), which is what the
 * untuned row reports.
 */
import { randomPolicy } from "@eto/core"
import { Effect } from "effect"
import { type ResolvedTraining, resolveStrategy, UNTUNED_DEFAULTS } from "../Config"
import type { StrategyContext, StrategyImpl } from "../Experiment"
import { explore } from "../Phases"
import { modelSettings, trainSft } from "../Training"
import { evaluateCheckpoint, sftTraining } from "./Common"

/** The untuned model's data and training: the experiment's `base` entry over the SFT settings, else the defaults. */
export const untunedSettings = (
  ctx: StrategyContext
): { readonly samples: number; readonly tasks: number | undefined; readonly training: ResolvedTraining } => {
  const entry = ctx.config.strategies.find((s) => s._tag === "base")
  const r = entry === undefined ? undefined : resolveStrategy(entry, ctx.config.env)
  // The random-policy tasks: `tasks` spread over the training tasks (Phases.selectTasks), else the explored ones.
  const tasks = r?._tag === "base" && r.tasks !== undefined ? r.tasks : ctx.exploreTasks
  return r?._tag === "base"
    ? { samples: r.samples, tasks, training: { ...sftTraining(ctx), ...r.training } }
    : { samples: UNTUNED_DEFAULTS.samples, tasks, training: { ...sftTraining(ctx), epochs: UNTUNED_DEFAULTS.epochs } }
}

/** The untuned agent (memoised: shared by the untuned row and every self-play strategy of a seed). */
export const untunedAgent = (ctx: StrategyContext) =>
  Effect.gen(function*() {
    const settings = untunedSettings(ctx)
    const random = { name: "random", policy: randomPolicy(ctx.seed), settings: { seed: ctx.seed } }
    const episodes = yield* explore(ctx.env, random, {
      split: "train",
      limit: ctx.trainTasks,
      subset: settings.tasks,
      samples: settings.samples,
      seed: ctx.seed
    })
    return yield* trainSft(ctx.env, modelSettings(ctx.config), [episodes], { training: settings.training, seed: ctx.seed })
  })

export const base: StrategyImpl<"base"> = {
  run: (ctx) =>
    Effect.gen(function*() {
      const untuned = yield* untunedAgent(ctx)
      return { evaluations: yield* evaluateCheckpoint(ctx, untuned) }
    })
}
