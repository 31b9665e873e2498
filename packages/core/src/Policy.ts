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

/** Tokens and requests a remote policy has used so far. */
export interface TokenUsage {
  readonly promptTokens: number
  readonly completionTokens: number
  readonly requests: number
}

export interface PolicyShape {
  readonly name: string
  act(requests: ReadonlyArray<PolicyRequest>): Effect.Effect<ReadonlyArray<string>, PolicyError>
  /** The rollout keeps each raw reply in its turn (`Turn.reply`). */
  readonly keepsReplies?: boolean
  /** Usage so far, for policies that pay per token (remote models). */
  usage?(): TokenUsage
}

export class Policy extends Context.Service<Policy, PolicyShape>()("@eto/core/Policy") {}
