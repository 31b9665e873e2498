/**
 * The action parsers of the three environments, fuzzed through their
 * episodes: random text, mutations of the actions valid in the current
 * state, and valid-action words in random order, after a random valid
 * prefix. Contract: a step never throws and returns a well-formed result;
 * the same action on two copies of the same episode gives the same result;
 * an action the environment calls invalid changes nothing: the copy that
 * took it and the copy that did not see the same observations, rewards and
 * valid actions from then on.
 */
import type { Episode, StepResult } from "@eto/core"
import { Random } from "@eto/core"
import { type LoadedEnvironment, modules } from "@eto/envs"
import { loadData } from "@eto/envs/alfworld/Data"
import { makeEnvironment as makeAlfworld, NOTHING_HAPPENS } from "@eto/envs/alfworld/index"
import { NO_MATCH } from "@eto/envs/sciworld/game"
import { Effect } from "effect"
import fc from "fast-check"
import { applyEdits, type Edit, edit, nastyText } from "./Inputs"
import { expectThat, type FuzzTarget } from "./Target"

type ActionInput =
  | { readonly kind: "random"; readonly text: string }
  | { readonly kind: "near"; readonly pick: number; readonly edits: ReadonlyArray<Edit> }
  | { readonly kind: "words"; readonly picks: ReadonlyArray<number> }
  | { readonly kind: "valid"; readonly pick: number }

interface EpisodeInput {
  readonly task: number
  readonly prefix: ReadonlyArray<number>
  readonly action: ActionInput
  readonly probes: ReadonlyArray<number>
}

const actionInput: fc.Arbitrary<ActionInput> = fc.oneof(
  fc.record({ kind: fc.constant("random" as const), text: fc.oneof(nastyText, fc.string({ maxLength: 40 }), fc.string({ unit: "binary", maxLength: 40 })) }),
  { arbitrary: fc.record({ kind: fc.constant("near" as const), pick: fc.nat(), edits: fc.array(edit, { minLength: 1, maxLength: 3 }) }), weight: 3 },
  fc.record({ kind: fc.constant("words" as const), picks: fc.array(fc.nat(), { minLength: 1, maxLength: 6 }) }),
  fc.record({ kind: fc.constant("valid" as const), pick: fc.nat() })
)

const deriveAction = (a: ActionInput, valid: ReadonlyArray<string>): string => {
  const at = (i: number) => (valid.length === 0 ? "" : valid[i % valid.length]!)
  switch (a.kind) {
    case "random":
      return a.text
    case "near":
      return applyEdits(at(a.pick), a.edits)
    case "valid":
      return at(a.pick)
    case "words": {
      const words = [...new Set(valid.flatMap((v) => v.split(/[\s[\]]+/).filter((w) => w !== "")))]
      return a.picks.map((p) => (words.length === 0 ? "" : words[p % words.length]!)).join(" ")
    }
  }
}

const describeStep = (r: StepResult) => JSON.stringify({ observation: r.observation.slice(0, 120), reward: r.reward, done: r.done, valid: r.valid })

/** What two steps must share: everything, or (`world`) all but the harness's running reward. */
const sameStep = (a: StepResult, b: StepResult, what: string, world = false) =>
  expectThat(
    a.observation === b.observation && (world || a.reward === b.reward) && a.done === b.done && a.valid === b.valid &&
      JSON.stringify(a.info ?? null) === JSON.stringify(b.info ?? null),
    () => `${what}: ${describeStep(a)} vs ${describeStep(b)}`
  )

const wellFormed = (r: StepResult, action: string) =>
  expectThat(
    typeof r.observation === "string" && Number.isFinite(r.reward) && typeof r.done === "boolean" && typeof r.valid === "boolean",
    () => `malformed step result for ${JSON.stringify(action)}: ${JSON.stringify(r)}`
  )

const step = (e: Episode, action: string): StepResult => {
  try {
    return e.step(action)
  } catch (err) {
    throw new Error(`step(${JSON.stringify(action)}) threw: ${err instanceof Error ? err.stack ?? err.message : String(err)}`)
  }
}

/**
 * A target for one environment: `tasks` spread over its splits,
 * `invalidObservation` what an invalid action shows. `runningReward`: the
 * episode's reward is the harness's best-so-far over every step taken, an
 * invalid one included (ScienceWorld under ETO), so after an invalid action
 * the copies are compared on the world (observation, raw score in `info`,
 * done), not on that running reward.
 */
const envTarget = (
  name: string,
  load: () => Promise<LoadedEnvironment>,
  pickTasks: (env: LoadedEnvironment) => Promise<ReadonlyArray<string>>,
  invalidObservation: (observation: string, previous: string) => boolean,
  runningReward = false
): FuzzTarget<EpisodeInput> => ({
  name: `${name}-actions`,
  contract: "no step throws; equal actions give equal results; an invalid action changes nothing",
  prepare: async () => {
    const env = await load()
    const tasks = await pickTasks(env)
    const reset = (id: string) => Effect.runSync(env.reset(id))
    return {
      arbitrary: fc.record({
        task: fc.nat({ max: tasks.length - 1 }),
        prefix: fc.array(fc.nat(), { maxLength: 4 }),
        action: actionInput,
        probes: fc.array(fc.nat(), { minLength: 1, maxLength: 2 })
      }),
      check: (input) => {
        const id = tasks[input.task]!
        const a = reset(id), b = reset(id)
        let previous = a.initialObservation
        let done = false
        for (const p of input.prefix) {
          const valid = a.availableActions() ?? []
          if (valid.length === 0 || done) break
          const act = valid[p % valid.length]!
          const ra = step(a, act)
          sameStep(ra, step(b, act), `copies differ after ${JSON.stringify(act)}`)
          previous = ra.observation
          done = ra.done
        }
        const before = a.availableActions() ?? []
        const action = deriveAction(input.action, before)
        if (env.actionFromModel !== undefined) {
          const mapped = env.actionFromModel(action, previous)
          expectThat(typeof mapped === "string", () => `actionFromModel(${JSON.stringify(action)}) returned ${String(mapped)}`)
        }
        const r = step(a, action)
        wellFormed(r, action)
        if (r.valid) {
          sameStep(r, step(b, action), `the same action ${JSON.stringify(action)} gave different results`)
          return "valid"
        }
        expectThat(
          done || invalidObservation(r.observation, previous),
          () => `invalid action ${JSON.stringify(action)} showed ${JSON.stringify(r.observation.slice(0, 200))}`
        )
        expectThat(
          JSON.stringify(a.availableActions() ?? null) === JSON.stringify(b.availableActions() ?? null),
          () => `invalid action ${JSON.stringify(action)} changed the valid actions`
        )
        for (const p of input.probes) {
          const valid = b.availableActions() ?? []
          if (valid.length === 0) break
          const act = valid[p % valid.length]!
          sameStep(step(a, act), step(b, act), `invalid action ${JSON.stringify(action)} changed the state: then ${JSON.stringify(act)}`, runningReward)
        }
        return "invalid"
      }
    }
  }
})

/** `n` task ids spread over each of `splits`. */
const spread = (splits: ReadonlyArray<string>, n: number) => async (env: LoadedEnvironment) => {
  const ids: Array<string> = []
  for (const split of splits) {
    const tasks = await Effect.runPromise(env.tasks(split))
    for (let i = 0; i < n && i < tasks.length; i++) ids.push(tasks[Math.floor((i * tasks.length) / n)]!.id)
  }
  return ids
}

const fromRegistry = (name: "webshop" | "sciworld") => async () => Effect.runPromise((await modules[name]!()).load())

export const webshopActions = envTarget(
  "webshop",
  fromRegistry("webshop"),
  spread(["test", "train"], 8),
  (observation, previous) => observation === previous
)

/** ALFWorld with a fixed, seeded sample of about one game in 200 (loading all takes seconds). */
export const alfworldActions = envTarget(
  "alfworld",
  async () => makeAlfworld(await Effect.runPromise(loadData(undefined, (id) => Random.hashString(id) % 200 === 0))),
  spread(["train", "seen", "unseen"], 6),
  (observation) => observation === NOTHING_HAPPENS
)

export const sciworldActions = envTarget(
  "sciworld",
  fromRegistry("sciworld"),
  spread(["train", "seen", "unseen"], 10),
  (observation) => observation === NO_MATCH,
  true
)
