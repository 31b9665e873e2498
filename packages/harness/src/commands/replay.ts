/**
 * `eto replay`: replays a file of actions (or raw agent outputs) against one
 * task and shows each observation, reward and done flag, stopping when the
 * episode ends.
 */
import { Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { parseReply, type StepResult } from "@eto/core"
import { readActionsFile, type ReplayEntry } from "../ActionsFile"
import { loadEnvironment } from "../Environments"
import * as Flags from "../Flags"
import { eprintln, println } from "../Io"

export interface ReplayStep {
  readonly action: string
  readonly observation: string
  readonly reward: number
  readonly done: boolean
}

/** Applies one entry the way the episode loop applies an agent reply. */
const apply = (
  episode: { step(action: string): StepResult; formatError(): StepResult },
  entry: ReplayEntry
): { action: string; result: StepResult; formatError: boolean } => {
  if (entry._tag === "Action") return { action: entry.action, result: episode.step(entry.action), formatError: false }
  const parsed = parseReply(entry.output)
  return parsed === undefined
    ? { action: "", result: episode.formatError(), formatError: true }
    : { action: parsed.action, result: episode.step(parsed.action), formatError: false }
}

const indent = (text: string): string => text.split("\n").map((l) => `  ${l}`).join("\n")

export const replayCommand = Command.make(
  "replay",
  {
    env: Flags.env,
    task: Flag.String("task").pipe(Flag.withDescription("Task id")),
    actions: Flag.String("actions").pipe(
      Flag.withMetavar("file"),
      Flag.withDescription("Bare actions, one per line, or JSON lines {\"output\": \"Thought: ...\\nAction: ...\"}")
    ),
    json: Flags.json,
    settings: Flags.settings,
    dataDir: Flags.dataDir
  },
  (flags) =>
    Effect.gen(function*() {
      const entries = yield* readActionsFile(flags.actions)
      const env = yield* loadEnvironment({
        env: flags.env,
        dataDir: Option.getOrUndefined(flags.dataDir),
        settings: flags.settings
      })
      const episode = yield* env.reset(flags.task)
      if (!flags.json) {
        yield* println(`task ${episode.task.id} (${episode.task.split})`)
        yield* println(`instruction: ${episode.task.instruction}`)
        yield* println(indent(episode.initialObservation))
      }
      let last: StepResult | undefined
      let used = 0
      for (const entry of entries) {
        if (last?.done === true || used >= episode.maxSteps) break
        const { action, result, formatError } = apply(episode, entry)
        used++
        last = result
        const step: ReplayStep = { action, observation: result.observation, reward: result.reward, done: result.done }
        if (flags.json) {
          yield* println(JSON.stringify(step))
        } else {
          yield* println("")
          yield* println(`[${used}] ${formatError ? "(reply without 'Action: ')" : `> ${action}`}`)
          yield* println(indent(result.observation))
          yield* println(`  reward ${result.reward.toFixed(4)}  done ${result.done}`)
        }
      }
      const left = entries.length - used
      if (left > 0) {
        const why = last?.done === true ? "the episode ended" : `the step limit (${episode.maxSteps}) was reached`
        yield* eprintln(`note: ${left} more action${left === 1 ? "" : "s"} not replayed: ${why}`)
      }
      if (!flags.json) {
        yield* println("")
        yield* println(
          last?.done === true
            ? `done after ${used} steps, reward ${last.reward.toFixed(4)}`
            : `not done after ${used} steps, reward so far ${(last?.reward ?? 0).toFixed(4)}`
        )
      }
    })
).pipe(Command.withDescription("Replay a file of actions against a task, printing each observation, reward and done"))
