/**
 * Behaviour of the original simulator (ScienceWorld 1.3.0 sources) that this
 * engine reproduces: parser referents, movement, goals, texts, creation order
 * and the grow-fruit task. Each case is written from the sources' rules.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { rollout, type Task } from "@eto/core"
import { loadVariations, type Variation } from "./data"
import { NO_MATCH } from "./game"
import { makeEnvironment } from "./index"
import { referentTable } from "./parser"
import { DEFAULT_SETTINGS, type Settings } from "./settings"
import { newGame, taskType, TASK_TYPES } from "./tasks"
import { degrees, makeObject, type Obj } from "./world"

const variations: ReadonlyArray<Variation> = Effect.runSync(loadVariations())
const variation = (id: string, n: number): Variation => variations.find((v) => v.id === id && v.variation === n)!
const CLOSED: Settings = { ...DEFAULT_SETTINGS, openContainers: false }

const start = (id: string, n: number, settings: Settings = CLOSED) => newGame(variation(id, n), settings)
const run = (id: string, n: number, actions: ReadonlyArray<string>, settings: Settings = CLOSED) => {
  const g = start(id, n, settings)
  return { g, obs: actions.map((a) => g.step(a).observation) }
}
const refsOf = (g: ReturnType<typeof start>, o: Obj): Array<string> =>
  referentTable(g.world.scope(), g.world).find((e) => e.obj === o)?.refs ?? []

describe("referents", () => {
  it("names a terminal through its part: 'cathode in motor', 'terminal 1 in red wire'", () => {
    const { obs } = run("3-1", 15, [
      "connect orange wire terminal 1 to anode in motor",
      "connect terminal 2 in red wire to cathode in electric motor"
    ])
    expect(obs).toEqual([
      "terminal 1 on orange wire is now connected to anode on electric motor",
      "terminal 2 on red wire is now connected to cathode on electric motor"
    ])
  })

  it("accepts 'unknown substance' without its letter and lists it by its bare name", () => {
    const { obs } = run("3-4", 450, ["teleport to workshop", "pick up unknown substance", "inventory", "drop unknown substance"])
    expect(obs.slice(1)).toEqual([
      "You move the unknown substance U to the inventory.",
      "In your inventory, you see:\n\tan orange\n\tunknown substance U",
      "You move the unknown substance U to the workshop."
    ])
  })

  it("calls animals by stage + name and stage + display name ('egg turtle', 'baby baby wolf'), shown as before", () => {
    const { obs } = run("4-4", 225, ["teleport to outside", "look at egg turtle", "look at egg turtle egg", "look at baby baby wolf", "look at baby wolf"])
    expect(obs.slice(1)).toEqual(["a turtle egg", "a turtle egg", "a baby wolf", "a baby wolf"])
  })

  it("calls a seed 'X seed in the seed stage', every stage of a fruit tree included", () => {
    const g = start("8-2", 3)
    const seed = g.world.findAll((o) => o.kind === "plant" && o.stage === "seed")[0]!
    const refs = refsOf(g, seed)
    for (const r of ["banana seed in seed stage", "seed banana seed", "seed plant", "living thing", "organism"]) expect(refs).toContain(r)
    expect(g.step("look at banana seed in the seed stage").observation).toBe("a banana seed")
  })

  it("gives default objects 'object', sittables '<material> sittable', generators 'generator' and wires 'component'", () => {
    const g = start("3-1", 16)
    g.world.agentRoom().add(g.world.agent)
    const find = (name: string) => g.world.findAll((o) => o.name === name)[0]!
    g.world.room("workshop").add(g.world.agent)
    expect(refsOf(g, find("battery"))).toContain("generator")
    expect(refsOf(g, find("solar panel"))).toContain("generator")
    expect(refsOf(g, find("red wire"))).toContain("component")
    expect(refsOf(g, find("red wire"))).not.toContain("wire")
    const home = start("4-2", 1)
    home.world.room("living room").add(home.world.agent)
    const couch = home.world.findAll((o) => o.name === "couch")[0]!
    const chair = home.world.findAll((o) => o.name === "chair" && o.room() === home.world.room("living room"))[0]!
    const pillow = couch.children.find((o) => o.name === "pillow")!
    expect(refsOf(home, couch)).toContain("cloth sittable")
    expect(refsOf(home, chair)).toContain("wood sittable")
    expect(refsOf(home, pillow)).toEqual(expect.arrayContaining(["object", "pillow", "object in couch", "object on cloth sittable"]))
    expect(home.step("look at object").observation).toBe("a white pillow")
  })

  it("names hyphenated paints 'paint' and lists them without an article", () => {
    const g = start("6-3", 27)
    const cup = g.world.findAll((o) => o.name === "jug")[0] ?? g.world.findAll((o) => o.name === "glass cup")[0]!
    g.world.spawn(makeObject("violet-red paint", []), cup)
    cup.room()!.add(g.world.agent)
    const paint = cup.children.find((o) => o.name === "violet-red paint")!
    expect(paint.kind).toBe("paint")
    expect(refsOf(g, paint)).toEqual(expect.arrayContaining(["paint", `paint in ${cup.name}`, `paint in ${cup.nouns[0]} containing violet-red paint`]))
    expect(g.step(`look at ${cup.name}`).observation).toBe(`a ${cup.name} (containing violet-red paint)`)
  })
})

describe("moving", () => {
  it("runs 'pick up' of a carried object as a move into the inventory, and 'put down' of a loose one as a move to the room", () => {
    const g = start("4-2", 0)
    const ticks = g.world.ticks
    expect(g.step("pick up orange").observation).toBe("You move the orange to the inventory.")
    expect(g.world.ticks).toBe(ticks + 1)
    expect(g.step("drop picture").observation).toBe("You move the picture to the hallway.")
  })

  it("moves furniture (only devices, the agent, terminals, rooms and doors stay put); a closet can be the found object", () => {
    const { g, obs } = run("4-2", 0, ["teleport to bedroom", "focus on closet", "pick up closet", "teleport to kitchen", "move closet to red box"])
    expect(obs.slice(2)).toEqual(["You move the closet to the inventory.", "You teleport to the kitchen.", "You move the closet to the red box."])
    expect(g.completed).toBe(true)
    expect(run("4-2", 0, ["teleport to kitchen", "pick up stove"]).obs[1]).toBe("The stove is not moveable.")
  })

  it("disconnects a wired object it moves, with no space before the reply", () => {
    const { obs } = run("3-1", 15, ["connect orange wire terminal 1 to anode in motor", "pick up orange wire"])
    expect(obs[1]).toBe("(disconnecting orange wire)You move the orange wire to the inventory.")
  })
})

describe("goals", () => {
  it("counts the focused plant as carried when its pot is in the inventory", () => {
    const g = start("4-3", 6)
    const before = g.goals.unorderedCompleted
    g.step("focus on cherry tree")
    g.step("pick up flower pot 3")
    expect(g.goals.unorderedCompleted).toBe(before + 1)
  })

  it("checks the goals twice on a free action: staying outside counts two per look", () => {
    const g = start("8-1", 0)
    g.step("teleport to outside")
    const done = () => g.goals.unorderedCompleted
    const base = done()
    // teleport: checks before and after the tick (2); each look around adds 2 more, so 10 are reached after 4 looks
    for (let i = 0; i < 3; i++) g.step("look around")
    expect(done()).toBe(base)
    g.step("look around")
    expect(done()).toBe(base + 1)
  })

  it("names a fruit tree 'plant' until its first tick, then by its type and stage", () => {
    const g = start("4-3", 6)
    expect(g.step("focus on cherry tree").observation).toBe("You focus on the plant.")
    expect(g.step("focus on cherry tree").observation).toBe("You focus on the cherry tree.")
  })
})

describe("texts", () => {
  it("seals the toilet's drain on the first tick and opens it while flushing", () => {
    const { obs } = run("4-2", 1, ["teleport to bathroom", "look at toilet", "flush toilet", "look at toilet", "flush toilet"])
    expect(obs.slice(1)).toEqual([
      "a toilet. In the toilet is: A drain, which is closed, a substance called water.",
      "The toilet is now flushing.",
      "a toilet, which is flushing. In the toilet is: A drain, which is open.",
      "That is already flushing."
    ])
  })

  it("lists pillows as white, book shelves as containers, and the books' authors", () => {
    const { obs } = run("4-2", 1, ["teleport to bedroom", "look around"])
    expect(obs[1]).toContain("\ta bed. On the bed is: a mattress. On the mattress is: a white pillow..\n")
    expect(obs[1]).toContain("\ta book shelf (containing A book (Sherlock Holmes) titled Sherlock Holmes by Arthur Conan Doyle)\n")
    const g = start("4-2", 0)
    const frankenstein = makeObject("book (Frankenstein)", [])
    const beowulf = makeObject("book (Beowulf)", [])
    g.world.spawn(frankenstein, g.world.agentRoom())
    g.world.spawn(beowulf, g.world.agentRoom())
    expect(g.step("look at frankenstein").observation).toBe("A book (Frankenstein) titled Frankenstein by Mary Wollstonecraft Shelley")
    expect(g.step("look at book by beowulf poet").observation).toBe("A book (Beowulf) titled Beowulf by Beowulf poet")
  })

  it("describes blank paper, its reading, and the three-ingredient sandwich's reply", () => {
    const g = start("6-1", 0)
    const room = g.world.agentRoom()
    g.world.spawn(makeObject("paper", []), room)
    expect(g.step("look at paper").observation).toBe("A blank paper")
    expect(g.step("read paper").observation).toBe("The paper does not have any text on it.")
    const bowl = makeObject("bowl", [])
    g.world.spawn(bowl, room)
    for (const n of ["bread", "peanut", "banana"]) g.world.spawn(makeObject(n, []), bowl)
    expect(g.step("mix bowl").observation).toBe("Bread and peanuts and jam mix to produce a peanut butter with banana sandwich.")
    expect(bowl.children.map((o) => o.name)).toEqual(["peanut butter with banana sandwich"])
  })

  it("rounds temperatures as Java's %.0f does", () => {
    expect([degrees(52.5), degrees(-8.5), degrees(-0.4), degrees(0.4)]).toEqual(["53", "-9", "-0", "0"])
  })

  it("drains a sink's own water and fills the open containers in it", () => {
    const g = start("4-2", 1)
    g.step("teleport to bathroom")
    g.step("move glass cup to sink")
    g.step("activate sink")
    expect(g.step("look at sink").observation).toBe("a sink, which is turned on. In the sink is: a glass cup (containing a substance called water). The drain is open.")
  })
})

describe("creation order", () => {
  it("gives task objects lower uuids than the house, the kitchen's pot before its thermometer, and drawers first", () => {
    const g = start("2-1", 405)
    const w = g.world
    const bathroom = w.room("bathroom")
    const substance = bathroom.children.find((o) => o.name === "unknown substance B")!
    const sink = bathroom.children.find((o) => o.name === "sink")!
    expect(substance.uuid).toBeLessThan(sink.uuid)
    const kitchen = w.room("kitchen")
    const cupboard = kitchen.children.find((o) => o.name === "cupboard")!
    const pot = cupboard.children.find((o) => o.name === "metal pot")!
    const thermometer = kitchen.children.find((o) => o.name === "thermometer")!
    expect(pot.uuid).toBeLessThan(thermometer.uuid)
    expect(cupboard.children[0]!.name).toBe("drawer")
    expect(w.agent.uuid).toBeGreaterThan(thermometer.uuid)
  })
})

describe("grow fruit (5-2)", () => {
  it("is enabled, as are all 24 task types", () => {
    expect(taskType("5-2")?.enabled).toBe(true)
    expect(TASK_TYPES.filter((t) => t.enabled).length).toBe(24)
  })

  it("bees carry pollen between two trees of a type; the flower wilts and the fruit forms five ticks later", () => {
    const g = start("5-2", 93)
    const w = g.world
    const greenhouse = w.room("greenhouse")
    const pots = greenhouse.children.filter((o) => o.name.startsWith("flower pot")).slice(0, 2)
    for (const pot of pots) {
      const tree = makeObject("orange tree", ["orange", "reproducing"])
      w.spawn(tree, pot)
      if (!pot.children.some((c) => c.kind === "soil")) w.spawn(makeObject("soil", []), pot)
    }
    for (const d of w.doorsOf(greenhouse)) d.open = false
    greenhouse.findDeep("bee hive")!.open = true
    let wilted = false
    let fruitAt = -1
    let wiltAt = -1
    for (let t = 0; t < 400 && fruitAt < 0; t++) {
      w.tick()
      const flowers = w.findAll((o) => o.kind === "flower", greenhouse)
      if (!wilted && flowers.some((f) => f.pollinationStep > 0)) {
        wilted = true
        wiltAt = w.ticks
      }
      if (w.findAll((o) => o.kind === "fruit" && o.name === "orange" && o.parent?.kind === "plant", greenhouse).length > 0) fruitAt = w.ticks
    }
    expect(wilted).toBe(true)
    expect(fruitAt - wiltAt).toBe(5)
  })

  it.effect("the expert grows the fruit on seen and unseen instances, hive open or closed", () =>
    Effect.gen(function*() {
      for (const settings of [DEFAULT_SETTINGS, CLOSED]) {
        const env = makeEnvironment(variations, settings)
        const pick = (ts: ReadonlyArray<Task>) => ts.filter((t) => t.metadata.taskType === "5-2").slice(0, 5)
        const tasks = [...pick(env.tasksSync("seen")), ...pick(env.tasksSync("unseen"))]
        expect(tasks.length).toBe(10)
        const trajs = yield* rollout(env, env.expert(5), tasks, { source: { kind: "expert" } })
        for (const t of trajs) expect([t.task.id, t.reward]).toEqual([t.task.id, 1])
      }
    }))

  it("rejects what the original rejects", () => {
    expect(run("5-2", 93, ["focus on apple in living thing"]).obs[0]).toBe(NO_MATCH)
  })
})
