/**
 * The state notes of the model view, on real episodes: the expert's (every
 * command carried out) and the random policy's (many answered "Nothing
 * happens."). The notes follow the game's own state as the engine reports
 * it, and each note reads only the turns up to its own.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { Random, randomPolicy, rollout, type Trajectory } from "@eto/core"
import { loadData } from "./Data"
import { makeEnvironment } from "./index"
import { noteLine, receptaclesOf, START_PLACE, stateNotes, taskOf } from "./ModelView"

const pick = (id: string) => Random.hashString(`alfworld-view-test|${id}`) % 10 === 0
const env = makeEnvironment(Effect.runSync(loadData(undefined, pick)))
const tasks = Effect.runSync(env.tasks("seen")).slice(0, 12)

/**
 * Where the agent stands, what it holds and which listed receptacles it has
 * not gone to after each turn, by replaying the commands on a fresh game and
 * asking it ("inventory").
 */
const groundTruth = (t: Trajectory): Array<{ place: string; holding: string; unvisited: Array<string> }> =>
  Effect.runSync(Effect.gen(function*() {
    const episode = yield* env.reset(t.task.id)
    let place = START_PLACE
    const visited = new Set<string>()
    return t.turns.map((u) => {
      const out = episode.step(u.action)
      if (out.valid && u.action.startsWith("go to ")) {
        place = u.action.slice("go to ".length)
        visited.add(place)
      }
      const inventory = episode.step("inventory").observation
      const held = /^You are carrying: an? (.+)\.$/.exec(inventory)
      const unvisited = receptaclesOf(t.initialObservation).filter((r) => !visited.has(r))
      return { place, holding: held === null ? "nothing" : held[1]!, unvisited }
    })
  }))

const check = (trajectories: ReadonlyArray<Trajectory>) => {
  let held = 0
  for (const t of trajectories) {
    const task = taskOf(t.initialObservation)
    expect(task).toBe(t.task.instruction)
    const room = receptaclesOf(t.initialObservation)
    expect(room.length).toBeGreaterThan(5)
    expect(room.every((r) => /^[a-z]+ \d+$/.test(r) && (t.initialObservation.includes(`a ${r},`) || t.initialObservation.includes(`a ${r}.`)))).toBe(true)
    const notes = stateNotes(t.initialObservation, t.turns)
    expect(notes).toHaveLength(t.turns.length)
    const truth = groundTruth(t)
    notes.forEach((note, i) => {
      expect(note).toBe(noteLine(task, truth[i]!.place, truth[i]!.holding, truth[i]!.unvisited))
      if (truth[i]!.holding !== "nothing") held++
      // Causal: the note after turn i is the same when the episode stops there.
      expect(stateNotes(t.initialObservation, t.turns.slice(0, i + 1))[i]).toBe(note)
    })
  }
  return held
}

describe("alfworld model view", () => {
  it.effect("notes the task, the agent's place and what it holds along the expert's episodes", () =>
    Effect.gen(function*() {
      const episodes = yield* rollout(env, env.expert(0), tasks, { source: { kind: "expert" } })
      expect(episodes.every((e) => e.success)).toBe(true)
      expect(check(episodes)).toBeGreaterThan(tasks.length)
    }))

  it.effect("ignores commands that were not carried out (random policy, typed commands)", () =>
    Effect.gen(function*() {
      const episodes = yield* rollout(env, randomPolicy(7), tasks, { source: { kind: "expert" } })
      check(episodes)
      const t = episodes[0]!
      const notes = stateNotes(t.initialObservation, [
        { action: "go to nowhere 9", observation: "Nothing happens." },
        { action: "take apple 1 from table 1", observation: "Nothing happens." }
      ])
      expect(notes).toEqual([0, 1].map(() => noteLine(t.task.instruction, START_PLACE, "nothing", receptaclesOf(t.initialObservation))))
    }))
})
