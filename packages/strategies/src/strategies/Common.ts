/**
 * Plumbing the strategy files share: the SFT agent every fine-tuning method
 * starts from, the untuned agent of the self-play experiments, and the
 * evaluation of a checkpoint. All of it goes through memoised phases, so the
 * SFT agent is trained once per seed and reused by every strategy.
 */
import { randomPolicy } from "@eto/core"
import { Effect } from "effect"
import { type ResolvedTraining, resolveStrategy } from "../Config"
import type { StrategyContext } from "../Experiment"
import { explore } from "../Phases"
import type { PhaseOutput } from "../Runner"
import { type CheckpointManifest, modelSettings, trainSft, withCheckpointPolicy } from "../Training"

/** The SFT settings of the experiment: its `sft` entry's, else the defaults. */
export const sftTraining = (ctx: StrategyContext): ResolvedTraining => {
  const entry = ctx.config.strategies.find((s) => s._tag === "sft") ?? { _tag: "sft" as const }
  const r = resolveStrategy(entry, ctx.config.env)
  return r._tag === "sft" ? r.training : (undefined as never)
}

/** The SFT agent: behavioural cloning on the expert data, from scratch. */
export const sftAgent = (ctx: StrategyContext) =>
  trainSft(ctx.env, modelSettings(ctx.config), [ctx.expert], { training: sftTraining(ctx), seed: ctx.seed })

/** Random-policy episodes per training task that the untuned model is pretrained on, and its epochs. */
export const UNTUNED_SAMPLES = 1
export const UNTUNED_EPOCHS = 1

/**
 * The untuned agent of the self-play experiments. No pretrained chat model
 * exists here, so this is a model trained from scratch (SFT learning rate
 * and batch size, one epoch) only on episodes of the random valid-action
 * policy on the
 * training tasks: it knows the reply format and the actions' syntax, not how
 * to solve a task.
 */
export const untunedAgent = (ctx: StrategyContext) =>
  Effect.gen(function*() {
    const random = { name: "random", policy: randomPolicy(ctx.seed), settings: { seed: ctx.seed } }
    const episodes = yield* explore(ctx.env, random, {
      split: "train",
      limit: ctx.trainTasks,
      subset: ctx.exploreTasks,
      samples: UNTUNED_SAMPLES,
      seed: ctx.seed
    })
    return yield* trainSft(ctx.env, modelSettings(ctx.config), [episodes], {
      training: { ...sftTraining(ctx), epochs: UNTUNED_EPOCHS },
      seed: ctx.seed
    })
  })

/** A stable policy name for a checkpoint, so its evaluations are shared. */
export const checkpointName = (ckpt: PhaseOutput<CheckpointManifest>): string => `${ckpt.phase}:${ckpt.key}`

/** Greedy evaluation of a checkpoint on the experiment's evaluation splits. */
export const evaluateCheckpoint = (ctx: StrategyContext, ckpt: PhaseOutput<CheckpointManifest>) =>
  withCheckpointPolicy(ctx.env, modelSettings(ctx.config), ckpt, { name: checkpointName(ckpt), temperature: 0, seed: ctx.seed }, ctx.evaluate)
