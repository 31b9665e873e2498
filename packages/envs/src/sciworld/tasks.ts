/**
 * The 24 task types of topics 1-8: their step budgets, whether this engine
 * runs them faithfully, and how a variation becomes a running game.
 */
import * as Random from "@eto/core/Random"
import { type Variation, parseLayout, type LayoutNode } from "./data"
import { Game } from "./game"
import {
  find,
  findAnswerBox,
  focusedInInventory,
  focusOn,
  inContainer,
  inContainerByName,
  inRoomWithObject,
  inRoomWithOpenDoor,
  moveToLocation,
  moveToNewLocation,
  objectsInSingleContainer,
  pastAction,
  type SequentialGoal,
  type UnorderedGoal
} from "./goals"
import { applyCreationOrder } from "./creation"
import { connectedParts, isGenerator, wireConnects } from "./electricity"
import type { Settings } from "./settings"
import { type Obj, World } from "./world"

export interface TaskType {
  readonly id: string
  readonly etoId: number
  readonly name: string
  readonly maxSteps: number
  readonly enabled: boolean
  /** Why a type is disabled (empty when enabled). */
  readonly reason: string
}

const tt = (id: string, etoId: number, name: string, maxSteps: number, reason = ""): TaskType => ({
  id,
  etoId,
  name,
  maxSteps,
  enabled: reason === "",
  reason
})

export const TASK_TYPES: ReadonlyArray<TaskType> = [
  tt("1-1", 0, "boil", 100),
  tt("1-2", 3, "melt", 80),
  tt("1-3", 2, "freeze", 80),
  tt("1-4", 1, "change-the-state-of-matter-of", 80),
  tt("2-1", 6, "use-thermometer", 30),
  tt("2-2", 4, "measure-melting-point-known-substance", 120),
  tt("3-1", 7, "power-component", 20),
  tt("3-2", 8, "power-component-renewable-vs-nonrenewable-energy", 30),
  tt("3-3", 9, "test-conductivity", 30),
  tt("3-4", 10, "test-conductivity-of-unknown-substances", 30),
  tt("4-1", 12, "find-living-thing", 15),
  tt("4-2", 13, "find-non-living-thing", 15),
  tt("4-3", 14, "find-plant", 15),
  tt("4-4", 11, "find-animal", 15),
  tt("5-1", 16, "grow-plant", 30),
  tt("5-2", 15, "grow-fruit", 60),
  tt("6-1", 17, "chemistry-mix", 60),
  tt("6-2", 18, "chemistry-mix-paint-secondary-color", 15),
  tt("6-3", 19, "chemistry-mix-paint-tertiary-color", 30),
  tt("7-1", 20, "lifespan-longest-lived", 10),
  tt("7-2", 22, "lifespan-shortest-lived", 10),
  tt("7-3", 21, "lifespan-longest-lived-then-shortest-lived", 12),
  tt("8-1", 23, "identify-life-stages-1", 30),
  tt("8-2", 24, "identify-life-stages-2", 30)
]

export const taskType = (id: string): TaskType | undefined => TASK_TYPES.find((t) => t.id === id)

const str = (v: Variation, key: string): string => {
  const x = v.params[key]
  if (typeof x !== "string") throw new Error(`variation ${v.id}/${v.variation}: parameter '${key}' missing`)
  return x
}

/** The task description the agent sees (with the 6-3 wording setting applied). */
export const describeTask = (v: Variation, settings: Settings): string => {
  if (v.id === "6-3" && settings.paintTertiaryWording === "tertiary") {
    const secondary = str(v, "secondaryColor")
    const tertiary = str(v, "tertiaryColor")
    const tail = `focus on the ${secondary}.`
    if (v.description.endsWith(tail)) return v.description.slice(0, -tail.length) + `focus on the ${tertiary}.`
  }
  return v.description
}

/** The focused object's temperature rose (k > 0) or fell (k < 0) by |k| since it was first seen focused. */
const temperatureChange = (k: number): UnorderedGoal => ({
  description: k > 0 ? `heat the substance by ${k} degrees` : `cool the substance by ${-k} degrees`,
  evaluate: (ctx, st) => {
    const f = ctx.focus
    if (!f || !f.material) return false
    if (st.obj !== f) {
      st.obj = f
      st.t0 = f.temperature
      return false
    }
    const d = f.temperature - (st.t0 as number)
    return k > 0 ? d >= k : d <= k
  }
})

/** The focused plant of a type is in a life stage (the same plant as before after the first). */
const lifeStage = (type: string, stage: string, first: boolean): SequentialGoal => ({
  description: `the ${type} plant is in the ${stage} stage`,
  evaluate: (ctx, focus) =>
    focus.kind === "plant" && focus.species === type && focus.stage === stage && (first || focus === ctx.lastSatisfied) ? "success" : "notyet"
})

/** The focused part (the one found before) is switched on by power. */
const isPowered = (part: string): SequentialGoal => ({
  description: `power the ${part}`,
  evaluate: (ctx, focus) => (focus === ctx.lastSatisfied && focus.name === part && focus.on ? "success" : "notyet")
})

/** The powered part is connected, through any parts, to a part named `source`; anything else fails. */
const connectedTo = (source: string): SequentialGoal => ({
  description: `power it with the ${source}`,
  evaluate: (_ctx, focus) => ([...connectedParts(focus)].some((p) => p.name === source) ? "success" : "fail")
})

const terminalToWire = (name: string, which: 0 | 1): UnorderedGoal => ({
  description: `connect ${which === 0 ? "the first" : "the second"} terminal of the ${name} to a wire`,
  evaluate: (ctx) =>
    ctx.world.findAll((o) => o.name === name, ctx.world.agentRoom()).some((o) => o.terminals[which]?.connection?.terminalOf?.kind === "wire")
})

const wireBetween = (description: string, a: (o: Obj) => boolean, b: (o: Obj) => boolean): UnorderedGoal => ({
  description,
  evaluate: (ctx) => wireConnects(ctx.world, a, b)
})

interface Goals {
  readonly sequential: ReadonlyArray<SequentialGoal>
  readonly unordered: ReadonlyArray<UnorderedGoal>
}

const livingVerdict = (ok: boolean): "success" | "fail" => (ok ? "success" : "fail")

const goalsFor = (v: Variation): Goals => {
  switch (v.id) {
    case "4-1":
    case "4-2":
    case "4-3":
    case "4-4": {
      const box = str(v, "answerBox")
      const room = str(v, "location")
      const first =
        v.id === "4-1"
          ? focusOn("focus on a living thing", (o) => livingVerdict(o.isLiving()))
          : v.id === "4-2"
          ? focusOn("focus on a non-living thing", (o) => (o.isLiving() ? "fail" : o.moveable && o.kind !== "room" ? "success" : "notyet"))
          : v.id === "4-3"
          ? focusOn("focus on a plant", (o) => livingVerdict(o.kind === "plant"))
          : focusOn("focus on an animal", (o) => livingVerdict(o.kind === "animal"))
      return {
        sequential: [first, inContainer(box)],
        unordered: [focusedInInventory(), inRoomWithOpenDoor(), moveToNewLocation(), moveToLocation(room)]
      }
    }
    case "7-1":
    case "7-2":
    case "7-3": {
      const long = str(v, "long")
      const short = str(v, "short")
      const seq = v.id === "7-1" ? [find(long)] : v.id === "7-2" ? [find(short)] : [find(long, true), find(short)]
      return { sequential: seq, unordered: [moveToNewLocation("outside"), moveToLocation("outside")] }
    }
    case "6-1": {
      const product = str(v, "result")
      const inputs = str(v, "inputChemicals").split(",")
      return {
        sequential: [find(product)],
        unordered: [
          moveToNewLocation(),
          ...inputs.map((i) => inRoomWithObject(i)),
          objectsInSingleContainer(inputs),
          inRoomWithObject(product),
          pastAction("read:recipe")
        ]
      }
    }
    case "6-2": {
      const secondary = str(v, "secondaryColor")
      const inputs = str(v, "inputChemicalsSecondary").split(",")
      return {
        sequential: [find(secondary)],
        unordered: [moveToNewLocation(), ...inputs.map((i) => inRoomWithObject(i)), objectsInSingleContainer(inputs), inRoomWithObject(secondary)]
      }
    }
    case "6-3": {
      const secondary = str(v, "secondaryColor")
      const tertiary = str(v, "tertiaryColor")
      const inputs2 = str(v, "inputChemicalsSecondary").split(",")
      const inputs3 = str(v, "inputChemicalsTertiary").split(",")
      const place = str(v, "location")
      const k = ["secondary"]
      return {
        sequential: [find(secondary, true), find(tertiary)],
        unordered: [
          moveToNewLocation(place),
          moveToLocation(place),
          ...inputs2.map((i) => inRoomWithObject(i)),
          objectsInSingleContainer(inputs2),
          inRoomWithObject(secondary, "secondary"),
          ...inputs3.map((i) => inRoomWithObject(i, undefined, k)),
          objectsInSingleContainer(inputs3),
          inRoomWithObject(tertiary)
        ]
      }
    }
    case "3-1":
    case "3-2": {
      const part = str(v, "componentToPower")
      const nonrenewable = v.description.includes("nonrenewable")
      const source = str(v, nonrenewable ? "nonrenewableSource" : "renewableSource")
      const seq: Array<SequentialGoal> = [find(part), isPowered(part)]
      if (v.id === "3-2") seq.push(connectedTo(source))
      const isPart = (o: Obj) => o.name === part
      const isSource = v.id === "3-2" ? (o: Obj) => o.name === source : isGenerator
      return {
        sequential: seq,
        unordered: [
          moveToNewLocation(),
          inRoomWithObject(part),
          terminalToWire(part, 0),
          terminalToWire(part, 1),
          wireBetween("a wire connects the part and a power source", isPart, isSource)
        ]
      }
    }
    case "3-3":
    case "3-4": {
      const s = str(v, v.id === "3-3" ? "substance" : "unknownSubstance")
      const yes = str(v, "conductive")
      const no = str(v, "nonconductive")
      const conductive = v.params[v.id === "3-3" ? "isConductive" : "unknownIsConductive"] === true
      const isS = (o: Obj) => o.name === s
      const isBulb = (o: Obj) => o.name.endsWith("light bulb")
      return {
        sequential: [find(s), conductive ? inContainerByName(yes, no) : inContainerByName(no, yes)],
        unordered: [
          moveToNewLocation(),
          inRoomWithObject(s),
          terminalToWire(s, 0),
          terminalToWire(s, 1),
          wireBetween("a wire connects the substance and a power source", isS, isGenerator),
          wireBetween("a wire connects the substance and a light bulb", isS, isBulb),
          wireBetween("a wire connects a power source and a light bulb", isGenerator, isBulb)
        ]
      }
    }
    case "1-1":
    case "1-2":
    case "1-3":
    case "1-4": {
      const name = str(v, "objectName")
      const isSub = (ctx: { focus: Obj | undefined }, o: Obj) => o === ctx.focus || o.name === name
      const subIn = (device: string): UnorderedGoal => ({
        description: `have the substance in the ${device}`,
        evaluate: (ctx) => ctx.world.findAll((o) => isSub(ctx, o) && o.isInsideNamed(device)).length > 0
      })
      const alone = objectsInSingleContainer([name])
      const deviceOn = (device: string): UnorderedGoal => ({
        description: `activate the ${device}`,
        evaluate: (ctx) => ctx.world.findAll((o) => o.name === device && o.on, ctx.world.agentRoom()).length > 0
      })
      const heatSet = [
        deviceOn("stove"),
        deviceOn("blast furnace"),
        deviceOn("oven"),
        deviceOn("hot plate"),
        { description: "have a lighter in the inventory", evaluate: (ctx) => ctx.world.inventory.children.some((o) => o.name === "lighter") } as UnorderedGoal,
        {
          description: "put wood in the fire pit",
          key: "wood",
          evaluate: (ctx) => ctx.world.findAll((o) => o.name === "wood" && o.parent?.name === "fire pit", ctx.world.agentRoom()).length > 0
        } as UnorderedGoal,
        {
          description: "light the wood",
          requires: ["wood"],
          evaluate: (ctx) => ctx.world.findAll((o) => o.name === "wood" && o.burnLeft > 0, ctx.world.agentRoom()).length > 0
        } as UnorderedGoal,
        subIn("stove"),
        subIn("blast furnace"),
        subIn("oven"),
        subIn("hot plate"),
        subIn("fire pit")
      ]
      const first = [inRoomWithObject(name), alone]
      const same = (pred: (o: Obj) => boolean, description: string): SequentialGoal => ({
        description,
        evaluate: (ctx, focus) => (focus === ctx.lastSatisfied && pred(focus) ? "success" : "notyet")
      })
      switch (v.id) {
        case "1-1":
          return {
            sequential: [find(name), same((o) => o.state === "liquid", "it is liquid"), same((o) => o.state === "gas" || o.burnLeft > 0, "it is a gas or burning")],
            unordered: [...first, ...heatSet, temperatureChange(20)]
          }
        case "1-2":
          return {
            sequential: [find(name), same((o) => o.state === "solid", "it is solid"), same((o) => o.state === "liquid", "it is liquid")],
            unordered: [...first, ...heatSet, temperatureChange(20)]
          }
        case "1-3":
          return {
            sequential: [find(name), same((o) => o.state === "liquid", "it is liquid"), same((o) => o.state === "solid", "it is solid")],
            unordered: [...first, subIn("fridge"), subIn("freezer"), temperatureChange(-5)]
          }
        default: {
          let recorded: string | undefined
          return {
            sequential: [
              find(name),
              same((o) => {
                recorded = o.state
                return true
              }, "record its state"),
              same((o) => o.state !== recorded, "its state changes")
            ],
            unordered: [...first, ...heatSet, subIn("fridge"), subIn("freezer"), temperatureChange(10), temperatureChange(-10)]
          }
        }
      }
    }
    case "2-1": {
      const name = str(v, "objectName")
      const t = Number(v.params.temperaturePoint)
      const above = str(v, "boxAbove")
      const below = str(v, "boxBelow")
      const objRoom = str(v, "location")
      const boxRoom = str(v, "locationAnswerBox")
      const used: UnorderedGoal = {
        description: "use the thermometer on the object",
        evaluate: (ctx, st) => {
          const acts = ctx.world.pastActions
          if (st.from === undefined) st.from = acts.length
          return acts.slice(st.from as number).includes(`use:thermometer:${name}`)
        }
      }
      return {
        sequential: [
          find("thermometer", true),
          find(name),
          {
            description: "place the object in the box for its temperature",
            evaluate: (ctx, focus) => {
              if (focus !== ctx.lastSatisfied) return "notyet"
              const box = focus.parent?.name
              if (box === above) return focus.temperature >= t ? "success" : "fail"
              if (box === below) return focus.temperature <= t ? "success" : "fail"
              return "notyet"
            }
          }
        ],
        unordered: [
          inRoomWithObject("thermometer"),
          { description: "have the thermometer in the inventory", evaluate: (ctx) => ctx.world.inventory.children.some((o) => o.name === "thermometer") },
          moveToNewLocation(),
          moveToLocation(objRoom, "objroom"),
          moveToLocation(boxRoom, "boxroom", ["objroom"]),
          { description: "have the object in the inventory", evaluate: (ctx) => ctx.world.inventory.children.some((o) => o.name === name) },
          used,
          { ...used, description: "use the thermometer after visiting the box room", requires: ["boxroom"] }
        ]
      }
    }
    case "8-1":
    case "8-2": {
      const type = str(v, v.id === "8-1" ? "animal" : "livingThingName")
      const stages = ["stage1", "stage2", "stage3", "stage4", "stage5"].map((k) => v.params[k]).filter((x): x is string => typeof x === "string")
      const stay = (k: number): UnorderedGoal => ({
        description: `stay outside for ${k} steps`,
        evaluate: (ctx, st) => {
          if (ctx.world.agentRoom().name !== "outside") {
            st.n = 0
            return false
          }
          st.n = ((st.n as number | undefined) ?? 0) + 1
          return (st.n as number) >= k
        }
      })
      return {
        sequential: stages.map((stage) => ({
          description: `focus on the ${type} in the ${stage} stage`,
          clearsFocus: true,
          evaluate: (_ctx, focus) => (focus.isLiving() && focus.species === type && focus.stage === stage ? "success" : "fail")
        })),
        unordered: [moveToNewLocation(v.id === "8-1" ? "outside" : type), moveToLocation("outside"), stay(10), stay(20), stay(30)]
      }
    }
    case "5-1":
    case "5-2": {
      const type = str(v, "seedType")
      const pots = str(v, "containerNames").split(",")
      const inInventory = (description: string, name: string, key?: string): UnorderedGoal => ({
        description,
        ...(key ? { key } : {}),
        evaluate: (ctx) => ctx.world.inventory.children.some((o) => o.name === name)
      })
      const potHas = (pot: string, what: string, pred: (o: Obj) => boolean): UnorderedGoal => ({
        description: `${what} in the ${pot}`,
        evaluate: (ctx) => ctx.world.findAll((o) => o.name === pot, ctx.world.agentRoom()).some((p) => p.children.some(pred))
      })
      const common: Array<UnorderedGoal> = [
        inRoomWithObject("seed jar"),
        inInventory("have the seed jar in the inventory", "seed jar", "haveSeedJar"),
        inInventory("have the shovel in the inventory", "shovel"),
        inInventory("have soil in the inventory", "soil"),
        inRoomWithObject("soil"),
        moveToNewLocation(),
        moveToLocation("greenhouse", "move1"),
        moveToLocation("greenhouse", "move2", ["haveSeedJar"]),
        ...pots.map((p) => potHas(p, "soil", (o) => o.kind === "soil")),
        ...pots.map((p) => potHas(p, "water", (o) => o.name === "water")),
        ...pots.map((p) => potHas(p, `a ${type} seed`, (o) => o.name === `${type} seed`))
      ]
      if (v.id === "5-1") {
        return {
          sequential: (["seed", "seedling", "adult", "reproducing"] as const).map((stage, i) => lifeStage(type, stage, i === 0)),
          unordered: common
        }
      }
      const stageCount = (stage: string, n: number): UnorderedGoal => ({
        description: `at least ${n} ${type} plant(s) in the ${stage} stage here`,
        ...(stage === "reproducing" ? { key: `reproducing${n}` } : {}),
        evaluate: (ctx) =>
          ctx.world.findAll((o) => o.kind === "plant" && o.species === type && o.stage === stage, ctx.world.agentRoom()).length >= n
      })
      return {
        sequential: [find(type)],
        unordered: [
          ...common,
          ...["seed", "seedling", "adult", "reproducing"].flatMap((st) => [stageCount(st, 1), stageCount(st, 2)]),
          {
            description: "open the bee hive",
            evaluate: (ctx) => ctx.world.findAll((o) => o.name === "bee hive", ctx.world.agentRoom()).some((h) => h.open)
          },
          inRoomWithObject("adult bee", undefined, ["reproducing2"]),
          inRoomWithObject(type)
        ]
      }
    }
    case "2-2": {
      const above = str(v, "boxAbove")
      const below = str(v, "boxBelow")
      const mp = Number(v.params.meltingPoint)
      const t = Number(v.params.temperaturePoint)
      const name = str(v, "objectName")
      const right = mp >= t ? above : below
      const wrong = right === above ? below : above
      const objRoom = str(v, "location")
      const boxRoom = str(v, "locationAnswerBox")
      const direct = (container: string, names: ReadonlyArray<string>, description: string, key?: string): UnorderedGoal => ({
        description,
        ...(key ? { key } : {}),
        evaluate: (ctx) =>
          container === "inventory"
            ? ctx.world.inventory.children.some((o) => names.includes(o.name))
            : ctx.world.findAll((o) => o.name === container, ctx.world.agentRoom()).some((c) => c.children.some((o) => names.includes(o.name)))
      })
      const usedOn = (description: string, requires?: ReadonlyArray<string>): UnorderedGoal => ({
        description,
        ...(requires ? { requires } : {}),
        evaluate: (ctx, st) => {
          const acts = ctx.world.pastActions
          if (st.from === undefined) st.from = acts.length
          return acts.slice(st.from as number).includes(`use:thermometer:${name}`)
        }
      })
      const deviceOn = (device: string): UnorderedGoal => ({
        description: `activate the ${device}`,
        evaluate: (ctx) => ctx.world.findAll((o) => o.name === device && o.on, ctx.world.agentRoom()).length > 0
      })
      const focusedIn = (device: string): UnorderedGoal => ({
        description: `have the substance in the ${device}`,
        requires: ["focusObject"],
        evaluate: (ctx) => ctx.focus !== undefined && ctx.focus.isInsideNamed(device)
      })
      return {
        sequential: [find("thermometer", true), { ...find(name), key: "focusObject" }, findAnswerBox(right, wrong)],
        unordered: [
          inRoomWithObject("thermometer"),
          direct("inventory", ["thermometer"], "have the thermometer in the inventory"),
          moveToNewLocation(),
          moveToLocation(objRoom, "move1"),
          moveToLocation(boxRoom, "move1"),
          moveToLocation("kitchen", "move2a", ["move1"]),
          moveToLocation("outside", "move2b", ["move1"]),
          moveToLocation("foundry", "move2c", ["move1"]),
          direct("inventory", [name], "have the substance in the inventory"),
          usedOn("use the thermometer on the substance"),
          usedOn("use the thermometer on the substance after heating it", ["heatObject"]),
          objectsInSingleContainer([name]),
          deviceOn("stove"),
          deviceOn("blast furnace"),
          deviceOn("oven"),
          deviceOn("hot plate"),
          direct("inventory", ["lighter"], "have the lighter in the inventory"),
          direct("fire pit", ["wood"], "put wood in the fire pit", "wood1"),
          {
            description: "light the wood",
            key: "ignite",
            requires: ["wood1"],
            evaluate: (ctx) => ctx.world.findAll((o) => o.name === "wood" && o.burnLeft > 0).length > 0
          },
          focusedIn("stove"),
          focusedIn("blast furnace"),
          focusedIn("oven"),
          focusedIn("hot plate"),
          focusedIn("fire pit"),
          { ...temperatureChange(20), key: "heatObject", requires: ["focusObject"] }
        ]
      }
    }
    default:
      throw new Error(`task type ${v.id} is not available in this engine`)
  }
}

const layoutCache = new WeakMap<Variation, Record<string, Array<LayoutNode>>>()

const layoutsOf = (v: Variation): Record<string, Array<LayoutNode>> => {
  let l = layoutCache.get(v)
  if (!l) {
    l = {}
    for (const [room, text] of Object.entries(v.rooms)) l[room] = parseLayout(text)
    layoutCache.set(v, l)
  }
  return l
}

/** Builds a fresh game for a variation. */
export const newGame = (v: Variation, settings: Settings): Game => {
  const rng = Random.make(`sciworld:${v.id}/${v.variation}`)
  const world = new World(layoutsOf(v), v.start_room, { openContainers: settings.openContainers, rng, electrical: v.id.startsWith("3-") })
  applyCreationOrder(world, v.task_objects)
  if (!settings.inventoryOrange) for (const o of world.inventory.children.slice()) if (o.name === "orange") world.destroy(o)
  if (v.id === "6-1") {
    const product = str(v, "result")
    const inputs = str(v, "inputChemicals").split(",")
    for (const r of world.findAll((o: Obj) => o.kind === "recipe")) {
      r.title = `instructions to make ${product}`
      r.text = `The recipe reads:\nTo make ${product}, you need to mix ${inputs.join(", ")}.`
    }
  }
  const goals = goalsFor(v)
  return new Game({
    world,
    description: describeTask(v, settings),
    sequential: goals.sequential,
    unordered: goals.unordered,
    electrical: v.id.startsWith("3-")
  })
}
