/**
 * The environment interface. Environments are synchronous objects (a step is
 * well under a millisecond, so no effect wrapping on the hot path); the
 * `Environment` service exposes loading and task lookup as effects.
 */
import { Context, Effect } from "effect"
import type { EnvName, Task } from "./Schemas"
import type { UnknownSplit, UnknownTask } from "./Errors"

export interface StepResult {
  readonly observation: string
  /** Reward so far under the paper's episode wrapper (final reward once done). */
  readonly reward: number
  readonly done: boolean
  /** Whether the environment accepted the action (false: nothing changed). */
  readonly valid: boolean
  readonly info?: Readonly<Record<string, unknown>> | undefined
}

/** One running episode of a task. */
export interface Episode {
  readonly task: Task
  /** The first observation, shown to the agent before its first turn. */
  readonly initialObservation: string
  /** The paper's step limit for this task (agent replies, format errors included). */
  readonly maxSteps: number
  /** Applies a bare action (the text after "Action: "). */
  step(action: string): StepResult
  /**
   * What the ETO harness does when a reply has no "Action: ": the observation
   * to show and the reward that stands afterwards.
   */
  formatError(): StepResult
  /** Currently valid actions, where the environment has such a list. */
  availableActions(): ReadonlyArray<string> | undefined
}

/** Settings an environment accepts from the command line (`--set name=value`). */
export interface SettingInfo {
  readonly name: string
  readonly description: string
  readonly default: string
}

export interface EnvironmentShape {
  readonly name: EnvName
  readonly splits: ReadonlyArray<string>
  /** The system prompt that tells an agent how to act in this environment. */
  readonly instructionPrompt: string
  readonly settings: ReadonlyArray<SettingInfo>
  tasks(split: string): Effect.Effect<ReadonlyArray<Task>, UnknownSplit>
  task(id: string): Effect.Effect<Task, UnknownTask>
  reset(taskId: string): Effect.Effect<Episode, UnknownTask>
}

export class Environment extends Context.Service<Environment, EnvironmentShape>()("@eto/core/Environment") {}
