/**
 * Runs episodes of an environment with a policy, the way the ETO harness does:
 * the agent replies, the text after "Action: " is stepped, a reply without it is
 * a format error that still counts as a step, and the episode ends when the
 * environment says done or the step limit is reached.
 *
 * Episodes run in lock-step batches so a learned policy can generate for all of
 * them at once.
 */
import { Effect } from "effect"
import type { Episode, EnvironmentShape, StepResult } from "./Environment"
import type { PolicyError, PolicyRequest, PolicyShape } from "./Policy"
import { parseReply } from "./ReAct"
import type { Task, Trajectory, TrajectorySource, Turn } from "./Schemas"
import { InvalidInput, type UnknownTask } from "./Errors"

export interface RolloutOptions {
  /** Episodes run together (one policy call per step for all of them). */
  readonly batchSize?: number
  readonly source: TrajectorySource
  /** Called after each finished episode with the count done so far. */
  readonly onEpisode?: (done: number, total: number, trajectory: Trajectory) => void
  /**
   * Teacher forcing, aligned with the tasks: recorded turns whose actions are
   * replayed (with their thoughts) before the policy takes over.
   */
  readonly prefixes?: ReadonlyArray<ReadonlyArray<Turn> | undefined>
}

interface Running {
  readonly index: number
  readonly episode: Episode
  readonly turns: Array<Turn>
  last: StepResult | undefined
}

const finish = (r: Running, source: TrajectorySource): Trajectory => {
  const reward = r.last?.reward ?? 0
  return {
    task: r.episode.task,
    initialObservation: r.episode.initialObservation,
    turns: r.turns,
    reward,
    success: reward >= 1,
    steps: r.turns.length,
    source
  }
}

/** Applies one agent reply to an episode and records the turn (with the raw reply when `keepReply`). */
export const applyReply = (
  r: { episode: Episode; turns: Array<Turn>; last: StepResult | undefined },
  reply: string,
  keepReply = false
) => {
  const parsed = parseReply(reply)
  const result = parsed === undefined ? r.episode.formatError() : r.episode.step(parsed.action)
  r.turns.push({
    thought: parsed?.thought ?? reply.trim(),
    action: parsed?.action ?? "",
    observation: result.observation,
    reward: result.reward,
    ...(keepReply ? { reply } : {})
  })
  r.last = result
  return result
}

/**
 * Runs one episode per task and returns the trajectories in task order. With
 * `prefixes`, an episode that ends inside its forced prefix fails with
 * `InvalidInput`.
 */
export function rollout(
  env: EnvironmentShape,
  policy: PolicyShape,
  tasks: ReadonlyArray<Task>,
  options: RolloutOptions & { readonly prefixes?: undefined }
): Effect.Effect<ReadonlyArray<Trajectory>, PolicyError | UnknownTask>
export function rollout(
  env: EnvironmentShape,
  policy: PolicyShape,
  tasks: ReadonlyArray<Task>,
  options: RolloutOptions
): Effect.Effect<ReadonlyArray<Trajectory>, PolicyError | UnknownTask | InvalidInput>
export function rollout(
  env: EnvironmentShape,
  policy: PolicyShape,
  tasks: ReadonlyArray<Task>,
  options: RolloutOptions
): Effect.Effect<ReadonlyArray<Trajectory>, PolicyError | UnknownTask | InvalidInput> {
  return Effect.gen(function*() {
    const batchSize = Math.max(1, options.batchSize ?? 16)
    const out: Array<Trajectory> = new Array(tasks.length)
    let finished = 0
    for (let start = 0; start < tasks.length; start += batchSize) {
      const running: Array<Running> = []
      for (let i = start; i < Math.min(tasks.length, start + batchSize); i++) {
        const episode = yield* env.reset(tasks[i]!.id)
        const r: Running = { index: i, episode, turns: [], last: undefined }
        for (const turn of options.prefixes?.[i] ?? []) {
          const result = episode.step(turn.action)
          r.turns.push({ thought: turn.thought, action: turn.action, observation: result.observation, reward: result.reward })
          r.last = result
          if (result.done) {
            return yield* new InvalidInput({
              reason: `task ${episode.task.id}: the episode ended at forced step ${r.turns.length}, before the policy could act`
            })
          }
        }
        running.push(r)
      }
      let active = running
      while (active.length > 0) {
        const requests: Array<PolicyRequest> = active.map((r) => ({
          task: r.episode.task,
          initialObservation: r.episode.initialObservation,
          turns: r.turns,
          availableActions: r.episode.availableActions()
        }))
        const replies = yield* policy.act(requests)
        const next: Array<Running> = []
        active.forEach((r, k) => {
          const result = applyReply(r, replies[k] ?? "", policy.keepsReplies === true)
          if (result.done || r.turns.length >= r.episode.maxSteps) {
            const t = finish(r, options.source)
            out[r.index] = t
            finished++
            options.onEpisode?.(finished, tasks.length, t)
          } else {
            next.push(r)
          }
        })
        active = next
      }
    }
    return out
  })
}
