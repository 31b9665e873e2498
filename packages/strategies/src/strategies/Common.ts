/**
 * Plumbing the strategy files share: the SFT agent every fine-tuning method
 * starts from and the evaluation of a checkpoint (the untuned agent of the
 * self-play experiments is in Base.ts). All of it goes through memoised phases, so the
 * SFT agent is trained once per seed and reused by every strategy.
 */
import { Effect } from "effect"
import { type ResolvedTraining, resolveStrategy } from "../Config"
import type { StrategyContext } from "../Experiment"
import type { PhaseOutput } from "../Runner"
import { type CheckpointManifest, modelSettings, trainSft, withCheckpointPolicy } from "../Training"

/** The SFT settings of the experiment: its `sft` entry's, else the defaults. */
export const sftTraining = (ctx: StrategyContext): ResolvedTraining => {
  const entry = ctx.config.strategies.find((s) => s._tag === "sft") ?? { _tag: "sft" as const }
  const r = resolveStrategy(entry, ctx.config.env)
  return r._tag === "sft" ? r.training : (undefined as never)
}

/** The SFT agent: behavioural cloning on the expert data (and any perturbed expert episodes), from scratch. */
export const sftAgent = (ctx: StrategyContext) =>
  trainSft(ctx.env, modelSettings(ctx.config), ctx.sftData, { training: sftTraining(ctx), seed: ctx.seed })

/** A stable policy name for a checkpoint, so its evaluations are shared. */
export const checkpointName = (ckpt: PhaseOutput<CheckpointManifest>): string => `${ckpt.phase}:${ckpt.key}`

/** Greedy evaluation of a checkpoint on the experiment's evaluation splits. */
export const evaluateCheckpoint = (ctx: StrategyContext, ckpt: PhaseOutput<CheckpointManifest>) =>
  withCheckpointPolicy(ctx.env, modelSettings(ctx.config), ckpt, { name: checkpointName(ckpt), temperature: 0, seed: ctx.seed }, ctx.evaluate)
