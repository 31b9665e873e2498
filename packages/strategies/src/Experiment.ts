/**
 * Running an experiment: every strategy of the configuration, once per seed,
 * on one environment. Strategies are looked up in a strategy table (one
 * entry per strategy kind, each implemented in its own file); each receives
 * the shared context (environment, expert data, its resolved
 * hyper-parameters, the seed, an evaluation helper) and returns its
 * evaluations. All of their work goes through memoised phases, so a rerun
 * reuses what is finished and a killed run resumes.
 */
import {
  type DataFileError,
  type EvaluationSummary,
  InvalidInput,
  type PolicyError,
  type UnknownSplit,
  type UnknownTask
} from "@eto/core"
import type { LoadedEnvironment } from "@eto/envs"
import { Data, Effect, Result } from "effect"
import { checkLabels, type ExperimentConfig, lookAroundOf, perturbationOf, type ResolvedStrategy, scaleLimits, searchOf, type StrategyKind } from "./Config"
import { evaluate, type ExpertManifest, expertData, lookAroundProblem, perturbedExpertData, searchProblem, type PolicyRef } from "./Phases"
import { type PhaseOutput, RunReporter, RunStore } from "./Runner"

/** A strategy could not finish (a failure not covered by the shared error types). */
export class StrategyFailed extends Data.TaggedError("StrategyFailed")<{ readonly strategy: string; readonly reason: string }> {
  override get message(): string {
    return `${this.strategy}: ${this.reason}`
  }
}

export type StrategyError = DataFileError | PolicyError | UnknownSplit | UnknownTask | InvalidInput | StrategyFailed

/** Expert data is drawn with this seed for every experiment seed, so all seeds share it. */
export const EXPERT_SEED = 0

export interface StrategyContext<S extends ResolvedStrategy = ResolvedStrategy> {
  readonly env: LoadedEnvironment
  readonly config: ExperimentConfig
  readonly strategy: S
  readonly seed: number
  /** Task counts from the scale (undefined: the whole split). */
  readonly trainTasks: number | undefined
  /** Training tasks explored: a spread subset of the expert's tasks (undefined: all of them). */
  readonly exploreTasks: number | undefined
  readonly testTasks: number | undefined
  readonly evalSplits: ReadonlyArray<string>
  /** The expert's trajectories on the training split (shared by every seed and strategy; looking around with `expert.lookAround`). */
  readonly expert: PhaseOutput<ExpertManifest>
  /**
   * What the SFT agent is trained on: the expert data, then the perturbed
   * expert episodes when the configuration asks for them (`expert`).
   */
  readonly sftData: ReadonlyArray<PhaseOutput<{ readonly file: string }>>
  /** Evaluates a policy on every evaluation split (memoised phases). */
  readonly evaluate: (policy: PolicyRef) => Effect.Effect<ReadonlyArray<EvaluationSummary>, StrategyError, RunStore | RunReporter>
}

/** How much self-generated training data a strategy's stages got (reported beside its result). */
export interface TrainingData {
  /** Trajectories kept for fine-tuning (RFT stages). */
  readonly trajectories?: number
  /** Preference pairs trained on (ETO stages). */
  readonly pairs?: number
}

export interface StrategyRun {
  /** The final policy's evaluations, one per evaluation split. */
  readonly evaluations: ReadonlyArray<EvaluationSummary>
  /** Self-generated training data, where the strategy makes its own. */
  readonly data?: TrainingData
  /** Iterative strategies: evaluations after each iteration, iteration 0 being the starting policy. */
  readonly iterations?: ReadonlyArray<{ readonly iteration: number; readonly evaluations: ReadonlyArray<EvaluationSummary> }>
}

export interface StrategyImpl<K extends StrategyKind, R = never> {
  readonly run: (
    ctx: StrategyContext<Extract<ResolvedStrategy, { _tag: K }>>
  ) => Effect.Effect<StrategyRun, StrategyError, R | RunStore | RunReporter>
}

/** One implementation per strategy kind. */
export type StrategyTable<R = never> = { readonly [K in StrategyKind]?: StrategyImpl<K, R> }

/** What one strategy produced with one seed. */
export interface Outcome extends StrategyRun {
  readonly label: string
  readonly strategy: ResolvedStrategy
  readonly seed: number
}

/** Checks a configuration against an environment and a strategy table before any work starts. */
export const validate = <R>(
  config: ExperimentConfig,
  env: LoadedEnvironment,
  table: StrategyTable<R>
): Result.Result<{ strategies: ReadonlyArray<ResolvedStrategy>; evalSplits: ReadonlyArray<string> }, InvalidInput> =>
  Result.flatMap(checkLabels(config), (strategies) => {
    if (config.env !== env.name) {
      return Result.fail(new InvalidInput({ reason: `config ${config.name} is for ${config.env}, the environment given is ${env.name}` }))
    }
    const missing = [...new Set(strategies.map((s) => s._tag).filter((k) => table[k] === undefined))]
    if (missing.length > 0) {
      return Result.fail(new InvalidInput({ reason: `no implementation for strategy kind(s): ${missing.join(", ")}` }))
    }
    const evalSplits = config.evalSplits ?? [env.defaultSplit]
    const unknown = evalSplits.filter((s) => !env.splits.includes(s))
    if (unknown.length > 0) {
      return Result.fail(
        new InvalidInput({ reason: `${env.name} has no split ${unknown.join(", ")} (known: ${env.splits.join(", ")})` })
      )
    }
    if (!env.splits.includes("train")) return Result.fail(new InvalidInput({ reason: `${env.name} has no train split` }))
    const noLook = lookAroundProblem(env, lookAroundOf(config))
    if (noLook !== undefined) return Result.fail(noLook)
    const noSearch = searchProblem(env, searchOf(config))
    if (noSearch !== undefined) return Result.fail(noSearch)
    return Result.succeed({ strategies, evalSplits })
  })

/**
 * The SFT agent's training data: the expert data, then the perturbed expert
 * episodes on the same tasks when the configuration asks for them (played
 * the way the expert data was: looking around with `expert.lookAround`). Without
 * them it is `[expert]`, so the SFT phase keys of such configurations are
 * what they always were.
 */
export const sftDataOf = (
  config: ExperimentConfig,
  env: LoadedEnvironment,
  expert: PhaseOutput<ExpertManifest>,
  trainTasks: number | undefined
): Effect.Effect<ReadonlyArray<PhaseOutput<{ readonly file: string }>>, StrategyError, RunStore | RunReporter> => {
  const perturbation = perturbationOf(config)
  if (perturbation === undefined) return Effect.succeed([expert])
  return Effect.map(
    perturbedExpertData(env, { split: "train", limit: trainTasks, seed: EXPERT_SEED, perturbation, ...expertFormOf(config) }),
    (perturbed) => [expert, perturbed]
  )
}

/** How the configuration's expert plays (look-around, search), as the expert phases take it. */
const expertFormOf = (config: ExperimentConfig) => ({ lookAround: lookAroundOf(config), search: searchOf(config) })

const summaryLine = (label: string, seed: number, e: EvaluationSummary): string =>
  `${label} seed ${seed}: ${e.env}/${e.split} avg reward ${(100 * e.avgReward).toFixed(1)}, success ${(100 * e.successRate).toFixed(1)}, ${e.tasks} tasks`

/** Runs every strategy for every seed, in configuration order within each seed. */
export const runExperiment = <R>(
  config: ExperimentConfig,
  env: LoadedEnvironment,
  table: StrategyTable<R>
): Effect.Effect<Array<Outcome>, StrategyError, R | RunStore | RunReporter> =>
  Effect.gen(function*() {
    const { strategies, evalSplits } = yield* Effect.fromResult(validate(config, env, table))
    const reporter = yield* RunReporter
    const removed = yield* (yield* RunStore).cleanStale()
    if (removed.length > 0) reporter.line(`removed ${removed.length} unfinished phase director${removed.length === 1 ? "y" : "ies"} left by earlier runs`)
    const { trainTasks, testTasks, exploreTasks } = scaleLimits(config)
    const expert = yield* expertData(env, { split: "train", limit: trainTasks, seed: EXPERT_SEED, ...expertFormOf(config) })
    const sftData = yield* sftDataOf(config, env, expert, trainTasks)
    const outcomes: Array<Outcome> = []
    for (const seed of config.seeds) {
      const evaluateAll = (policy: PolicyRef) =>
        Effect.forEach(evalSplits, (split) =>
          Effect.map(evaluate(env, policy, { split, limit: testTasks, seed }), (out) => out.manifest.summary))
      for (const strategy of strategies) {
        const impl = table[strategy._tag] as StrategyImpl<StrategyKind, R>
        const ctx: StrategyContext = {
          env,
          config,
          strategy,
          seed,
          trainTasks,
          exploreTasks,
          testTasks,
          evalSplits,
          expert,
          sftData,
          evaluate: evaluateAll
        }
        const run = yield* impl.run(ctx as StrategyContext<never>)
        for (const e of run.evaluations) reporter.line(summaryLine(strategy.label, seed, e))
        outcomes.push({ label: strategy.label, strategy, seed, ...run })
      }
    }
    return outcomes
  })
