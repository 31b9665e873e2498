/**
 * The WebShop environment: catalogue, search index, goals and splits behind
 * the shared `EnvironmentShape`, with episodes under the ETO harness's rules
 * (10 replies at most, a purchase ends the episode).
 */
import * as path from "node:path"
import { Effect } from "effect"
import {
  type DataFileError,
  type Episode,
  type EnvironmentShape,
  FORMAT_ERROR_OBSERVATION,
  type StepResult,
  type Task,
  UnknownSplit,
  UnknownTask
} from "@eto/core"
import { type Catalog, type Goal, loadCatalogCached } from "./Catalog"
import { buildIndex, type SearchHit, type SearchIndex } from "./Search"
import { type Shop, Session } from "./Session"
import { INSTRUCTION_PROMPT } from "./Prompt"
import { instructionQuery } from "./Query"

export const ENV_NAME = "webshop" as const
export const MAX_STEPS = 10

/** Splits by position in the original goal order: [start, end). */
export const SPLITS: ReadonlyArray<readonly [name: string, start: number, end: number | undefined]> = [
  ["test", 0, 200],
  ["test500", 0, 500],
  ["dev", 500, 1500],
  ["train", 1500, undefined]
]

export interface WebShop extends EnvironmentShape, Shop {
  readonly catalog: Catalog
  readonly index: SearchIndex
  /** Goals of a split, in order. */
  goals(split: string): ReadonlyArray<Goal> | undefined
  /** A fresh session for a goal (the raw browsing state, no step limit). */
  session(goal: Goal): Session
  /** The task of a goal, labelled with a split. */
  taskOf(goal: Goal, split?: string): Task
  /** A new episode of a goal (what `reset` gives, synchronously). */
  episode(goal: Goal): Episode
}

/** The split a goal is reported under when looked up by id: the smallest one holding it. */
const homeSplit = (index: number): string => {
  for (const [name, start, end] of SPLITS) if (index >= start && (end === undefined || index < end)) return name
  return "train"
}

export const goalMetadata = (goal: Goal): Record<string, unknown> => ({
  asin: goal.asin,
  attributes: goal.attributes,
  goalOptions: Object.fromEntries(goal.goalOptions),
  priceUpper: goal.priceUpper,
  instructionText: goal.instructionText,
  index: goal.index
})

class WebShopEpisode implements Episode {
  readonly maxSteps = MAX_STEPS
  readonly initialObservation: string
  private steps = 0
  private finished = false
  private lastObservation: string

  constructor(readonly task: Task, readonly session: Session) {
    this.initialObservation = session.observation()
    this.lastObservation = this.initialObservation
  }

  private over(): StepResult {
    return { observation: this.lastObservation, reward: this.session.purchase?.details.reward ?? 0, done: true, valid: false }
  }

  step(action: string): StepResult {
    if (this.finished) return this.over()
    this.steps++
    const r = this.session.act(action)
    const observation = this.session.observation()
    this.lastObservation = observation
    const limit = this.steps >= MAX_STEPS
    this.finished = r.done || limit
    return {
      observation,
      reward: r.done ? r.reward : 0,
      done: this.finished,
      valid: r.valid,
      info: r.details === undefined ? undefined : { ...r.details }
    }
  }

  formatError(): StepResult {
    if (this.finished) return this.over()
    this.steps++
    this.finished = this.steps >= MAX_STEPS
    return { observation: FORMAT_ERROR_OBSERVATION, reward: 0, done: this.finished, valid: false }
  }

  availableActions(): ReadonlyArray<string> | undefined {
    if (this.finished) return []
    const out: Array<string> = []
    if (this.session.page.kind === "search") out.push(`search[${instructionQuery(this.task.instruction)}]`)
    for (const key of this.session.clickables().keys()) out.push(`click[${key}]`)
    return out
  }
}

export interface WebShopOptions {
  /** The folder holding the two WebShop data files. */
  readonly dir: string
  /** Seed of the hidden prices and price bounds (default 0). */
  readonly seed?: number
  readonly showAttributes?: boolean
}

const shops = new Map<string, WebShop>()

/** Loads (once per process and configuration) the WebShop environment. */
export const makeWebShop = (options: WebShopOptions): Effect.Effect<WebShop, DataFileError> =>
  Effect.suspend(() => {
    const seed = options.seed ?? 0
    const showAttributes = options.showAttributes ?? false
    const key = `${path.resolve(options.dir)}\u0000${seed}\u0000${showAttributes}`
    const hit = shops.get(key)
    if (hit !== undefined) return Effect.succeed(hit)
    return Effect.map(loadCatalogCached(options.dir, seed), (catalog) => {
      const shop = buildWebShop(catalog, showAttributes)
      shops.set(key, shop)
      return shop
    })
  })

export const buildWebShop = (catalog: Catalog, showAttributes = false): WebShop => {
  const index = buildIndex(catalog.products.map((p) => p.asin), catalog.products.map((p) => p.contents))
  const searchCache = new Map<string, ReadonlyArray<SearchHit>>()
  const search = (keywords: string): ReadonlyArray<SearchHit> => {
    let hits = searchCache.get(keywords)
    if (hits === undefined) {
      hits = index.search(keywords)
      if (searchCache.size > 20000) searchCache.clear()
      searchCache.set(keywords, hits)
    }
    return hits
  }
  const splitGoals = new Map<string, ReadonlyArray<Goal>>()
  for (const [name, start, end] of SPLITS) splitGoals.set(name, catalog.goals.slice(start, end))
  const taskOf = (goal: Goal, split?: string): Task => ({
    id: goal.id,
    env: ENV_NAME,
    split: split ?? homeSplit(goal.index),
    instruction: goal.instructionText,
    metadata: goalMetadata(goal)
  })
  const taskCache = new Map<string, ReadonlyArray<Task>>()
  const splitNames = SPLITS.map(([name]) => name)
  const shop: WebShop = {
    name: ENV_NAME,
    splits: splitNames,
    instructionPrompt: INSTRUCTION_PROMPT,
    settings: [],
    catalog,
    index,
    search,
    showAttributes,
    goals: (split) => splitGoals.get(split),
    session: (goal) => new Session(shop, goal),
    taskOf,
    episode: (goal) => new WebShopEpisode(taskOf(goal), new Session(shop, goal)),
    tasks: (split) =>
      Effect.suspend(() => {
        const goals = splitGoals.get(split)
        if (goals === undefined) return Effect.fail(new UnknownSplit({ env: ENV_NAME, split, known: splitNames }))
        let tasks = taskCache.get(split)
        if (tasks === undefined) {
          tasks = goals.map((g) => taskOf(g, split))
          taskCache.set(split, tasks)
        }
        return Effect.succeed(tasks)
      }),
    task: (id) =>
      Effect.suspend(() => {
        const goal = catalog.goalById.get(id)
        return goal === undefined ? Effect.fail(new UnknownTask({ env: ENV_NAME, id })) : Effect.succeed(taskOf(goal))
      }),
    reset: (id) =>
      Effect.suspend(() => {
        const goal = catalog.goalById.get(id)
        if (goal === undefined) return Effect.fail(new UnknownTask({ env: ENV_NAME, id }))
        return Effect.succeed<Episode>(new WebShopEpisode(taskOf(goal), new Session(shop, goal)))
      })
  }
  return shop
}
