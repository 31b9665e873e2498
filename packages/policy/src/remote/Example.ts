/**
 * The one-shot example of a prompted model (the paper adds one in-context
 * example to each task's prompt): the environment's expert solving a
 * training task, the first of the split's first `candidates` tasks it
 * solves. Deterministic for a seed.
 */
import { Effect } from "effect"
import { type EnvironmentShape, type PolicyError, type PolicyShape, rollout, type UnknownSplit, type UnknownTask } from "@eto/core"
import type { Example } from "./Conversation"

export const oneShotExample = (
  env: EnvironmentShape,
  expert: PolicyShape,
  options: { readonly split?: string; readonly candidates?: number } = {}
): Effect.Effect<Example | undefined, PolicyError | UnknownSplit | UnknownTask> =>
  Effect.gen(function*() {
    const split = options.split ?? (env.splits.includes("train") ? "train" : env.splits[0]!)
    const tasks = (yield* env.tasks(split)).slice(0, options.candidates ?? 8)
    const episodes = yield* rollout(env, expert, tasks, { source: { kind: "expert" } })
    const solved = episodes.find((t) => t.success) ?? episodes[0]
    return solved === undefined ? undefined : { initialObservation: solved.initialObservation, turns: solved.turns }
  })
