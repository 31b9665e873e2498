import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { rollout, type Task } from "@eto/core"
import { loadVariations, parseLayout, type Variation } from "./data"
import { UNKNOWN_ACTION } from "./game"
import { load, makeEnvironment } from "./index"
import { DEFAULT_SETTINGS, decodeSettings } from "./settings"
import { newGame, TASK_TYPES } from "./tasks"

const variations: ReadonlyArray<Variation> = Effect.runSync(loadVariations())
const variation = (id: string, n: number): Variation => variations.find((v) => v.id === id && v.variation === n)!
const env = makeEnvironment(variations, DEFAULT_SETTINGS)

const play = (id: string, n: number, actions: ReadonlyArray<string>) => {
  const g = newGame(variation(id, n), DEFAULT_SETTINGS)
  const start = g.score
  const steps = actions.map((a) => {
    const r = g.step(a)
    return { obs: r.observation, score: r.score, ticks: g.world.ticks }
  })
  return { g, start, steps }
}

describe("sciworld data", () => {
  it("reads all 4,891 variations", () => {
    expect(variations.length).toBe(4891)
  })

  it("parses nested layouts", () => {
    const nodes = parseLayout("counter[bowl[apple; banana]; drawer{closed}]; fridge{on,closed}[wood cup[orange juice]]")
    expect(nodes.map((n) => n.name)).toEqual(["counter", "fridge"])
    expect(nodes[0]!.children[0]!.children.map((c) => c.name)).toEqual(["apple", "banana"])
    expect(nodes[1]!.attrs).toEqual(["on", "closed"])
  })
})

describe("worked example 7.1 (4-4 find-animal, variation 225)", () => {
  it("replays with identical observations and scores", () => {
    const { g, start, steps } = play("4-4", 225, [
      "teleport to outside",
      "look around",
      "focus on turtle egg",
      "pick up turtle egg",
      "teleport to living room",
      "move turtle egg to orange box"
    ])
    expect(start).toBeCloseTo(0.0833, 4)
    expect(steps.map((s) => s.obs)).toEqual([
      "You teleport to the outside.",
      "This outside location is called the outside. Here you see: \n\tthe agent\n\ta substance called air\n\tan axe\n\ta frog egg\n\ta fire pit (containing nothing)\n\ta fountain (containing a substance called water)\n\tthe ground\n\ta turtle egg\n\ta baby wolf\n\ta substance called wood\nYou also see:\n\tA door to the foundry (that is open)\n\tA door to the greenhouse (that is open)\n\tA door to the kitchen (that is open)",
      "You focus on the turtle egg.",
      "You move the turtle to the inventory.",
      "You teleport to the living room.",
      "You move the turtle to the orange box."
    ])
    expect(steps.map((s) => Number(s.score.toFixed(4)))).toEqual([0.1667, 0.1667, 0.6667, 0.75, 0.8333, 1])
    expect(g.completed).toBe(true)
  })

  it("fails with -1 on a wrong focus", () => {
    const { g, steps } = play("4-4", 225, ["teleport to outside", "focus on axe"])
    expect(steps[1]!.score).toBe(-1)
    expect(g.failed).toBe(true)
  })

  it("stalls when a second animal is focused after the first", () => {
    const { g, steps } = play("4-4", 225, [
      "teleport to outside",
      "focus on turtle egg",
      "focus on wolf",
      "pick up turtle egg",
      "teleport to living room",
      "move turtle egg to orange box"
    ])
    expect(g.failed).toBe(false)
    expect(g.completed).toBe(false)
    expect(steps[5]!.score).toBeLessThan(1)
  })
})

describe("worked example 7.3 (3-1 power-component, variation 15)", () => {
  it("replays with identical observations and scores", () => {
    const { g, start, steps } = play("3-1", 15, [
      "look around",
      "focus on electric motor",
      "connect battery anode to orange wire terminal 1",
      "connect orange wire terminal 2 to electric motor cathode",
      "connect electric motor anode to black wire terminal 1",
      "connect black wire terminal 2 to battery cathode",
      "wait1",
      "look at electric motor",
      "connect battery to red wire"
    ])
    expect(start).toBeCloseTo(0.0667, 4)
    expect(steps[0]!.obs).toBe(
      "This room is called the workshop. In it, you see: \n\tthe agent\n\ta substance called air\n\ta blue light bulb, which is off\n\ta electric buzzer, which is off\n\ta electric motor, which is off\n\ta nuclear generator, which is off\n\ta table. On the table is: a battery, a black wire, a green light bulb, which is off, a orange light bulb, which is off, a orange wire, a red light bulb, which is off, a red wire, a switch, which is off.\n\ta ultra low temperature freezer. The ultra low temperature freezer door is open. In the ultra low temperature freezer is: nothing.\n\ta wind generator, which is off\nYou also see:\n\tA door to the hallway (that is open)"
    )
    expect(steps.slice(1, 7).map((s) => s.obs)).toEqual([
      "You focus on the electric motor.",
      "anode on battery is now connected to terminal 1 on orange wire",
      "terminal 2 on orange wire is now connected to cathode on electric motor",
      "anode on electric motor is now connected to terminal 1 on black wire",
      "terminal 2 on black wire is now connected to cathode on battery",
      "You decide to wait for 1 iterations."
    ])
    expect(steps.slice(0, 7).map((s) => Number(s.score.toFixed(4)))).toEqual([0.0667, 0.5667, 0.5667, 0.7, 0.7667, 0.7667, 1])
    expect(steps[7]!.obs).toBe(
      "a electric motor, which is on. its anode is connected to: a terminal 1 on black wire. its cathode is connected to: a terminal 2 on orange wire."
    )
    expect(steps[8]!.obs).toBe(
      "Connections must specify specific points of contact on polarized electrical components (e.g. anode, cathode)"
    )
    expect(g.completed).toBe(true)
  })

  it("3-2 fails the moment the part lights from the wrong source", () => {
    const v = variation("3-2", 16)
    expect(v.description).toContain("renewable")
    const { g } = play("3-2", 16, [
      "teleport to workshop",
      "focus on electric buzzer",
      "connect battery anode to black wire terminal 1",
      "connect black wire terminal 2 to electric buzzer cathode",
      "connect electric buzzer anode to green wire terminal 1",
      "connect green wire terminal 2 to battery cathode",
      "wait1"
    ])
    expect(g.failed).toBe(true)
  })

  it("a non-conductive test object keeps the bulb off; the wrong box fails", () => {
    const v = variation("3-3", 675)
    expect(v.params.isConductive).toBe(false)
    const wrong = String(v.params.conductive)
    const { g, steps } = play("3-3", 675, [
      "teleport to workshop",
      "focus on sodium chloride",
      "connect battery anode to black wire terminal 1",
      "connect black wire terminal 2 to sodium chloride terminal 1",
      "connect sodium chloride terminal 2 to orange wire terminal 1",
      `connect orange wire terminal 2 to ${v.params.partToPower} cathode`,
      `connect ${v.params.partToPower} anode to red wire terminal 1`,
      "connect red wire terminal 2 to battery cathode",
      "wait",
      `look at ${v.params.partToPower}`,
      `move sodium chloride to ${wrong}`
    ])
    expect(steps[9]!.obs.startsWith(`a ${v.params.partToPower}, which is off.`)).toBe(true)
    expect(g.failed).toBe(true)
  })
})

describe("worked example 7.2 (1-1 boil, variation 0)", () => {
  it("replays the heating with identical observations, scores and ticks", () => {
    const { g, start, steps } = play("1-1", 0, [
      "teleport to kitchen",
      "pick up metal pot",
      "move metal pot to sink",
      "activate sink",
      "deactivate sink",
      "focus on water",
      "pick up metal pot",
      "move metal pot to stove",
      "activate stove",
      "wait",
      "use thermometer on water",
      "wait",
      "look at stove"
    ])
    expect(start).toBe(0)
    expect(steps.map((s) => s.obs)).toEqual([
      "You teleport to the kitchen.",
      "You move the metal pot to the inventory.",
      "You move the metal pot to the sink.",
      "The sink is now activated.",
      "The sink is now deactivated.",
      "You focus on the water.",
      "You move the metal pot to the inventory.",
      "You move the metal pot to the stove.",
      "The stove is now activated.",
      "You decide to wait for 10 iterations.",
      "the thermometer measures a temperature of 58 degrees celsius",
      "You decide to wait for 10 iterations.",
      "a stove, which is turned on. On the stove is: a metal pot (containing a substance called steam)."
    ])
    expect(steps.slice(0, 12).map((s) => Number(s.score.toFixed(4)))).toEqual([
      0, 0, 0, 0.0333, 0.0333, 0.7, 0.7, 0.7167, 0.7333, 0.75, 0.75, 1
    ])
    expect(steps.slice(0, 12).map((s) => s.ticks)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 20, 21, 32])
    expect(g.completed).toBe(true)
  })
})

describe("time", () => {
  it("counts ticks: free look around and inventory, wait = 11, wait1 = 2, parse failure free", () => {
    const { steps } = play("7-1", 0, ["look around", "inventory", "wait1", "wait", "fly to the moon", "look at orange"])
    expect(steps.map((s) => s.ticks)).toEqual([0, 0, 2, 13, 13, 14])
    expect(steps[4]!.obs).toBe("No known action matches that input.")
    expect(steps[1]!.obs).toBe("In your inventory, you see:\n\tan orange")
  })

  it("advances animal life stages every 20 ticks", () => {
    const { steps } = play("7-3", 0, ["teleport to outside", "wait", "wait", "look around"])
    expect(steps[3]!.obs).toContain("a juvenile brown bear")
  })
})

describe("ambiguity", () => {
  it("lists identical paints, runs a numbered answer, and cancels (with a tick) on anything else", () => {
    const { g, steps } = play("6-2", 0, [
      "teleport to art studio",
      "pour red paint into table",
      "look at jug",
      "pour red paint into jug",
      "1"
    ])
    expect(steps[1]!.obs.split("\n")[0]).toBe(
      "Ambiguous request: Please enter the number for the action you intended (or blank to cancel):"
    )
    // options follow creation order: the studio's own cups before the cupboard's
    expect(steps[1]!.obs).toContain("0:\tpour red paint (in wood cup, in art studio) in table (in art studio)\n1:\tpour red paint (in wood cup, in large cupboard, in art studio) in table (in art studio)\n")
    expect(steps[1]!.ticks).toBe(1)
    expect(steps[2]!.obs).toBe(UNKNOWN_ACTION)
    expect(steps[2]!.ticks).toBe(2)
    expect(steps[4]!.obs).toBe("You pour the red paint into the jug.")
    expect(g.world.room("art studio").children.find((o) => o.name === "table")!.children[0]!.children.map((c) => c.name)).toEqual([
      "red paint"
    ])
  })

  it("trap 7.4: five identical seeds; a new command is consumed as the answer and costs a tick", () => {
    const { g, steps } = play("5-1", 93, ["teleport to bathroom", "pick up seed jar", "teleport to greenhouse", "move orange seed to flower pot 1", "look at flower pot 1"])
    const prompt = steps[3]!.obs.split("\n")
    // header, five options, and the prompt's closing newline
    expect(prompt.length).toBe(7)
    expect(prompt[6]).toBe("")
    expect(prompt[1]).toBe("0:\tmove orange seed (in seed jar, in inventory, in agent, in greenhouse) to flower pot 1 (in greenhouse)")
    expect(steps[3]!.ticks).toBe(3)
    expect(steps[4]!.obs).toBe(UNKNOWN_ACTION)
    expect(steps[4]!.ticks).toBe(4)
    expect(g.step("move orange seed to flower pot 1").observation.startsWith("Ambiguous request")).toBe(true)
    expect(g.step("0").observation).toBe("You move the orange seed to the flower pot 1.")
  })

  it("trap 7.4: in 5-2 orange variations the inventory orange completes the task", () => {
    const { g, steps } = play("5-2", 93, ["focus on orange"])
    expect(steps[0]!.obs).toBe("You focus on the orange.")
    expect(steps[0]!.score).toBe(1)
    expect(g.completed).toBe(true)
  })

  it("resolves identical objects with a container qualifier", () => {
    const { steps } = play("6-1", 18, ["teleport to kitchen", "focus on orange in inventory"])
    expect(steps[1]!.obs).toBe("You focus on the orange.")
  })
})

describe("scoring per enabled task type", () => {
  it("unordered goal counts match the original's", () => {
    for (const t of TASK_TYPES.filter((x) => x.enabled || x.id.startsWith("5-"))) {
      for (const v of variations.filter((x) => x.id === t.id).slice(0, 40)) {
        const g = newGame(v, DEFAULT_SETTINGS)
        expect([v.id, g.goals.unordered.length]).toEqual([v.id, v.n_unordered_goals])
        expect([v.id, g.goals.sequential.length]).toEqual([v.id, v.sequential_goals.length])
      }
    }
  })

  it("7-3 needs the longest then the shortest, and fails on the medium one", () => {
    const v = variation("7-3", 0)
    const ok = play("7-3", 0, ["teleport to outside", `focus on ${v.params.long}`, `focus on ${v.params.short}`])
    expect(ok.steps.map((s) => Number(s.score.toFixed(3)))).toEqual([0.333, 0.833, 1])
    const bad = play("7-3", 0, ["teleport to outside", `focus on ${v.params.medium}`])
    expect(bad.steps[1]!.score).toBe(-1)
  })

  it("6-2 mixes the secondary colour", () => {
    const { g, steps } = play("6-2", 0, [
      "teleport to art studio",
      "pour blue paint into jug",
      "0",
      "pour yellow paint into jug",
      "1",
      "mix jug",
      "focus on green paint"
    ])
    expect(steps[1]!.obs.startsWith("Ambiguous request")).toBe(true)
    expect(steps[2]!.obs).toBe("You pour the blue paint into the jug.")
    expect(steps.map((s) => s.obs).slice(5)).toEqual(["Blue and yellow paint mix to produce green paint.", "You focus on the green paint."])
    expect(g.completed).toBe(true)
  })

  it("6-1 reads the recipe and mixes salt water", () => {
    const { g, steps } = play("6-1", 0, ["teleport to kitchen", "read recipe"])
    expect(steps[1]!.obs).toBe("The recipe reads:\nTo make salt water, you need to mix sodium chloride, water.")
    expect(g.score).toBeGreaterThan(0)
  })

  it("4-2 accepts a non-living thing and fails on a living one", () => {
    const ok = play("4-2", 0, ["focus on orange"])
    expect(ok.steps[0]!.score).toBeCloseTo(0.5 + 1 / 12 + 1 / 12, 6)
    const bad = play("4-2", 0, ["teleport to outside", "focus on dove"])
    expect(bad.steps[1]!.score).toBe(-1)
  })

  it("2-2: focusing a non-box waits, the wrong box fails, the right one completes", () => {
    const base = ["teleport to kitchen", "focus on thermometer", "focus on tin"]
    const wrong = play("2-2", 327, [...base, "focus on table", "focus on green box"])
    expect(wrong.steps[3]!.score).toBeGreaterThan(0)
    expect(wrong.g.failed).toBe(true)
    const right = play("2-2", 327, [...base, "focus on red box"])
    expect(right.g.completed).toBe(true)
  })

  it("2-1: the box is judged by the object's current temperature", () => {
    const g = newGame(variation("2-1", 405), DEFAULT_SETTINGS)
    for (const a of ["teleport to kitchen", "focus on thermometer", "pick up thermometer", "teleport to bathroom", "focus on unknown substance B"]) g.step(a)
    const reading = g.step("use thermometer on unknown substance B").observation
    const t = Number(/of (-?\d+) degrees/.exec(reading)![1])
    g.step("put down thermometer")
    g.step("pick up unknown substance B")
    const wrongBox = t >= 200 ? "purple box" : "yellow box"
    g.step(`move unknown substance B to ${wrongBox}`)
    expect(g.failed).toBe(true)
  })

  it("8-1: each stage must be focused in order; refocusing too early fails", () => {
    const early = play("8-1", 9, ["teleport to outside", "focus on giant tortoise", "focus on giant tortoise"])
    expect(early.steps[1]!.obs).toBe("You focus on the giant tortoise egg.")
    expect(early.g.failed).toBe(true)
    const patient = play("8-1", 9, ["teleport to outside", "focus on giant tortoise", "wait", "wait", "focus on giant tortoise"])
    expect(patient.steps[4]!.obs).toBe("You focus on the hatchling giant tortoise.")
    expect(patient.g.goals.curIdx).toBe(2)
  })

  it("5-1: a planted seed with soil grows through the stages in a self-watering pot", () => {
    const { g } = play("5-1", 93, [
      "teleport to bathroom",
      "focus on orange seed",
      "0",
      "pick up seed jar",
      "teleport to greenhouse",
      "move orange seed to flower pot 1",
      "0",
      "wait",
      "wait",
      "wait"
    ])
    expect(g.completed).toBe(true)
  })

  it("6-3 wording follows the setting", () => {
    const v = variation("6-3", 3)
    expect(newGame(v, DEFAULT_SETTINGS).spec.description.endsWith("focus on the green-blue paint.")).toBe(true)
    expect(newGame(v, { ...DEFAULT_SETTINGS, paintTertiaryWording: "secondary" }).spec.description).toBe(v.description)
  })
})

describe("environment", () => {
  it.effect("has the paper's lists for enabled types only, and a seeded dev subset", () =>
    Effect.gen(function*() {
      const seen = yield* env.tasks("seen")
      const unseen = yield* env.tasks("unseen")
      const dev = yield* env.tasks("dev")
      expect(seen.length).toBe(194)
      expect(unseen.length).toBe(211)
      expect(dev.length).toBe(119)
      expect(seen.every((t) => t.metadata.enabled === true)).toBe(true)
      const types = (env as ReturnType<typeof makeEnvironment>).taskTypes
      expect(types.filter((t) => !t.enabled).every((t) => t.reason.length > 0)).toBe(true)
      // 2-3 (unknown melting point) is a topic-1-8 type the paper does not use
      const missing = yield* Effect.exit(env.task("2-3/0"))
      expect(Exit.isFailure(missing)).toBe(true)
    }))

  it.effect("rejects unknown settings and bad values", () =>
    Effect.gen(function*() {
      const bad = yield* Effect.exit(decodeSettings({ nope: "1" }))
      expect(Exit.isFailure(bad)).toBe(true)
      const badValue = yield* Effect.exit(load({ settings: { openContainers: "maybe" } }))
      expect(Exit.isFailure(badValue)).toBe(true)
      const ok = yield* decodeSettings({ openContainers: "false" })
      expect(ok.openContainers).toBe(false)
    }))

  it("closed containers hide their contents when openContainers=false", () => {
    const g = newGame(variation("6-1", 0), { ...DEFAULT_SETTINGS, openContainers: false })
    expect(g.step("teleport to kitchen").observation).toBe("You teleport to the kitchen.")
    expect(g.step("look around").observation).toContain("a cupboard. The cupboard door is closed.")
    expect(g.step("pick up metal pot").observation).toBe("No known action matches that input.")
  })

  it.effect("the expert reaches 100 on a sample of seen and unseen instances of every enabled type", () =>
    Effect.gen(function*() {
      const seen = yield* env.tasks("seen")
      const unseen = yield* env.tasks("unseen")
      const pick = (ts: ReadonlyArray<Task>) => {
        const out: Array<Task> = []
        for (const t of TASK_TYPES.filter((x) => x.enabled)) out.push(...ts.filter((x) => x.metadata.taskType === t.id).slice(0, 2))
        return out
      }
      const tasks = [...pick(seen), ...pick(unseen)]
      const trajs = yield* rollout(env, env.expert(7), tasks, { source: { kind: "expert" } })
      for (const t of trajs) {
        expect([t.task.id, t.reward]).toEqual([t.task.id, 1])
        for (const turn of t.turns) expect(turn.thought.length).toBeGreaterThan(0)
      }
    }))

  it.effect("with openContainers=false the expert opens what it needs", () =>
    Effect.gen(function*() {
      const closedEnv = makeEnvironment(variations, { ...DEFAULT_SETTINGS, openContainers: false })
      const seen = yield* closedEnv.tasks("seen")
      const tasks = ["1-2", "2-2", "6-3"].map((type) => seen.find((t) => t.metadata.taskType === type)!)
      const trajs = yield* rollout(closedEnv, closedEnv.expert(3), tasks, { source: { kind: "expert" } })
      for (const t of trajs) expect([t.task.id, t.reward]).toEqual([t.task.id, 1])
      expect(trajs.some((t) => t.turns.some((turn) => turn.action.startsWith("open ")))).toBe(true)
    }))

  it("episode reward is the best score so far and a format error resets it", () => {
    const ep = Effect.runSync(env.reset("7-3/0"))
    expect(ep.initialObservation.startsWith("Task Description:\nYour task is to find the animal")).toBe(true)
    expect(ep.maxSteps).toBe(12)
    const r1 = ep.step("teleport to outside")
    expect(r1.reward).toBeCloseTo(1 / 3, 6)
    const r2 = ep.formatError()
    expect(r2.reward).toBe(0)
    const r3 = ep.step("look around")
    expect(r3.reward).toBeCloseTo(1 / 3, 6)
    expect(ep.availableActions()?.length ?? 0).toBeGreaterThan(10)
  })
})
