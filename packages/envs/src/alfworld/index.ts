/**
 * ALFWorld: household tasks played as text. The games (PDDL problems), the
 * domain and the text grammar come from the data directory; the engine in
 * this folder plays them the way the original TextWorld games do, and the
 * observations are shown the way the ETO harness shows them.
 *
 * Splits: `train` (3,554 games), `seen` (= `valid_seen`, 140), `unseen`
 * (= `valid_unseen`, 134) and `dev`: 140 train games drawn with a fixed seed,
 * for tuning (they stay part of `train`). A task id is the game's original
 * folder and name, e.g.
 * `valid_unseen/pick_heat_then_place_in_recep-Potato-None-Fridge-10/trial_T20190909_123918_983775`.
 */
import { Effect, Result, Schema } from "effect"
import {
  describeSchemaError,
  type Episode,
  FORMAT_ERROR_OBSERVATION,
  InvalidInput,
  Random,
  type SettingInfo,
  type StepResult,
  type Task,
  UnknownSplit,
  UnknownTask
} from "@eto/core"
import type { EnvModule, LoadedEnvironment, LoadOptions } from "../index"
import { type AlfworldData, loadData, type LoadedGame } from "./Data"
import { makeExpert, type SearchPrior, searchPrior } from "./Expert"
import { Game, runtimeOf } from "./Game"
import { stateNotes } from "./ModelView"

export { NOTHING_HAPPENS } from "./Game"

/** ETO's turn limit for ALFWorld episodes (agent replies, format errors included). */
export const MAX_STEPS = 40
export const DEV_SIZE = 140
export const DEV_SEED = "alfworld-dev-v1"

const SPLIT_OF: Record<string, string> = { train: "train", valid_seen: "seen", valid_unseen: "unseen" }
const ALIASES: Record<string, string> = { valid_seen: "seen", valid_unseen: "unseen" }
export const SPLITS = ["train", "dev", "seen", "unseen"] as const

export const INSTRUCTION_PROMPT = `You are an agent in a household, and you act by typing text commands. At the start you get a description of the room you are in and the task you have to complete.

Every turn you see the result of your last command. Think about the situation and what to do next, then give exactly one command. Reply in this format:
Thought: <your reasoning>
Action: <one command>

Commands you can use:
1. go to <receptacle>
2. take <object> from <receptacle>
3. put <object> in/on <receptacle>
4. open <receptacle>
5. close <receptacle>
6. use <object> (switch on a lamp, for example)
7. clean <object> with <receptacle>
8. heat <object> with <receptacle>
9. cool <object> with <receptacle>
10. examine <object or receptacle>
11. look
12. inventory
Write objects and receptacles exactly as the observations name them, number included (for example "apple 1", "countertop 2"). You can hold one object at a time. When a command cannot be carried out, the answer is "Nothing happens."; then try something else.`

/** The view of the ETO harness: banner dropped, paragraphs joined by a newline. */
export const initialView = (resetText: string): string => resetText.split("\n\n").slice(1).join("\n")

/** The view of each step's feedback: the "You arrive at loc N. " prefix is dropped. */
export const stepView = (feedback: string): string => {
  if (!feedback.startsWith("You arrive at loc ")) return feedback
  const at = feedback.indexOf(". ")
  return at < 0 ? feedback : feedback.slice(at + 2)
}

const Settings = Schema.Struct({
  max_steps: Schema.optionalKey(Schema.NumberFromString.check(Schema.isInt(), Schema.isBetween({ minimum: 1, maximum: 1000 })))
})

export const SETTINGS: ReadonlyArray<SettingInfo> = [
  { name: "max_steps", description: "agent turns per episode (ETO uses 40)", default: String(MAX_STEPS) }
]

const taskOf = (g: LoadedGame): Task => {
  const [kind, object, movable, target, scene] = g.name.split("/")[0]!.split("-")
  return {
    id: g.id,
    env: "alfworld",
    split: SPLIT_OF[g.split] ?? g.split,
    instruction: g.task.replace(/^Your task is to: /, ""),
    metadata: {
      taskType: kind,
      objectClass: object,
      movableReceptacle: movable,
      targetClass: target,
      scene: scene === undefined ? undefined : Number(scene),
      trial: g.name.split("/")[1],
      originalSplit: g.split,
      cleanWithoutSink: g.cleanWithoutSink
    }
  }
}

class AlfworldEpisode implements Episode {
  readonly initialObservation: string
  constructor(
    readonly task: Task,
    readonly game: Game,
    readonly maxSteps: number
  ) {
    this.initialObservation = initialView(game.intro())
  }

  step(action: string): StepResult {
    const out = this.game.step(action)
    const reward = this.game.won ? 1 : 0
    return { observation: stepView(out.feedback), reward, done: this.game.won, valid: out.valid }
  }

  formatError(): StepResult {
    return { observation: FORMAT_ERROR_OBSERVATION, reward: this.game.won ? 1 : 0, done: this.game.won, valid: false }
  }

  availableActions(): ReadonlyArray<string> {
    return this.game.commands()
  }
}

/** Builds the environment from loaded data. */
export const makeEnvironment = (data: AlfworldData, maxSteps: number = MAX_STEPS): LoadedEnvironment => {
  const byId = new Map<string, LoadedGame>()
  const tasks = new Map<string, Task>()
  const bySplit = new Map<string, Array<Task>>(SPLITS.map((s) => [s, []]))
  for (const g of data.games) {
    byId.set(g.id, g)
    const t = taskOf(g)
    tasks.set(g.id, t)
    bySplit.get(t.split)?.push(t)
  }
  const train = bySplit.get("train")!
  const dev = Random.make(DEV_SEED).shuffle(train).slice(0, DEV_SIZE)
  const devIds = new Set(dev.map((t) => t.id))
  bySplit.set("dev", train.filter((t) => devIds.has(t.id)))

  const newGame = (id: string): Game | undefined => {
    const g = byId.get(id)
    if (g === undefined) return undefined
    const grammar = data.grammarFor(g.task)
    return new Game(runtimeOf(data.domain, g.data, grammar), grammar)
  }

  // the listed search's prior: where things lie in the training games outside dev (computed on first use)
  let searchPriorMemo: SearchPrior | undefined
  const prior = (): SearchPrior => {
    searchPriorMemo ??= searchPrior(train.filter((t) => !devIds.has(t.id)).flatMap((t) => newGame(t.id) ?? []))
    return searchPriorMemo
  }

  return {
    name: "alfworld",
    splits: SPLITS,
    defaultSplit: "seen",
    instructionPrompt: INSTRUCTION_PROMPT,
    settings: SETTINGS,
    tasks: (split) => {
      const list = bySplit.get(ALIASES[split] ?? split)
      return list === undefined ? Effect.fail(new UnknownSplit({ env: "alfworld", split, known: SPLITS })) : Effect.succeed(list)
    },
    task: (id) => {
      const t = tasks.get(id)
      return t === undefined ? Effect.fail(new UnknownTask({ env: "alfworld", id })) : Effect.succeed(t)
    },
    reset: (id) =>
      Effect.suspend(() => {
        const t = tasks.get(id)
        const game = newGame(id)
        if (t === undefined || game === undefined) return Effect.fail(new UnknownTask({ env: "alfworld", id }))
        return Effect.succeed(new AlfworldEpisode(t, game, maxSteps))
      }),
    expert: (seed) => makeExpert({ newGame, maxSteps }, seed),
    listedSearchExpert: (seed) => makeExpert({ newGame, maxSteps }, seed, { searchPrior: prior() }),
    stateNotes
  }
}

const decodeSettings = (settings: LoadOptions["settings"]): Effect.Effect<{ maxSteps: number }, InvalidInput> =>
  Effect.suspend(() => {
    const given = settings ?? {}
    for (const key of Object.keys(given)) {
      if (!SETTINGS.some((s) => s.name === key)) {
        return Effect.fail(new InvalidInput({ reason: `alfworld: unknown setting '${key}' (known: ${SETTINGS.map((s) => s.name).join(", ")})` }))
      }
    }
    const decoded = Schema.decodeUnknownResult(Settings)(given)
    if (Result.isFailure(decoded)) {
      return Effect.fail(new InvalidInput({ reason: `alfworld: bad setting ${describeSchemaError(decoded.failure)}` }))
    }
    return Effect.succeed({ maxSteps: decoded.success.max_steps ?? MAX_STEPS })
  })

export const module: EnvModule = {
  name: "alfworld",
  load: (options) =>
    Effect.gen(function*() {
      const { maxSteps } = yield* decodeSettings(options?.settings)
      const data = yield* loadData(options?.dataDir)
      return makeEnvironment(data, maxSteps)
    })
}
