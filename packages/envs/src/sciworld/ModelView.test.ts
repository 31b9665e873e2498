/**
 * The model view on real episodes: the expert's actions on tasks of six
 * types, replayed with a free `look around` at the start and after every
 * teleport. Each structured room listing names every object (the air left
 * out) and door the original listing names, in fewer characters; the notes
 * follow the game's own state (the agent's room, what it carries) and read
 * only the turns up to their own.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { rollout, type Task } from "@eto/core"
import { loadSync } from "./index"
import { compactItem, noteLine, stateNotes, structuredObservation, UNKNOWN_PLACE } from "./ModelView"

const env = loadSync()
const TYPES = ["1-1", "2-1", "3-1", "4-1", "5-1", "6-2"]
const tasks: Array<Task> = TYPES.map((t) => env.tasksSync("train").find((x) => x.id.startsWith(`${t}/`))!)
const expert = Effect.runSync(rollout(env, env.expert(0), tasks, { source: { kind: "expert" } }))

interface Replayed {
  readonly action: string
  readonly observation: string
  /** The agent's room and the names of what it carries, after the action. */
  readonly room: string
  readonly carried: ReadonlyArray<string>
  /** Names of the objects and doors' rooms in the agent's room (look-arounds only). */
  readonly listed: ReadonlyArray<string>
}

const replay = (id: string, actions: ReadonlyArray<string>): Array<Replayed> => {
  const episode = env.resetSync(id)
  const w = episode.game.world
  const out: Array<Replayed> = []
  const step = (action: string) => {
    const observation = episode.step(action).observation
    const room = w.agentRoom()
    const listed = action === "look around"
      ? [...w.accessible(room).filter((o) => o.kind !== "agent" && o.name !== "air" && !o.hidden && observation.includes(o.name)).map((o) => o.name),
        ...w.doorsOf(room).map((d) => w.otherSide(d, room).name)]
      : []
    out.push({ action, observation, room: room.name, carried: w.inventory.children.map((o) => o.name), listed })
    return observation
  }
  step("look around")
  for (const a of actions) if (/^You teleport to/.test(step(a))) step("look around")
  return out
}

describe("sciworld model view", () => {
  it("the expert solves the chosen tasks", () => {
    expect(expert.map((e) => e.task.id.split("/")[0])).toEqual(TYPES)
    expect(expert.every((e) => e.reward === 1)).toBe(true)
  })

  it("lists a room on one line with every object and door the look-around names, in fewer characters", () => {
    let rooms = 0
    for (const e of expert) {
      for (const r of replay(e.task.id, e.turns.map((t) => t.action))) {
        const view = structuredObservation(r.observation, 10_000)
        if (r.action !== "look around") {
          if (!/^(Ambiguous|In your inventory)/.test(r.observation)) expect(view).toBe(r.observation)
          continue
        }
        rooms++
        expect(view.startsWith(`Room: ${r.room}. Here: `)).toBe(true)
        expect(view).not.toContain("\n")
        expect(view.length).toBeLessThan(r.observation.length)
        for (const name of r.listed) expect(view, `${e.task.id}: ${name}`).toContain(name)
        expect(view).not.toMatch(/\bagent\b|substance called|containing|which is/)
        // The budget cuts what is still too long.
        expect(structuredObservation(r.observation, 60)).toBe(view.slice(0, 60))
      }
    }
    expect(rooms).toBeGreaterThanOrEqual(2 * expert.length)
  })

  it("keeps an ambiguity prompt's numbered options and shortens an inventory listing", () => {
    const e = expert.find((x) => x.turns.some((t) => t.observation.startsWith("Ambiguous request")))!
    const prompt = e.turns.find((t) => t.observation.startsWith("Ambiguous request"))!.observation
    const view = structuredObservation(prompt, 10_000).split("\n")
    const options = prompt.split("\n").slice(1).filter((l) => l.trim() !== "")
    expect(view[0]).toBe("Ambiguous request, answer with a number:")
    expect(view.slice(1).map((l) => l.split(":")[0])).toEqual(options.map((l) => l.split(":")[0]))
    const episode = env.resetSync(tasks[0]!.id)
    episode.step("pick up thermometer")
    const inventory = episode.step("inventory").observation
    expect(structuredObservation(inventory, 10_000)).toBe(`Inventory: ${episode.game.world.inventory.children.map((o) => o.name).sort().join("; ")}.`)
    expect(compactItem("a counter. On the counter is: a bowl (containing a red apple, a banana), a drawer.")).toBe("counter: bowl (red apple, banana), drawer")
    expect(compactItem("a oven, which is turned off. The oven door is open. In the oven is: nothing.")).toBe("oven (off, empty)")
  })

  it("notes the agent's room, what it picked up and what it focused on, from the turns so far", () => {
    let carrying = 0
    for (const e of expert) {
      const turns = replay(e.task.id, e.turns.map((t) => t.action))
      const notes = stateNotes(e.initialObservation, turns)
      expect(notes).toHaveLength(turns.length)
      const focused: Array<string> = []
      notes.forEach((note, i) => {
        const t = turns[i]!
        const focus = /^You focus on the (.+)\.$/.exec(t.observation)
        if (focus !== null) focused.push(focus[1]!)
        const held = /Holding: ([^.]+)\./.exec(note)?.[1]?.split(", ") ?? []
        // Everything noted as held is carried (the inventory orange the text never mentioned is not noted).
        for (const h of held) expect(t.carried, `${e.task.id} turn ${i}`).toContain(h)
        if (held.length > 0) carrying++
        expect(note).toBe(noteLine(t.room, held, focused))
        // Causal: the note after turn i is the same when the episode stops there.
        expect(stateNotes(e.initialObservation, turns.slice(0, i + 1))[i]).toBe(note)
      })
    }
    expect(carrying).toBeGreaterThan(10)
  })

  it("knows no room before the text names one, and ignores rejected actions", () => {
    const notes = stateNotes("Task Description:\nYour task is to boil water.", [
      { action: "pick up metal pot", observation: "No known action matches that input." },
      { action: "focus on water", observation: "You focus on the water." },
      { action: "teleport to kitchen", observation: "You teleport to the kitchen." },
      { action: "pick up metal pot", observation: "You move the metal pot to the inventory." },
      { action: "move metal pot to stove", observation: "You move the metal pot to the stove." }
    ])
    expect(notes).toEqual([
      noteLine(UNKNOWN_PLACE, [], []),
      noteLine(UNKNOWN_PLACE, [], ["water"]),
      noteLine("kitchen", [], ["water"]),
      noteLine("kitchen", ["metal pot"], ["water"]),
      noteLine("kitchen", [], ["water"])
    ])
  })
})
