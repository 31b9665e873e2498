/**
 * The domain model shared by every package: tasks, turns, trajectories,
 * preference pairs and evaluation summaries. Everything that crosses a file or
 * process boundary is decoded through these schemas.
 */
import { Schema } from "effect"

/** The benchmarks this project knows. */
export const EnvName = Schema.Literals(["webshop", "alfworld", "sciworld"])
export type EnvName = typeof EnvName.Type

/** A reward lies in [0, 1]. */
export const Reward = Schema.Number.check(Schema.isBetween({ minimum: 0, maximum: 1 }))

/** One task instance of an environment. */
export const Task = Schema.Struct({
  /** Stable, readable id, unique within its environment. */
  id: Schema.String,
  env: EnvName,
  /** Split name as the environment defines it (e.g. `train`, `test`, `seen`). */
  split: Schema.String,
  /** What the agent is asked to do, in natural language. */
  instruction: Schema.String,
  /** Environment-specific facts about the task (goal attributes, task type, ...). */
  metadata: Schema.Record(Schema.String, Schema.Unknown)
})
export type Task = typeof Task.Type

/** One agent turn and the environment's answer to it. */
export const Turn = Schema.Struct({
  thought: Schema.String,
  action: Schema.String,
  observation: Schema.String,
  /** The environment's reward after this turn (the final reward once done). */
  reward: Schema.Number,
  /** The reply exactly as the policy wrote it, kept for policies that ask (remote models). */
  reply: Schema.optionalKey(Schema.String),
  /**
   * false: training keeps this reply as context only and puts no loss on it
   * (a deliberately wrong action in a perturbed expert episode). Absent: the
   * reply is trained like every other.
   */
  loss: Schema.optionalKey(Schema.Boolean)
})
export type Turn = typeof Turn.Type

/** Who produced a trajectory: the expert, a named policy, or a checkpoint. */
export const TrajectorySource = Schema.Union([
  Schema.Struct({ kind: Schema.Literal("expert") }),
  Schema.Struct({ kind: Schema.Literal("policy"), name: Schema.String }),
  Schema.Struct({ kind: Schema.Literal("checkpoint"), path: Schema.String })
])
export type TrajectorySource = typeof TrajectorySource.Type

export const Trajectory = Schema.Struct({
  task: Task,
  /** The observation the environment shows before the first agent turn. */
  initialObservation: Schema.String,
  turns: Schema.Array(Turn),
  reward: Schema.Number,
  success: Schema.Boolean,
  steps: Schema.Number,
  source: TrajectorySource
})
export type Trajectory = typeof Trajectory.Type

/**
 * A preference pair. At trajectory level `prefix` is empty and `chosen` /
 * `rejected` are whole trajectories' turns; at step level `prefix` holds the
 * expert turns both continuations share (Appendix C of the paper).
 */
export const PreferencePair = Schema.Struct({
  level: Schema.Literals(["trajectory", "step"]),
  task: Task,
  initialObservation: Schema.String,
  prefix: Schema.Array(Turn),
  chosen: Schema.Array(Turn),
  rejected: Schema.Array(Turn),
  chosenReward: Schema.Number,
  rejectedReward: Schema.Number
})
export type PreferencePair = typeof PreferencePair.Type

export const EvaluationSummary = Schema.Struct({
  env: EnvName,
  split: Schema.String,
  policy: Schema.String,
  tasks: Schema.Number,
  /** Mean final reward in [0, 1]. */
  avgReward: Schema.Number,
  /** Share of episodes with success, in [0, 1]. */
  successRate: Schema.Number,
  meanSteps: Schema.Number,
  seed: Schema.Number,
  wallSeconds: Schema.Number,
  /** Tokens a remote model reported for the run (prompt and completion), when it reports usage. */
  promptTokens: Schema.optionalKey(Schema.Number),
  completionTokens: Schema.optionalKey(Schema.Number)
})
export type EvaluationSummary = typeof EvaluationSummary.Type

/** Builds a summary from finished trajectories. */
export const summarize = (
  trajectories: ReadonlyArray<Trajectory>,
  info: { env: EnvName; split: string; policy: string; seed: number; wallSeconds: number }
): EvaluationSummary => {
  const n = trajectories.length
  const mean = (f: (t: Trajectory) => number) => (n === 0 ? 0 : trajectories.reduce((s, t) => s + f(t), 0) / n)
  return {
    ...info,
    tasks: n,
    avgReward: mean((t) => t.reward),
    successRate: mean((t) => (t.success ? 1 : 0)),
    meanSteps: mean((t) => t.steps)
  }
}
