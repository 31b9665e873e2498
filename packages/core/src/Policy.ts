/**
 * The policy interface: given the history of several running episodes, produce
 * each one's next "Thought: ... Action: ..." reply. Batched, because every
 * learned policy generates faster in batches.
 */
import { Context, Data, type Effect } from "effect"
import type { Task, Turn } from "./Schemas"

export interface PolicyRequest {
  readonly task: Task
  readonly initialObservation: string
  readonly turns: ReadonlyArray<Turn>
  /** Currently valid actions, where the environment lists them. */
  readonly availableActions?: ReadonlyArray<string> | undefined
}

export class PolicyError extends Data.TaggedError("PolicyError")<{ readonly reason: string }> {
  override get message(): string {
    return this.reason
  }
}

export interface PolicyShape {
  readonly name: string
  act(requests: ReadonlyArray<PolicyRequest>): Effect.Effect<ReadonlyArray<string>, PolicyError>
}

export class Policy extends Context.Service<Policy, PolicyShape>()("@eto/core/Policy") {}
