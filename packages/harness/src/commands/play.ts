/**
 * `eto play`: a person plays a task in the terminal. Each input line is a bare
 * action or a "Thought: ... Action: ..." reply; `help` lists the valid
 * actions where the environment has a list, `quit` (or end of input) stops.
 * Works the same with piped input, echoing each line it reads.
 */
import { Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { InvalidInput, parseReply, Random, type StepResult } from "@eto/core"
import { loadEnvironment } from "../Environments"
import * as Flags from "../Flags"
import { Io, println } from "../Io"

/**
 * Observations shown to a person: WebShop-style " [SEP] " separators become
 * line breaks (what the agent sees is unchanged), every line indented.
 */
const show = (text: string): string =>
  text.split(/ \[SEP\] |\n/).map((l) => `  ${l}`).join("\n")

export const playCommand = Command.make(
  "play",
  {
    env: Flags.env,
    task: Flag.String("task").pipe(Flag.optional, Flag.withDescription("Task id (default: one drawn from the split by seed)")),
    split: Flag.String("split").pipe(Flag.optional, Flag.withDescription("Split to draw a task from (default: the environment's)")),
    seed: Flags.seed,
    settings: Flags.settings,
    dataDir: Flags.dataDir
  },
  (flags) =>
    Effect.gen(function*() {
      const io = yield* Io
      const env = yield* loadEnvironment({
        env: flags.env,
        dataDir: Option.getOrUndefined(flags.dataDir),
        settings: flags.settings
      })
      const taskId = yield* Option.match(flags.task, {
        onSome: (id) => Effect.succeed(id),
        onNone: () =>
          Effect.gen(function*() {
            const split = Option.getOrElse(flags.split, () => env.defaultSplit)
            const tasks = yield* env.tasks(split)
            if (tasks.length === 0) return yield* new InvalidInput({ reason: `${env.name}: split '${split}' has no tasks` })
            return Random.make(`play:${flags.seed}`).pick(tasks).id
          })
      })
      const episode = yield* env.reset(taskId)
      yield* println(`task ${episode.task.id} (${episode.task.split}), at most ${episode.maxSteps} steps`)
      yield* println(`instruction: ${episode.task.instruction}`)
      yield* println(show(episode.initialObservation))
      yield* println("type an action (or 'Thought: ... Action: ...'), 'help' for valid actions, 'quit' to stop")

      let last: StepResult | undefined
      let steps = 0
      for (;;) {
        if (io.stdinIsTTY) io.writeOut("> ")
        const raw = yield* io.readLine
        if (raw === undefined) break
        const line = raw.trim()
        if (line === "") continue
        if (!io.stdinIsTTY) yield* println(`> ${line}`)
        if (line === "quit" || line === "exit") break
        if (line === "help") {
          const actions = episode.availableActions()
          if (actions === undefined) {
            yield* println(`  ${env.name} does not list valid actions; type any action`)
          } else {
            yield* println(`  valid actions (${actions.length}):`)
            for (const a of actions) yield* println(`    ${a}`)
          }
          continue
        }
        const parsed = parseReply(line)
        const result = parsed !== undefined
          ? episode.step(parsed.action)
          : /^thought:/i.test(line)
          ? episode.formatError()
          : episode.step(line)
        steps++
        last = result
        yield* println(show(result.observation))
        yield* println(`  reward ${result.reward.toFixed(4)}  done ${result.done}  step ${steps}/${episode.maxSteps}`)
        if (result.done) break
        if (steps >= episode.maxSteps) {
          yield* println("  step limit reached")
          break
        }
      }
      const reward = last?.reward ?? 0
      yield* println(
        `final reward ${reward.toFixed(4)}${reward >= 1 ? " (success)" : ""} after ${steps} step${steps === 1 ? "" : "s"}${
          last?.done === true ? "" : " (episode not finished)"
        }`
      )
    })
).pipe(Command.withDescription("Play a task yourself in the terminal (also reads piped input)"))
