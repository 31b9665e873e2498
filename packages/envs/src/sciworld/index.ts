/**
 * ScienceWorld (topics 1-8) as an ETO environment: task ids `<type>/<variation>`,
 * the paper's train / seen / unseen lists plus a seeded `dev` subset of train,
 * the episode wrapper of the paper, and a gold-path expert.
 */
import { Effect } from "effect"
import { type Task, UnknownSplit, UnknownTask } from "@eto/core"
import * as Random from "@eto/core/Random"
import type { EnvModule, LoadedEnvironment, LoadOptions } from "../index"
import { loadVariations, type Variation } from "./data"
import { SciWorldEpisode } from "./episode"
import { makeExpert } from "./expert"
import { lookingExpert } from "./LookingExpert"
import { stateNotes, structuredObservation } from "./ModelView"
import { INSTRUCTION_PROMPT } from "./prompt"
import { decodeSettings, DEFAULT_SETTINGS, SETTINGS_INFO, type Settings } from "./settings"
import { newGame, TASK_TYPES, taskType, type TaskType } from "./tasks"

export const SPLITS = ["train", "seen", "unseen", "dev"] as const
/** Train instances per task type in the seeded `dev` subset. */
export const DEV_PER_TYPE = 5

export interface SciWorldEnvironment extends LoadedEnvironment {
  /** Every task type with whether it runs here and, if not, why. */
  readonly taskTypes: ReadonlyArray<TaskType>
  readonly resolvedSettings: Settings
  /** Synchronous forms for scripts and benchmarks. */
  tasksSync(split: string): ReadonlyArray<Task>
  resetSync(id: string): SciWorldEpisode
  variation(id: string): Variation | undefined
}

const taskOf = (v: Variation, split: string, t: TaskType): Task => ({
  id: `${v.id}/${v.variation}`,
  env: "sciworld",
  split,
  instruction: v.description,
  metadata: {
    taskType: v.id,
    taskName: v.task,
    etoTaskName: v.eto_task_name,
    etoInstanceId: `${t.etoId}_${v.variation}`,
    variation: v.variation,
    officialSplit: v.split,
    etoLists: v.eto_split,
    maxSteps: t.maxSteps,
    enabled: t.enabled,
    disabledReason: t.reason
  }
})

export const makeEnvironment = (variations: ReadonlyArray<Variation>, settings: Settings): SciWorldEnvironment => {
  const byId = new Map<string, Variation>()
  for (const v of variations) byId.set(`${v.id}/${v.variation}`, v)
  const enabled = (v: Variation) => taskType(v.id)?.enabled === true
  const lists: Record<string, Array<Variation>> = { train: [], seen: [], unseen: [], dev: [] }
  for (const v of variations) {
    if (!enabled(v)) continue
    if (v.eto_split.includes("train")) lists.train!.push(v)
    if (v.eto_split.includes("dev")) lists.seen!.push(v)
    if (v.eto_split.includes("test")) lists.unseen!.push(v)
  }
  const rng = Random.make("sciworld-dev-split")
  for (const t of TASK_TYPES) {
    if (!t.enabled) continue
    const pool = lists.train!.filter((v) => v.id === t.id)
    lists.dev!.push(...rng.shuffle(pool).slice(0, DEV_PER_TYPE).sort((a, b) => a.variation - b.variation))
  }
  const splitOf = (v: Variation): string =>
    v.eto_split.includes("test") ? "unseen" : v.eto_split.includes("dev") ? "seen" : v.eto_split.includes("train") ? "train" : v.split
  const lookup = (id: string): Variation | undefined => {
    const v = byId.get(id)
    return v && enabled(v) ? v : undefined
  }
  const listOf = (split: string) => (lists[split] ?? []).map((v) => taskOf(v, split, taskType(v.id)!))
  const episodeOf = (v: Variation) => {
    const t = taskType(v.id)!
    return new SciWorldEpisode(taskOf(v, splitOf(v), t), newGame(v, settings), t.maxSteps)
  }
  return {
    name: "sciworld",
    tasksSync: listOf,
    resetSync: (id) => {
      const v = lookup(id)
      if (!v) throw new Error(`sciworld: no task with id '${id}'`)
      return episodeOf(v)
    },
    variation: lookup,
    splits: SPLITS,
    defaultSplit: "seen",
    instructionPrompt: INSTRUCTION_PROMPT,
    settings: SETTINGS_INFO,
    taskTypes: TASK_TYPES,
    resolvedSettings: settings,
    tasks: (split) =>
      lists[split] === undefined
        ? Effect.fail(new UnknownSplit({ env: "sciworld", split, known: SPLITS }))
        : Effect.succeed(listOf(split)),
    task: (id) => {
      const v = lookup(id)
      return v ? Effect.succeed(taskOf(v, splitOf(v), taskType(v.id)!)) : Effect.fail(new UnknownTask({ env: "sciworld", id }))
    },
    reset: (id) =>
      Effect.suspend(() => {
        const v = lookup(id)
        if (!v) return Effect.fail(new UnknownTask({ env: "sciworld", id }))
        return Effect.succeed(episodeOf(v))
      }),
    expert: (seed) => makeExpert({ variation: lookup, settings }, seed),
    withLookAround: lookingExpert,
    structuredObservation,
    stateNotes
  }
}

export const load = (options?: LoadOptions) =>
  Effect.gen(function*() {
    const settings = yield* decodeSettings(options?.settings)
    const variations = yield* loadVariations(options?.dataDir)
    return makeEnvironment(variations, settings)
  })

/** Loads with default settings, synchronously (scripts and benchmarks). */
export const loadSync = (dataDir?: string): SciWorldEnvironment =>
  makeEnvironment(Effect.runSync(loadVariations(dataDir)), DEFAULT_SETTINGS)

export const module: EnvModule = { name: "sciworld", load }
