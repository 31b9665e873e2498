/**
 * The phases every strategy shares and that need no training code: expert
 * data, exploration (whole episodes, or step-level continuations after
 * teacher-forcing an expert prefix), pair building and evaluation. Each is a
 * memoised phase (Runner.ts) whose files are JSONL through the core schemas
 * and whose manifest is typed.
 *
 * A policy enters a phase key through a `PolicyRef`: a name, the phase that
 * produced it (a training phase's output) and any settings that change its
 * behaviour (e.g. a sampling temperature).
 */
import * as path from "node:path"
import {
  type DataFileError,
  type EnvironmentShape,
  EvaluationSummary,
  Jsonl,
  type PolicyError,
  type PolicyShape,
  PreferencePair,
  Random,
  rollout,
  summarize,
  type Task,
  Trajectory,
  type UnknownSplit,
  type UnknownTask
} from "@eto/core"
import { InvalidInput } from "@eto/core"
import { Effect, Schema } from "effect"
import type { EtoLevel } from "./Config"
import * as Pairs from "./Pairs"
import { type Perturbation, perturbedEpisodes } from "./Perturbed"
import { memoPhase, type PhaseOutput, type PhaseSpec, type RunReporter, type RunStore } from "./Runner"

export const PHASE_VERSIONS = { expert: "1", expertPerturbed: "1", explore: "1", stepExplore: "1", pairs: "1", evaluate: "1" } as const

export interface PolicyRef {
  readonly name: string
  readonly policy: PolicyShape
  /** The phase that produced this policy (a checkpoint), if any. */
  readonly from?: PhaseOutput<unknown> | undefined
  /** Settings that change what the policy does (temperature, ...). */
  readonly settings?: unknown
}

/**
 * `limit` tasks spread evenly over the split (every (n / limit)-th task), so
 * a small run still covers all task types of a split ordered by type; all
 * tasks when `limit` is undefined or not smaller than the split.
 */
export const selectTasks = <A = Task>(tasks: ReadonlyArray<A>, limit: number | undefined): Array<A> => {
  if (limit === undefined || limit >= tasks.length) return tasks.slice()
  return Array.from({ length: limit }, (_, i) => tasks[Math.floor((i * tasks.length) / limit)]!)
}

const TrajectoryFile = Schema.Struct({ file: Schema.String, trajectories: Schema.Int })

export const ExpertManifest = Schema.Struct({
  ...TrajectoryFile.fields,
  split: Schema.String,
  successes: Schema.Int,
  avgReward: Schema.Finite
})
export type ExpertManifest = typeof ExpertManifest.Type

export const PerturbedManifest = Schema.Struct({
  ...TrajectoryFile.fields,
  split: Schema.String,
  /** Episodes played; `trajectories` of them were kept. */
  played: Schema.Int,
  successes: Schema.Int,
  /** Wrong actions in the kept episodes, by kind (Perturbed.MistakeKind). */
  injected: Schema.Struct({ valid: Schema.Int, repeat: Schema.Int, earlier: Schema.Int }),
  withoutMistake: Schema.Int
})
export type PerturbedManifest = typeof PerturbedManifest.Type

export const ExploreManifest = Schema.Struct({
  ...TrajectoryFile.fields,
  split: Schema.String,
  samples: Schema.Int,
  successes: Schema.Int,
  avgReward: Schema.Finite
})
export type ExploreManifest = typeof ExploreManifest.Type

/** A step-level exploration on disk: the step the agent took over at, and its episode. */
export const StepExplorationRecord = Schema.Struct({ t: Schema.Int, trajectory: Trajectory })

export const StepExploreManifest = Schema.Struct({ ...TrajectoryFile.fields, avgReward: Schema.Finite })
export type StepExploreManifest = typeof StepExploreManifest.Type

export const PairsManifest = Schema.Struct({
  file: Schema.String,
  level: Schema.Literals(["trajectory", "step", "mixture", "self-play"]),
  pairs: Schema.Int,
  considered: Schema.Int,
  ties: Schema.Int,
  bothSuccessful: Schema.Int,
  flipped: Schema.Int,
  truncated: Schema.Int,
  noExpert: Schema.Int
})
export type PairsManifest = typeof PairsManifest.Type

export const EvaluateManifest = Schema.Struct({ file: Schema.String, summary: EvaluationSummary })
export type EvaluateManifest = typeof EvaluateManifest.Type

type PhaseError = DataFileError | PolicyError | UnknownSplit | UnknownTask
type PhaseEnv = RunStore | RunReporter

/** The trajectories a phase wrote. */
export const readTrajectories = (out: PhaseOutput<{ readonly file: string }>): Effect.Effect<Array<Trajectory>, DataFileError> =>
  Jsonl.readJsonl(Trajectory, path.join(out.dir, out.manifest.file))

export const readStepExplorations = (
  out: PhaseOutput<StepExploreManifest>
): Effect.Effect<Array<Pairs.StepExploration>, DataFileError> =>
  Jsonl.readJsonl(StepExplorationRecord, path.join(out.dir, out.manifest.file))

export const readPairs = (out: PhaseOutput<PairsManifest>): Effect.Effect<Array<PreferencePair>, DataFileError> =>
  Jsonl.readJsonl(PreferencePair, path.join(out.dir, out.manifest.file))

const mean = (xs: ReadonlyArray<number>): number => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length)

const policyKey = (p: PolicyRef) => ({ name: p.name, settings: p.settings ?? null })
const policyUpstream = (p: PolicyRef): Record<string, PhaseOutput<unknown>> => (p.from === undefined ? {} : { policy: p.from })

/** An environment with an expert, and its look-around form where it has one (LoadedEnvironment). */
export type ExpertEnvironment = EnvironmentShape & {
  expert(seed: number): PolicyShape
  withLookAround?(policy: PolicyShape): PolicyShape
  listedSearchExpert?(seed: number): PolicyShape
}

/** How the expert searches (`expert.search`): "listed" for the environment's listed-search form. */
export type ExpertSearch = "listed"

/** Why an environment cannot play `expert.search`, or undefined when it can (or it is not asked for). */
export const searchProblem = (env: ExpertEnvironment, search: ExpertSearch | undefined): InvalidInput | undefined =>
  search === "listed" && env.listedSearchExpert === undefined
    ? new InvalidInput({ reason: `expert.search: the ${env.name} expert has no listed-search form (only alfworld's has)` })
    : undefined

/** The expert (per seed) that `search` asks for, failing where the environment has no such form. */
const expertMaker = (env: ExpertEnvironment, search: ExpertSearch | undefined): Effect.Effect<(seed: number) => PolicyShape, InvalidInput> => {
  const problem = searchProblem(env, search)
  if (problem !== undefined) return Effect.fail(problem)
  const listed = env.listedSearchExpert
  return Effect.succeed(search === "listed" && listed !== undefined ? (seed) => listed(seed) : (seed) => env.expert(seed))
}

/** Why an environment cannot play `expert.lookAround`, or undefined when it can (or it is not asked for). */
export const lookAroundProblem = (env: ExpertEnvironment, lookAround: boolean | undefined): InvalidInput | undefined =>
  lookAround === true && env.withLookAround === undefined
    ? new InvalidInput({ reason: `expert.lookAround: the ${env.name} expert has no look-around form (only sciworld's has)` })
    : undefined

/** The environment's look-around wrapper when `lookAround` is set (undefined when not), failing where it has none. */
const lookingIf = (env: ExpertEnvironment, lookAround: boolean | undefined): Effect.Effect<((p: PolicyShape) => PolicyShape) | undefined, InvalidInput> => {
  const problem = lookAroundProblem(env, lookAround)
  return problem !== undefined ? Effect.fail(problem) : Effect.succeed(lookAround === true ? env.withLookAround : undefined)
}

interface ExpertOptions {
  readonly split: string
  readonly limit?: number | undefined
  readonly seed: number
  readonly settings?: unknown
  /** The expert looks around wherever it arrives (`expert.lookAround`); a key entry only when set. */
  readonly lookAround?: boolean | undefined
  /** The expert's search (`expert.search`); a key entry only when set. */
  readonly search?: ExpertSearch | undefined
}

/** What the expert data phase is keyed by. */
export const expertSpec = (env: EnvironmentShape, options: ExpertOptions): PhaseSpec<ExpertManifest, typeof ExpertManifest.Encoded> => ({
  phase: "expert",
  version: PHASE_VERSIONS.expert,
  config: {
    env: env.name,
    split: options.split,
    limit: options.limit ?? null,
    seed: options.seed,
    settings: options.settings ?? null,
    ...(options.lookAround === true ? { lookAround: true } : {}),
    ...(options.search === undefined ? {} : { search: options.search })
  },
  manifest: ExpertManifest
})

/** The expert's trajectories on (a spread subset of) a split. */
export const expertData = (
  env: ExpertEnvironment,
  options: ExpertOptions
): Effect.Effect<PhaseOutput<ExpertManifest>, PhaseError | InvalidInput, PhaseEnv> =>
  Effect.flatMap(Effect.all([lookingIf(env, options.lookAround), expertMaker(env, options.search)]), ([around, makeExpert]) =>
    memoPhase(
      expertSpec(env, options),
      (ctx) =>
        Effect.gen(function*() {
          const tasks = selectTasks(yield* env.tasks(options.split), options.limit)
          const expert = makeExpert(options.seed)
          const trajectories = yield* rollout(env, around === undefined ? expert : around(expert), tasks, {
            source: { kind: "expert" },
            onEpisode: (done, total) => ctx.progress(done, total)
          })
          yield* Jsonl.writeJsonl(Trajectory, path.join(ctx.dir, "trajectories.jsonl"), trajectories)
          return {
            file: "trajectories.jsonl",
            trajectories: trajectories.length,
            split: options.split,
            successes: trajectories.filter((t) => t.success).length,
            avgReward: mean(trajectories.map((t) => t.reward))
          }
        })
    ))

/**
 * Perturbed expert episodes (Perturbed.ts) on the tasks `expertData` plays
 * with the same options: `perturbation.episodes` per task, wrong actions
 * marked `loss: false`, extra to the clean episodes of `expertData`; with
 * `lookAround`, in the environment's look-around form like the expert data.
 */
export const perturbedExpertData = (
  env: ExpertEnvironment,
  options: {
    readonly split: string
    readonly limit?: number | undefined
    readonly seed: number
    readonly perturbation: Perturbation
    readonly lookAround?: boolean | undefined
    readonly search?: ExpertSearch | undefined
  }
): Effect.Effect<PhaseOutput<PerturbedManifest>, PhaseError | InvalidInput, PhaseEnv> =>
  Effect.flatMap(Effect.all([lookingIf(env, options.lookAround), expertMaker(env, options.search)]), ([around, makeExpert]) =>
    memoPhase(
      {
        phase: "expert-perturbed",
        version: PHASE_VERSIONS.expertPerturbed,
        config: {
          env: env.name,
          split: options.split,
          limit: options.limit ?? null,
          seed: options.seed,
          perturbation: options.perturbation,
          ...(options.lookAround === true ? { lookAround: true } : {}),
          ...(options.search === undefined ? {} : { search: options.search })
        },
        manifest: PerturbedManifest
      },
      (ctx) =>
        Effect.gen(function*() {
          const tasks = selectTasks(yield* env.tasks(options.split), options.limit)
          const { trajectories, stats } = yield* perturbedEpisodes(env, makeExpert, tasks, options.perturbation, {
            seed: options.seed,
            onEpisode: (done, total) => ctx.progress(done, total),
            ...(around === undefined ? {} : { around })
          })
          yield* Jsonl.writeJsonl(Trajectory, path.join(ctx.dir, "trajectories.jsonl"), trajectories)
          const wrong = stats.injected.valid + stats.injected.repeat + stats.injected.earlier
          ctx.log(
            `${stats.kept} of ${stats.played} perturbed episodes kept (${stats.solved} solved), ${wrong} wrong actions ` +
              `(${stats.injected.valid} valid, ${stats.injected.repeat} repeated, ${stats.injected.earlier} earlier), ${stats.withoutMistake} without one`
          )
          return {
            file: "trajectories.jsonl",
            trajectories: trajectories.length,
            split: options.split,
            played: stats.played,
            successes: stats.solved,
            injected: stats.injected,
            withoutMistake: stats.withoutMistake
          }
        })
    ))

/**
 * Whole-episode exploration: each task `samples` times, in task order (all
 * tasks once, then again).
 */
export const explore = (
  env: EnvironmentShape,
  policy: PolicyRef,
  options: {
    readonly split: string
    readonly limit?: number | undefined
    readonly samples?: number
    readonly batchSize?: number
    readonly seed: number
    /** Explore only a spread subset of this many of the selected tasks. */
    readonly subset?: number | undefined
  }
): Effect.Effect<PhaseOutput<ExploreManifest>, PhaseError, PhaseEnv> => {
  const samples = options.samples ?? 1
  const subset = options.subset !== undefined && (options.limit === undefined || options.subset < options.limit) ? options.subset : undefined
  return memoPhase(
    {
      phase: "explore",
      version: PHASE_VERSIONS.explore,
      config: {
        env: env.name,
        split: options.split,
        limit: options.limit ?? null,
        ...(subset !== undefined ? { subset } : {}),
        samples,
        seed: options.seed,
        policy: policyKey(policy)
      },
      upstream: policyUpstream(policy),
      manifest: ExploreManifest
    },
    (ctx) =>
      Effect.gen(function*() {
        const tasks = selectTasks(selectTasks(yield* env.tasks(options.split), options.limit), subset)
        const all: Array<Trajectory> = []
        for (let s = 0; s < samples; s++) {
          const batch = yield* rollout(env, policy.policy, tasks, {
            source: { kind: "policy", name: policy.name },
            ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
            onEpisode: (done) => ctx.progress(s * tasks.length + done, samples * tasks.length)
          })
          all.push(...batch)
        }
        yield* Jsonl.writeJsonl(Trajectory, path.join(ctx.dir, "explorations.jsonl"), all)
        return {
          file: "explorations.jsonl",
          trajectories: all.length,
          split: options.split,
          samples,
          successes: all.filter((t) => t.success).length,
          avgReward: mean(all.map((t) => t.reward))
        }
      })
  )
}

/** One teacher-forced episode: the expert's first t-1 actions, then the policy. */
interface Forced {
  readonly expert: Trajectory
  readonly t: number
}

/**
 * Step-level exploration (Appendix C, Eq. 12), batched like `rollout`: for
 * each expert trajectory, the environment replays the expert's first t-1
 * actions, then the policy acts until the episode ends. The step t is drawn
 * per trajectory from 1..n with a seeded generator.
 */
export const stepRollout = (
  env: EnvironmentShape,
  policy: PolicyShape,
  items: ReadonlyArray<Forced>,
  options: { readonly name: string; readonly batchSize?: number; readonly onEpisode?: (done: number, total: number) => void }
): Effect.Effect<Array<Pairs.StepExploration>, PolicyError | UnknownTask | InvalidInput> =>
  Effect.map(
    rollout(env, policy, items.map((item) => item.expert.task), {
      source: { kind: "policy", name: options.name },
      prefixes: items.map((item) => item.expert.turns.slice(0, item.t - 1)),
      ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
      ...(options.onEpisode === undefined ? {} : { onEpisode: (done: number, total: number) => options.onEpisode!(done, total) })
    }),
    (trajectories) => trajectories.map((trajectory, i) => ({ t: items[i]!.t, trajectory }))
  )

/** The step at which the agent takes over, per expert trajectory (1..n, seeded). */
export const drawSteps = (experts: ReadonlyArray<Trajectory>, seed: number): Array<Forced> => {
  const rng = Random.make(`step-positions:${seed}`)
  return experts.filter((e) => e.turns.length > 0).map((expert) => ({ expert, t: 1 + rng.int(expert.turns.length) }))
}

export const stepExplore = (
  env: EnvironmentShape,
  policy: PolicyRef,
  expert: PhaseOutput<ExpertManifest>,
  options: { readonly seed: number; readonly batchSize?: number; readonly subset?: number | undefined }
): Effect.Effect<PhaseOutput<StepExploreManifest>, PhaseError | InvalidInput, PhaseEnv> =>
  memoPhase(
    {
      phase: "step-explore",
      version: PHASE_VERSIONS.stepExplore,
      config: {
        env: env.name,
        seed: options.seed,
        policy: policyKey(policy),
        ...(options.subset !== undefined && options.subset < expert.manifest.trajectories ? { subset: options.subset } : {})
      },
      upstream: { ...policyUpstream(policy), expert },
      manifest: StepExploreManifest
    },
    (ctx) =>
      Effect.gen(function*() {
        const experts = selectTasks(yield* readTrajectories(expert), options.subset)
        const records = yield* stepRollout(env, policy.policy, drawSteps(experts, options.seed), {
          name: policy.name,
          ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
          onEpisode: ctx.progress
        })
        yield* Jsonl.writeJsonl(StepExplorationRecord, path.join(ctx.dir, "step-explorations.jsonl"), records)
        return {
          file: "step-explorations.jsonl",
          trajectories: records.length,
          avgReward: mean(records.map((r) => r.trajectory.reward))
        }
      })
  )

const pairsManifest = (level: PairsManifest["level"], set: Pairs.PairSet): PairsManifest => ({
  file: "pairs.jsonl",
  level,
  ...set.stats,
  pairs: set.pairs.length
})

/** ETO preference pairs at the given level from expert data and explorations. */
export const buildPairs = (
  level: EtoLevel,
  inputs: {
    readonly expert: PhaseOutput<ExpertManifest>
    readonly explorations?: PhaseOutput<ExploreManifest> | undefined
    readonly stepExplorations?: PhaseOutput<StepExploreManifest> | undefined
  },
  options: Pairs.StepPairOptions = {}
): Effect.Effect<PhaseOutput<PairsManifest>, DataFileError | InvalidInput, PhaseEnv> => {
  const needsTraj = level !== "step", needsStep = level !== "trajectory"
  if ((needsTraj && inputs.explorations === undefined) || (needsStep && inputs.stepExplorations === undefined)) {
    return Effect.fail(new InvalidInput({ reason: `${level}-level pairs need ${needsTraj ? "explorations" : ""}${needsTraj && needsStep ? " and " : ""}${needsStep ? "step explorations" : ""}` }))
  }
  return memoPhase(
    {
      phase: "pairs",
      version: PHASE_VERSIONS.pairs,
      config: {
        level,
        margin: options.margin ?? Pairs.TRUNCATION_MARGIN,
        dropBothSuccessful: options.dropBothSuccessful ?? true,
        scope: options.scope ?? "action"
      },
      upstream: {
        expert: inputs.expert,
        ...(needsTraj ? { explorations: inputs.explorations! } : {}),
        ...(needsStep ? { stepExplorations: inputs.stepExplorations! } : {})
      },
      manifest: PairsManifest
    },
    (ctx) =>
      Effect.gen(function*() {
        const experts = yield* readTrajectories(inputs.expert)
        const explorations = needsTraj ? yield* readTrajectories(inputs.explorations!) : []
        const steps = needsStep ? yield* readStepExplorations(inputs.stepExplorations!) : []
        const set = yield* Effect.fromResult(
          level === "trajectory"
            ? Pairs.trajectoryPairs(experts, explorations, options)
            : level === "step"
            ? Pairs.stepPairs(experts, steps, options)
            : Pairs.mixturePairs(experts, explorations, steps, options)
        )
        yield* Jsonl.writeJsonl(PreferencePair, path.join(ctx.dir, "pairs.jsonl"), set.pairs)
        ctx.log(`${set.pairs.length} pairs from ${set.stats.considered} explorations (${set.stats.ties} ties, ${set.stats.flipped} flipped, ${set.stats.truncated} truncated)`)
        return pairsManifest(level, set)
      })
  )
}

/** Self-play pairs (Section 4.5) from several samples per task. */
export const buildSelfPlayPairs = (
  explorations: PhaseOutput<ExploreManifest>,
  options: Pairs.SelfPlayOptions = {}
): Effect.Effect<PhaseOutput<PairsManifest>, DataFileError, PhaseEnv> =>
  memoPhase(
    {
      phase: "pairs",
      version: PHASE_VERSIONS.pairs,
      config: { level: "self-play", mode: options.mode ?? "best-worst", margin: options.margin ?? Pairs.TRUNCATION_MARGIN },
      upstream: { explorations },
      manifest: PairsManifest
    },
    (ctx) =>
      Effect.gen(function*() {
        const set = Pairs.selfPlayPairs(yield* readTrajectories(explorations), options)
        yield* Jsonl.writeJsonl(PreferencePair, path.join(ctx.dir, "pairs.jsonl"), set.pairs)
        return pairsManifest("self-play", set)
      })
  )

/** A policy's evaluation on (a spread subset of) a split: trajectories and summary. */
export const evaluate = (
  env: EnvironmentShape,
  policy: PolicyRef,
  options: { readonly split: string; readonly limit?: number | undefined; readonly seed: number; readonly batchSize?: number }
): Effect.Effect<PhaseOutput<EvaluateManifest>, PhaseError, PhaseEnv> =>
  memoPhase(
    {
      phase: "evaluate",
      version: PHASE_VERSIONS.evaluate,
      config: { env: env.name, split: options.split, limit: options.limit ?? null, seed: options.seed, policy: policyKey(policy) },
      upstream: policyUpstream(policy),
      manifest: EvaluateManifest
    },
    (ctx) =>
      Effect.gen(function*() {
        const t0 = performance.now()
        const tasks = selectTasks(yield* env.tasks(options.split), options.limit)
        const trajectories = yield* rollout(env, policy.policy, tasks, {
          source: { kind: "policy", name: policy.name },
          ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
          onEpisode: (done, total) => ctx.progress(done, total)
        })
        yield* Jsonl.writeJsonl(Trajectory, path.join(ctx.dir, "trajectories.jsonl"), trajectories)
        const summary = summarize(trajectories, {
          env: env.name,
          split: options.split,
          policy: policy.name,
          seed: options.seed,
          wallSeconds: (performance.now() - t0) / 1000
        })
        return { file: "trajectories.jsonl", summary }
      })
  )


/**
 * Best-of-N as an evaluation: per task, the sample of `samples` with the
 * highest final reward (the earliest on ties), summarised like `evaluate`.
 */
export const bestOfNEvaluation = (
  env: EnvironmentShape,
  samples: PhaseOutput<ExploreManifest>,
  options: { readonly policy: string; readonly seed: number }
): Effect.Effect<PhaseOutput<EvaluateManifest>, DataFileError, PhaseEnv> =>
  memoPhase(
    {
      phase: "best-of-n",
      version: PHASE_VERSIONS.evaluate,
      config: { env: env.name, policy: options.policy, seed: options.seed },
      upstream: { samples },
      manifest: EvaluateManifest
    },
    (ctx) =>
      Effect.gen(function*() {
        const best = Pairs.bestOfN(yield* readTrajectories(samples))
        yield* Jsonl.writeJsonl(Trajectory, path.join(ctx.dir, "trajectories.jsonl"), best)
        const summary = summarize(best, {
          env: env.name,
          split: samples.manifest.split,
          policy: options.policy,
          seed: options.seed,
          wallSeconds: samples.wallSeconds
        })
        return { file: "trajectories.jsonl", summary }
      })
  )
