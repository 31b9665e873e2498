/**
 * Training-data selection from explorations, as the paper builds it:
 *
 * - ETO trajectory-level pairs (Section 3.2, "Exploration Phase"): the agent's
 *   exploration of a training task is compared with the expert trajectory of
 *   that task by final reward. Only pairs with different rewards are kept, and
 *   a pair where both trajectories succeed is discarded. The official release
 *   adds three rules (tables.json, `hyperparameters.official_code_extras`):
 *   ties are dropped, the pair is flipped when the agent beats the expert, and
 *   the failed trajectory is truncated to at most 5 rounds more than the
 *   expert's.
 * - ETO step-level pairs (Section 4.4 and Appendix C, Eq. 12-13): the expert's
 *   first t-1 turns are teacher-forced, the agent continues from step t, and
 *   the final rewards decide which t-th action is better. The shared prefix is
 *   the expert's first t-1 turns.
 * - Mixture (Section 4.4): both sets together.
 * - RFT (Section 4.1, Baselines): successful explorations added to the expert
 *   data.
 * - Best-of-N (Section 4.1): the best of N samples per task.
 * - Self-play (Section 4.5): trajectories of the same instruction compared by
 *   final reward, no expert involved.
 *
 * Everything here is a pure function over core `Trajectory` values.
 */
import { InvalidInput, type PreferencePair, type Trajectory, type Turn } from "@eto/core"
import { Result } from "effect"

/** Extra rounds a rejected trajectory may have over the expert's (official release). */
export const TRUNCATION_MARGIN = 5

/** Why an exploration gave no pair, and how the kept pairs came about. */
export interface PairStats {
  /** Explorations looked at. */
  readonly considered: number
  readonly pairs: number
  /** Same final reward on both sides. */
  readonly ties: number
  /** Different rewards, but both trajectories succeeded (Section 3.2). */
  readonly bothSuccessful: number
  /** Pairs where the agent beat the expert, so the agent's side is chosen. */
  readonly flipped: number
  /** Pairs whose rejected side was cut to the margin. */
  readonly truncated: number
  /** Explorations of tasks without an expert trajectory. */
  readonly noExpert: number
}

export interface PairSet {
  readonly pairs: ReadonlyArray<PreferencePair>
  readonly stats: PairStats
}

export const emptyStats: PairStats = {
  considered: 0,
  pairs: 0,
  ties: 0,
  bothSuccessful: 0,
  flipped: 0,
  truncated: 0,
  noExpert: 0
}

export const addStats = (a: PairStats, b: PairStats): PairStats => ({
  considered: a.considered + b.considered,
  pairs: a.pairs + b.pairs,
  ties: a.ties + b.ties,
  bothSuccessful: a.bothSuccessful + b.bothSuccessful,
  flipped: a.flipped + b.flipped,
  truncated: a.truncated + b.truncated,
  noExpert: a.noExpert + b.noExpert
})

export interface PairOptions {
  /** Rounds the rejected side may exceed the expert's by (default 5). */
  readonly margin?: number
  /** Discard pairs where both sides succeeded, as Section 3.2 says (default true). */
  readonly dropBothSuccessful?: boolean
}

const taskKey = (t: Trajectory): string => `${t.task.env}/${t.task.id}`

/** Expert trajectories by task; two experts for one task is an input error. */
export const indexExperts = (experts: ReadonlyArray<Trajectory>): Result.Result<Map<string, Trajectory>, InvalidInput> => {
  const byTask = new Map<string, Trajectory>()
  for (const e of experts) {
    const key = taskKey(e)
    if (byTask.has(key)) return Result.fail(new InvalidInput({ reason: `two expert trajectories for task ${key}` }))
    byTask.set(key, e)
  }
  return Result.succeed(byTask)
}

type Verdict =
  | { readonly keep: false; readonly why: "ties" | "bothSuccessful" }
  | { readonly keep: true; readonly agentWins: boolean }

/** The paper's rule for one expert/agent comparison. */
const judge = (
  expert: { reward: number; success: boolean },
  agent: { reward: number; success: boolean },
  dropBothSuccessful: boolean
): Verdict => {
  if (agent.reward === expert.reward) return { keep: false, why: "ties" }
  if (dropBothSuccessful && agent.success && expert.success) return { keep: false, why: "bothSuccessful" }
  return { keep: true, agentWins: agent.reward > expert.reward }
}

/** Cuts `turns` to `limit` rounds; says whether anything was cut. */
const cut = (turns: ReadonlyArray<Turn>, limit: number): [ReadonlyArray<Turn>, boolean] =>
  turns.length > limit ? [turns.slice(0, limit), true] : [turns, false]

class StatsBuilder {
  considered = 0
  pairs = 0
  ties = 0
  bothSuccessful = 0
  flipped = 0
  truncated = 0
  noExpert = 0
  done(): PairStats {
    return { ...this }
  }
}

/**
 * ETO trajectory-level pairs: every exploration against the expert of its
 * task. The rejected side is truncated to `expert rounds + margin`, whichever
 * side it is (when the pair is flipped the rejected side is the expert, which
 * the limit never cuts).
 */
export const trajectoryPairs = (
  experts: ReadonlyArray<Trajectory>,
  explorations: ReadonlyArray<Trajectory>,
  options: PairOptions = {}
): Result.Result<PairSet, InvalidInput> =>
  Result.map(indexExperts(experts), (byTask) => {
    const margin = options.margin ?? TRUNCATION_MARGIN
    const dropBoth = options.dropBothSuccessful ?? true
    const stats = new StatsBuilder()
    const pairs: Array<PreferencePair> = []
    for (const agent of explorations) {
      stats.considered++
      const expert = byTask.get(taskKey(agent))
      if (expert === undefined) {
        stats.noExpert++
        continue
      }
      const v = judge(expert, agent, dropBoth)
      if (!v.keep) {
        stats[v.why]++
        continue
      }
      const [chosen, rejected] = v.agentWins ? [agent, expert] : [expert, agent]
      const [rejectedTurns, wasCut] = cut(rejected.turns, expert.turns.length + margin)
      if (v.agentWins) stats.flipped++
      if (wasCut) stats.truncated++
      stats.pairs++
      pairs.push({
        level: "trajectory",
        task: expert.task,
        initialObservation: expert.initialObservation,
        prefix: [],
        chosen: chosen.turns,
        rejected: rejectedTurns,
        chosenReward: chosen.reward,
        rejectedReward: rejected.reward
      })
    }
    return { pairs, stats: stats.done() }
  })

/**
 * One step-level exploration (Appendix C, Eq. 12): the expert's first `t - 1`
 * turns were teacher-forced, then the agent acted from step `t` on.
 * `trajectory.turns` holds the whole episode, forced prefix included, and
 * `trajectory.reward` its final reward.
 */
export interface StepExploration {
  /** 1-based step at which the agent took over. */
  readonly t: number
  readonly trajectory: Trajectory
}

export interface StepPairOptions extends PairOptions {
  /**
   * What the two sides hold after the shared prefix. `"action"` (default) is
   * Eq. 13: the t-th turn alone, a_w against a_l. `"continuation"` keeps each
   * side's turns from step t to the end, the rejected one truncated to the
   * expert's remaining rounds plus the margin.
   */
  readonly scope?: "action" | "continuation"
}

/**
 * ETO step-level pairs. The quality of the t-th action is the final reward of
 * the episode it leads to: the expert's own reward for a_t, the exploration's
 * reward for the agent's action. Same rules as at trajectory level for ties,
 * double success and flipping.
 */
export const stepPairs = (
  experts: ReadonlyArray<Trajectory>,
  explorations: ReadonlyArray<StepExploration>,
  options: StepPairOptions = {}
): Result.Result<PairSet, InvalidInput> =>
  Result.flatMap(indexExperts(experts), (byTask) => {
    const margin = options.margin ?? TRUNCATION_MARGIN
    const dropBoth = options.dropBothSuccessful ?? true
    const scope = options.scope ?? "action"
    const stats = new StatsBuilder()
    const pairs: Array<PreferencePair> = []
    for (const { t, trajectory: agent } of explorations) {
      stats.considered++
      const key = taskKey(agent)
      const expert = byTask.get(key)
      if (expert === undefined) {
        stats.noExpert++
        continue
      }
      if (!Number.isInteger(t) || t < 1 || t > expert.turns.length) {
        return Result.fail(
          new InvalidInput({ reason: `step exploration of ${key}: t=${t} outside the expert's 1..${expert.turns.length} steps` })
        )
      }
      if (agent.turns.length < t) {
        return Result.fail(
          new InvalidInput({ reason: `step exploration of ${key} from t=${t} has only ${agent.turns.length} turns` })
        )
      }
      for (let i = 0; i < t - 1; i++) {
        if (agent.turns[i]!.action !== expert.turns[i]!.action) {
          return Result.fail(
            new InvalidInput({
              reason: `step exploration of ${key} from t=${t}: turn ${i + 1} is '${agent.turns[i]!.action}', the expert's is '${expert.turns[i]!.action}'`
            })
          )
        }
      }
      const v = judge(expert, agent, dropBoth)
      if (!v.keep) {
        stats[v.why]++
        continue
      }
      const expertSide = scope === "action" ? expert.turns.slice(t - 1, t) : expert.turns.slice(t - 1)
      const agentSide = scope === "action" ? agent.turns.slice(t - 1, t) : agent.turns.slice(t - 1)
      const [chosen, rejected] = v.agentWins ? [agentSide, expertSide] : [expertSide, agentSide]
      const [rejectedTurns, wasCut] = scope === "action" ? [rejected, false] : cut(rejected, expertSide.length + margin)
      if (v.agentWins) stats.flipped++
      if (wasCut) stats.truncated++
      stats.pairs++
      pairs.push({
        level: "step",
        task: expert.task,
        initialObservation: expert.initialObservation,
        prefix: expert.turns.slice(0, t - 1),
        chosen,
        rejected: rejectedTurns,
        chosenReward: v.agentWins ? agent.reward : expert.reward,
        rejectedReward: v.agentWins ? expert.reward : agent.reward
      })
    }
    return Result.succeed({ pairs, stats: stats.done() })
  })

/** Mixture level (Section 4.4): trajectory-level and step-level pairs together. */
export const mixturePairs = (
  experts: ReadonlyArray<Trajectory>,
  explorations: ReadonlyArray<Trajectory>,
  stepExplorations: ReadonlyArray<StepExploration>,
  options: StepPairOptions = {}
): Result.Result<PairSet, InvalidInput> =>
  Result.flatMap(trajectoryPairs(experts, explorations, options), (traj) =>
    Result.map(stepPairs(experts, stepExplorations, options), (step) => ({
      pairs: [...traj.pairs, ...step.pairs],
      stats: addStats(traj.stats, step.stats)
    })))

const actionKey = (t: Trajectory): string => `${taskKey(t)}\u0000${t.turns.map((x) => x.action).join("\u0001")}`

/**
 * Whether fine-tuning keeps an exploration: a successful one (the paper's
 * rule, `minReward` undefined), or one whose final reward is at least
 * `minReward` (dense rewards, where success is too rare to learn from).
 */
export const kept = (t: Trajectory, minReward?: number | undefined): boolean =>
  t.success || (minReward !== undefined && t.reward >= minReward)

/** Kept explorations (see `kept`), one per distinct action sequence of a task, in input order. */
export const successful = (explorations: ReadonlyArray<Trajectory>, minReward?: number | undefined): Array<Trajectory> => {
  const seen = new Set<string>()
  const out: Array<Trajectory> = []
  for (const t of explorations) {
    if (!kept(t, minReward)) continue
    const key = actionKey(t)
    if (seen.has(key)) continue
    seen.add(key)
    out.push(t)
  }
  return out
}

/**
 * The RFT training set: the expert data plus the kept (successful, or with
 * a reward of at least `minReward`) explorations whose action sequence is not
 * already there (an exact copy of an expert trajectory adds nothing but weight).
 */
export const rftDataset = (
  experts: ReadonlyArray<Trajectory>,
  explorations: ReadonlyArray<Trajectory>,
  minReward?: number | undefined
): { readonly trajectories: ReadonlyArray<Trajectory>; readonly added: number } => {
  const known = new Set(experts.map(actionKey))
  const added = successful(explorations, minReward).filter((t) => !known.has(actionKey(t)))
  return { trajectories: [...experts, ...added], added: added.length }
}

/** Groups trajectories by task, keeping first-seen task order and input order within a task. */
export const groupByTask = (trajectories: ReadonlyArray<Trajectory>): Array<Array<Trajectory>> => {
  const groups = new Map<string, Array<Trajectory>>()
  for (const t of trajectories) {
    const key = taskKey(t)
    const g = groups.get(key)
    if (g === undefined) groups.set(key, [t])
    else g.push(t)
  }
  return [...groups.values()]
}

/** Best-of-N: per task, the sample with the highest final reward (the earliest on ties). */
export const bestOfN = (samples: ReadonlyArray<Trajectory>): Array<Trajectory> =>
  groupByTask(samples).map((g) => g.reduce((best, t) => (t.reward > best.reward ? t : best)))

export interface SelfPlayOptions {
  /**
   * `"best-worst"` (default): one pair per task, its best against its worst
   * sample. `"all"`: every two samples with different rewards.
   */
  readonly mode?: "best-worst" | "all"
  /** Rounds the rejected side may exceed the chosen side by (default 5). */
  readonly margin?: number
}

/**
 * Self-play preference pairs (Section 4.5): samples of the same instruction
 * compared by final reward. With no expert, the truncation limit is taken
 * from the chosen side. Ties are dropped; ties for best or worst go to the
 * earliest sample.
 */
export const selfPlayPairs = (samples: ReadonlyArray<Trajectory>, options: SelfPlayOptions = {}): PairSet => {
  const margin = options.margin ?? TRUNCATION_MARGIN
  const mode = options.mode ?? "best-worst"
  const stats = new StatsBuilder()
  const pairs: Array<PreferencePair> = []
  const push = (chosen: Trajectory, rejected: Trajectory) => {
    const [rejectedTurns, wasCut] = cut(rejected.turns, chosen.turns.length + margin)
    if (wasCut) stats.truncated++
    stats.pairs++
    pairs.push({
      level: "trajectory",
      task: chosen.task,
      initialObservation: chosen.initialObservation,
      prefix: [],
      chosen: chosen.turns,
      rejected: rejectedTurns,
      chosenReward: chosen.reward,
      rejectedReward: rejected.reward
    })
  }
  for (const group of groupByTask(samples)) {
    if (mode === "best-worst") {
      stats.considered++
      const best = group.reduce((b, t) => (t.reward > b.reward ? t : b))
      const worst = group.reduce((w, t) => (t.reward < w.reward ? t : w))
      if (best.reward === worst.reward) stats.ties++
      else push(best, worst)
    } else {
      for (let i = 0; i < group.length; i++) {
        for (let j = i + 1; j < group.length; j++) {
          stats.considered++
          const a = group[i]!, b = group[j]!
          if (a.reward === b.reward) stats.ties++
          else if (a.reward > b.reward) push(a, b)
          else push(b, a)
        }
      }
    }
  }
  return { pairs, stats: stats.done() }
}
