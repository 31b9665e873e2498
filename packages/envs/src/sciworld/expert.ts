/**
 * The expert: a gold-path solver per task type. It replays the episode so far
 * in its own copy of the game (the engine is deterministic), plans the next
 * action from the state and its privileged knowledge of the task, and writes a
 * ReAct reply whose wording is chosen by seed.
 */
import { Effect } from "effect"
import { formatReply, type PolicyRequest, type PolicyShape } from "@eto/core"
import * as Random from "@eto/core/Random"
import type { Variation } from "./data"
import type { Game } from "./game"
import { normalize, parse, type ParsedAction } from "./parser"
import type { Settings } from "./settings"
import { newGame } from "./tasks"
import type { Obj, World } from "./world"

export interface Plan {
  readonly action: string
  /** The objects the action is meant for (picks the option of an ambiguity prompt). */
  readonly intent?: ParsedAction | undefined
  readonly thought: ReadonlyArray<string>
}

const ordinal = (w: World, o: Obj): number => o.uuid - w.universe.uuid
const byOrdinal = (w: World, k: number): Obj | undefined => w.findAll((o) => o.uuid - w.universe.uuid === k)[0]

const teleport = (room: string): Plan => {
  const at = room === "outside" ? "outside" : `in the ${room}`
  const to = room === "outside" ? "outside" : `to the ${room}`
  return {
    action: `teleport to ${room}`,
    thought: [`I need to be ${at} next, so I will teleport there.`, `The next thing I need is ${at}. Teleporting there.`, `Let me go ${to}.`]
  }
}

const focus = (ref: string, o: Obj, why: string): Plan => ({
  action: `focus on ${ref}`,
  intent: { action: "focus", objects: [o] },
  thought: [
    `${why} I will focus on the ${ref}.`,
    `The ${ref} is the right object: ${why.charAt(0).toLowerCase()}${why.slice(1)} Focusing on it now.`,
    `${why} Time to focus on the ${ref}.`
  ]
})

const act = (action: string, intent: ParsedAction | undefined, thought: ReadonlyArray<string>): Plan => ({ action, intent, thought })

/** Whether `focus on <ref>` names exactly one object when the agent stands in `room`. */
const uniqueIn = (game: Game, ref: string, room: Obj, target: Obj): boolean => {
  const w = game.world
  const home = w.agentRoom()
  room.add(w.agent)
  const m = parse(`focus on ${ref}`, w, false).matches
  home.add(w.agent)
  return m.length === 1 && m[0]!.objects[0] === target
}

/** What the expert calls an object: a plant by its type and stage ("lemon seed", always one of its referents), else its name. */
const callName = (o: Obj): string => (o.kind === "plant" ? o.plantName() : o.name)

const inRoom = (w: World, o: Obj): Obj => (o.isInside(w.inventory) ? w.agentRoom() : o.room()!)

// ---------------------------------------------------------------------------
// Planners per task family

interface Memory {
  target?: number
  container?: number
  wires?: ReadonlyArray<number>
}

const chooseTarget = (v: Variation, fresh: Game, rng: Random.Rng): number => {
  const w = fresh.world
  let pred: (o: Obj) => boolean
  switch (v.id) {
    case "4-1":
      pred = (o) => (o.kind === "animal" && o.species !== "bee") || o.kind === "plant"
      break
    case "4-3":
      pred = (o) => o.kind === "plant"
      break
    case "4-4":
      pred = (o) => o.kind === "animal" && o.species !== "bee"
      break
    default:
      pred = (o) =>
        ["thermometer", "lighter", "stopwatch", "axe", "orange", "picture", "painting", "drawing", "soap"].includes(o.name) &&
        o.room() !== undefined
  }
  const cands = w.findAll(pred).filter((o) => {
    const room = o.room()!
    return uniqueIn(fresh, callName(o), room, o)
  })
  if (cands.length === 0) throw new Error(`expert: no target for ${v.id}/${v.variation}`)
  return ordinal(w, rng.pick(cands))
}

const planClassification = (v: Variation, game: Game, mem: Memory): Plan => {
  const w = game.world
  const t = byOrdinal(w, mem.target!)!
  const box = String(v.params.answerBox)
  const boxRoom = String(v.params.location)
  const carry = t.kind === "plant" && t.parent && t.parent.name.includes("flower pot") ? t.parent : t
  const here = w.agentRoom()
  const tn = callName(t)
  const why = v.id === "4-1" ? `The ${tn} is a living thing.` : v.id === "4-2" ? `The ${tn} is not alive.` : v.id === "4-3" ? `The ${tn} is a plant.` : `The ${tn} is an animal.`
  if (game.goals.curIdx === 0) {
    if (inRoom(w, t) !== here) return teleport(inRoom(w, t).name)
    return focus(tn, t, why)
  }
  if (!carry.isInside(w.inventory)) {
    if (inRoom(w, carry) !== here) return teleport(inRoom(w, carry).name)
    return act(`pick up ${callName(carry)}`, { action: "pick up", objects: [carry] }, [
      `I will pick up the ${callName(carry)} so I can carry it to the ${box}.`,
      `Next I take the ${callName(carry)} with me.`,
      `Let me pick up the ${callName(carry)}.`
    ])
  }
  if (here.name !== boxRoom) return teleport(boxRoom)
  const b = w.findAll((o) => o.name === box && o.room() === here)[0]!
  return act(`move ${callName(carry)} to ${box}`, { action: "move", objects: [carry, b] }, [
    `The ${box} is here. I will put the ${callName(carry)} in it.`,
    `Now I place the ${callName(carry)} into the ${box}.`,
    `Moving the ${callName(carry)} to the ${box} finishes the task.`
  ])
}

const planLifespan = (v: Variation, game: Game, turns: ReadonlyArray<{ action: string }>): Plan => {
  const w = game.world
  const here = w.agentRoom()
  if (here.name !== "outside") return teleport("outside")
  if (!turns.some((t) => t.action === "look around")) {
    return act("look around", undefined, [
      "Let me see which animals are here.",
      "First I will look around to find the animals.",
      "I should check which animals are outside."
    ])
  }
  const long = String(v.params.long)
  const short = String(v.params.short)
  const name = v.id === "7-2" || (v.id === "7-3" && game.goals.curIdx === 1) ? short : long
  const o = w.accessible(here).find((x) => x.name === name)!
  const others = [String(v.params.long), String(v.params.medium), String(v.params.short)].filter((n) => n !== name).join(" and the ")
  const why =
    name === long
      ? `Of these animals, the ${name} lives longer than the ${others}.`
      : `Of these animals, the ${name} has a shorter life than the ${others}.`
  return focus(name, o, why)
}

const fetchWater = (game: Game, c: Obj): Plan | undefined => {
  const w = game.world
  const here = w.agentRoom()
  const hasWater = c.children.some((x) => x.name === "water")
  const sink = w.room("kitchen").children.find((x) => x.name === "sink")!
  if (hasWater) {
    if (sink.on) return act("deactivate sink", { action: "deactivate", objects: [sink] }, ["The container has water now, so I will turn the sink off.", "That is enough water. Turning off the sink.", "I will switch the sink off again."])
    return undefined
  }
  if (here.name !== "kitchen") return teleport("kitchen")
  if (c.parent !== sink) {
    return act(`move ${c.name} to sink`, { action: "move", objects: [c, sink] }, [
      `I need water, so I will put the ${c.name} in the sink.`,
      `The sink can fill the ${c.name} with water. Putting it there.`,
      `Let me place the ${c.name} in the sink to get water.`
    ])
  }
  return act("activate sink", { action: "activate", objects: [sink] }, ["Turning on the sink will fill the container.", "Now I switch on the sink.", "I will activate the sink to get water."])
}

const planMix = (v: Variation, game: Game, mem: Memory): Plan => {
  const w = game.world
  const here = w.agentRoom()
  const c = byOrdinal(w, mem.container!)!
  const product = String(v.params.result)
  const inputs = String(v.params.inputChemicals).split(",")
  const made = c.children.find((x) => x.name === product)
  if (made) return focus(product, made, `The ${product} is ready in the ${c.name}.`)
  if (inputs.includes("water")) {
    const p = fetchWater(game, c)
    if (p) return p
  }
  if (!c.isInside(w.inventory)) {
    if (inRoom(w, c) !== here) return teleport(inRoom(w, c).name)
    return act(`pick up ${c.name}`, { action: "pick up", objects: [c] }, [
      `I will carry the ${c.name} to collect the ingredients in it.`,
      `The ${c.name} will hold the ingredients. Picking it up.`,
      `Let me take the ${c.name} along.`
    ])
  }
  const names = c.visible().map((x) => x.name)
  const missing = inputs.filter((i) => i !== "water" && !names.includes(i))
  if (missing.length === 0) {
    return act(`mix ${c.name}`, { action: "mix", objects: [c] }, [
      `All the ingredients are in the ${c.name}. Time to mix them.`,
      `Everything the recipe lists is together now, so I will mix the ${c.name}.`,
      `Let me mix the contents of the ${c.name}.`
    ])
  }
  const want = missing[0]!
  const pool = w.findAll((o) => o.name === want && !o.isInside(c) && o.room() !== undefined)
  const local = w.findAll((o) => o.name === want && !o.isInside(c), here)
  const target = local[0] ?? pool.find((o) => o.room()!.name === String(v.params.location)) ?? pool[0]
  if (!target) throw new Error(`expert: no ${want} for ${v.id}/${v.variation}`)
  if (!local.includes(target)) return teleport(target.room()!.name)
  if (target.state === "liquid") {
    return act(`pour ${want} into ${c.name}`, { action: "pour", objects: [target, c] }, [
      `The recipe needs ${want}. I will pour it into the ${c.name}.`,
      `Next ingredient: ${want}. Pouring it into the ${c.name}.`,
      `I add the ${want} to the ${c.name}.`
    ])
  }
  return act(`move ${want} to ${c.name}`, { action: "move", objects: [target, c] }, [
    `The recipe needs ${want}. I will put it in the ${c.name}.`,
    `Next ingredient: ${want}. Moving it into the ${c.name}.`,
    `I add the ${want} to the ${c.name}.`
  ])
}

const planPaint = (v: Variation, game: Game, mem: Memory): Plan => {
  const w = game.world
  const here = w.agentRoom()
  const c = byOrdinal(w, mem.container!)!
  const secondary = String(v.params.secondaryColor)
  const tertiary = String(v.params.tertiaryColor)
  const stage2 = v.id === "6-3" && game.goals.curIdx === 1
  const goal = stage2 ? tertiary : secondary
  const inputs = stage2 ? String(v.params.inputChemicalsTertiary).split(",") : String(v.params.inputChemicalsSecondary).split(",")
  const made = c.children.find((x) => x.name === goal)
  if (made) {
    return focus(goal, made, stage2 ? `The ${goal} is mixed.` : `The ${goal} is the colour I had to make${v.id === "6-3" ? " first" : ""}.`)
  }
  if (here !== inRoom(w, c)) return teleport(inRoom(w, c).name)
  const names = c.visible().map((x) => x.name)
  const missing = inputs.filter((i) => !names.includes(i))
  if (missing.length === 0 && names.length === inputs.length) {
    return act(`mix ${c.name}`, { action: "mix", objects: [c] }, [
      `Both paints are in the ${c.name}. Mixing them now.`,
      `The ${c.name} holds ${inputs.join(" and ")}. Time to mix.`,
      `Let me mix the paints in the ${c.name}.`
    ])
  }
  const want = missing[0]!
  const src = w.findAll((o) => o.name === want && !o.isInside(c), here)[0]
  if (!src) throw new Error(`expert: no ${want} in ${here.name} for ${v.id}/${v.variation}`)
  return act(`pour ${want} into ${c.name}`, { action: "pour", objects: [src, c] }, [
    `${goal.charAt(0).toUpperCase()}${goal.slice(1)} needs ${inputs.join(" and ")}. I will pour the ${want} into the ${c.name}.`,
    `Next I pour the ${want} into the ${c.name}.`,
    `The ${c.name} still needs ${want}. Pouring it in.`
  ])
}

// electricity

interface Link {
  readonly a: Obj
  readonly b: Obj
}

const termRef = (t: Obj): string => `${normalize(t.terminalOf!.name)} ${t.name}`

/** The first missing connection of a circuit, as a plan; undefined when all are made. */
const nextLink = (links: ReadonlyArray<Link>): Plan | undefined => {
  for (const { a, b } of links) {
    if (a.connection === b) continue
    const ra = termRef(a)
    const rb = termRef(b)
    return act(`connect ${ra} to ${rb}`, { action: "connect", objects: [a, b] }, [
      `I connect the ${a.name} of the ${a.terminalOf!.name} to the ${b.name} of the ${b.terminalOf!.name}.`,
      `Next link in the circuit: ${ra} to ${rb}.`,
      `The circuit needs the ${ra} joined to the ${rb}.`
    ])
  }
  return undefined
}

const wiresOf = (w: World): Array<Obj> =>
  w.room("workshop").children.find((o) => o.name === "table")!.children.filter((o) => o.kind === "wire")

const ensureHere = (w: World, o: Obj): Plan | undefined => (inRoom(w, o) !== w.agentRoom() ? teleport(inRoom(w, o).name) : undefined)

const pickUp = (o: Obj, why: string): Plan =>
  act(`pick up ${o.name}`, { action: "pick up", objects: [o] }, [`${why} I will pick up the ${o.name}.`, `I take the ${o.name} with me. ${why}`, `Picking up the ${o.name}. ${why}`])

const planPower = (v: Variation, game: Game, mem: Memory): Plan => {
  const w = game.world
  const partName = String(v.params.componentToPower)
  const part = w.findAll((o) => o.name === partName && o.room() === w.room("workshop"))[0] ?? w.findAll((o) => o.name === partName)[0]!
  if (game.goals.curIdx === 0) {
    return ensureHere(w, part) ?? focus(partName, part, `The task is about the ${partName}.`)
  }
  const nonrenewable = v.description.includes("nonrenewable")
  const sourceName = v.id === "3-1" ? "battery" : String(v.params[nonrenewable ? "nonrenewableSource" : "renewableSource"])
  const source = w.findAll((o) => o.name === sourceName)[0]!
  const [wa, wb] = mem.wires!.map((k) => byOrdinal(w, k))
  if (!wa || !wb) throw new Error(`expert: not enough wires for ${v.id}/${v.variation}`)
  const outdoor = sourceName === "solar panel" || sourceName === "wind generator"
  if (outdoor && w.agentRoom().name !== "outside") {
    for (const o of [part, source, wa, wb]) {
      if (!o.isInside(w.inventory)) {
        return ensureHere(w, o) ?? pickUp(o, `The ${sourceName} only works outside, so everything for the circuit has to come along.`)
      }
    }
    return teleport("outside")
  }
  if (!outdoor) {
    const here = ensureHere(w, part)
    if (here) return here
  }
  if (source.kind === "generator" && source.activable && !source.on) {
    return act(`activate ${sourceName}`, { action: "activate", objects: [source] }, [
      `The ${sourceName} has to be running to give power.`,
      `I switch on the ${sourceName} first.`,
      `Let me activate the ${sourceName}.`
    ])
  }
  const link = nextLink([
    { a: source.terminals[0]!, b: wa.terminals[0]! },
    { a: wa.terminals[1]!, b: part.terminals[1]! },
    { a: part.terminals[0]!, b: wb.terminals[0]! },
    { a: wb.terminals[1]!, b: source.terminals[1]! }
  ])
  if (link) return link
  return act("wait1", undefined, [
    "The circuit is closed. I will wait a moment for the power to flow.",
    "Everything is connected; waiting one step.",
    "Let me wait a step so the circuit can power up."
  ])
}

const planConductivity = (v: Variation, game: Game, mem: Memory, turns: ReadonlyArray<{ action: string }>): Plan => {
  const w = game.world
  const name = String(v.params[v.id === "3-3" ? "substance" : "unknownSubstance"])
  const s = byOrdinal(w, mem.target!)!
  if (game.goals.curIdx === 0) return ensureHere(w, s) ?? focus(name, s, `The task is to test the ${name}.`)
  if (!s.isInside(w.inventory) && !s.isInside(w.room("workshop"))) {
    return ensureHere(w, s) ?? pickUp(s, "I will test it in the workshop, where the battery and the light bulb are.")
  }
  if (w.agentRoom().name !== "workshop") return teleport("workshop")
  const bulbName = String(v.params.partToPower)
  const bulb = w.findAll((o) => o.name === bulbName && o.room() === w.room("workshop"))[0]!
  const battery = w.findAll((o) => o.name === "battery" && o.room() === w.room("workshop"))[0]!
  const [wa, wb, wc] = mem.wires!.map((k) => byOrdinal(w, k))
  if (!wa || !wb || !wc) throw new Error(`expert: not enough wires for ${v.id}/${v.variation}`)
  const bulbRef = `look at ${bulbName}`
  const looked = turns.some((t) => t.action === bulbRef)
  if (!looked) {
    const link = nextLink([
      { a: battery.terminals[0]!, b: wa.terminals[0]! },
      { a: wa.terminals[1]!, b: s.terminals[0]! },
      { a: s.terminals[1]!, b: wb.terminals[0]! },
      { a: wb.terminals[1]!, b: bulb.terminals[1]! },
      { a: bulb.terminals[0]!, b: wc.terminals[0]! },
      { a: wc.terminals[1]!, b: battery.terminals[1]! }
    ])
    if (link) return link
    if (!turns.some((t) => t.action === "wait1")) {
      return act("wait1", undefined, [
        `The ${name} is now part of the circuit with the ${bulbName}. I will wait a step.`,
        "The test circuit is complete; waiting one step for it to settle.",
        "Let me wait a step before checking the bulb."
      ])
    }
    return act(bulbRef, { action: "look at", objects: [bulb] }, [
      `If the ${bulbName} is on, the ${name} conducts electricity. Let me check it.`,
      `Time to see whether the ${bulbName} lit up.`,
      `I will look at the ${bulbName} to read the result.`
    ])
  }
  const conductive = bulb.on
  const box = String(v.params[conductive ? "conductive" : "nonconductive"])
  const b = w.findAll((o) => o.name === box && o.room() === w.agentRoom())[0]!
  return act(`move ${name} to ${box}`, { action: "move", objects: [s, b] }, [
    conductive
      ? `The ${bulbName} is on, so the ${name} is electrically conductive. It goes in the ${box}.`
      : `The ${bulbName} stayed off, so the ${name} does not conduct electricity. It goes in the ${box}.`,
    conductive ? `The bulb lit up: the ${name} conducts. Moving it to the ${box}.` : `No light: the ${name} is an insulator. Moving it to the ${box}.`,
    `Based on the bulb, the ${name} belongs in the ${box}.`
  ])
}

// changes of state

const COMBUSTIBLE = new Set(["chocolate", "marshmallow", "soap", "rubber"])

/** The state the current sequential subgoal asks for ("other" = any change). */
const neededState = (v: Variation, idx: number, sub: Obj): string => {
  if (v.id === "1-1") return idx === 1 ? "liquid" : "gas"
  if (v.id === "1-2") return idx === 1 ? "solid" : "liquid"
  if (v.id === "1-3") return idx === 1 ? "liquid" : "solid"
  return sub.state === "solid" ? "liquid" : "solid"
}

const heaterFor = (w: World, threshold: number): Obj => {
  const stove = w.room("kitchen").children.find((o) => o.name === "stove")!
  if (threshold < 200 && !stove.broken) return stove
  if (threshold < 480) return w.room("kitchen").children.find((o) => o.name === "oven")!
  return w.room("foundry").children.find((o) => o.name === "blast furnace")!
}

const coolerFor = (w: World, threshold: number): Obj =>
  threshold > -15
    ? w.room("kitchen").children.find((o) => o.name === "freezer")!
    : w.room("workshop").children.find((o) => o.name === "ultra low temperature freezer")!

const placeIn = (w: World, carrier: Obj, device: Obj, why: string): Plan => {
  if (!carrier.isInside(w.inventory)) return ensureHere(w, carrier) ?? pickUp(carrier, "I need to move it.")
  return ensureHere(w, device) ?? act(`move ${carrier.name} to ${device.name}`, { action: "move", objects: [carrier, device] }, [
    `${why} I put the ${carrier.name} in the ${device.name}.`,
    `The ${device.name} is the right place for this. Moving the ${carrier.name} there.`,
    `Next the ${carrier.name} goes into the ${device.name}. ${why}`
  ])
}

const waitFor = (state: string, precise: boolean): Plan =>
  act(precise ? "wait1" : "wait", undefined, [
    `Now I wait for the substance to become ${state === "other" ? "a different state" : state}.`,
    `It takes a while to change state, so I will wait.`,
    `Waiting for the temperature to do its work.`
  ])

const planStateChange = (v: Variation, game: Game, mem: Memory): Plan => {
  const w = game.world
  const name = String(v.params.objectName)
  const kitchenPot = byOrdinal(w, mem.container!)!
  const idx = game.goals.curIdx
  const focused = game.goals.focus ?? game.goals.lastSatisfied
  const water = mem.target === undefined
  // the substance and what carries it
  let sub: Obj | undefined = idx > 0 ? focused : mem.target !== undefined ? byOrdinal(w, mem.target) : undefined
  if (water && idx === 0) {
    sub = kitchenPot.children.find((o) => o.name === "water")
    if (!sub) {
      const sinkRoom = w.room("kitchen").children.find((o) => o.name === "sink")!.broken ? "bathroom" : "kitchen"
      const sink = w.room(sinkRoom).children.find((o) => o.name === "sink")!
      if (kitchenPot.parent !== sink) return placeIn(w, kitchenPot, sink, "I need water, and the sink can fill it.")
      return act("activate sink", { action: "activate", objects: [sink] }, ["Turning on the sink fills the pot with water.", "I switch the sink on.", "Let me activate the sink."])
    }
    const sink = kitchenPot.parent
    if (sink && sink.name === "sink" && sink.on) {
      return act("deactivate sink", { action: "deactivate", objects: [sink] }, ["The pot has water now; turning the sink off.", "That is enough water, so I deactivate the sink.", "I switch the sink off again."])
    }
  }
  if (!sub) throw new Error(`expert: lost the substance in ${v.id}/${v.variation}`)
  if (idx === 0) return ensureHere(w, sub) ?? focus(name, sub, `The task is about the ${name}.`)
  const parent = sub.parent!
  const goodCarrier = parent.kind === "vessel" && parent.material !== undefined && !["wood", "paper", "plastic", "ceramic"].includes(parent.material.name)
  if (!goodCarrier) {
    if (!kitchenPot.isInside(w.inventory) && sub.parent !== kitchenPot) return ensureHere(w, kitchenPot) ?? pickUp(kitchenPot, `It will hold the ${name}.`)
    return ensureHere(w, sub) ?? (sub.state === "liquid"
      ? act(`pour ${sub.name} into ${kitchenPot.name}`, { action: "pour", objects: [sub, kitchenPot] }, [`I pour the ${sub.name} into the metal pot, which can go on any heater.`, `The ${sub.name} goes into the metal pot.`, `Pouring the ${sub.name} into the pot.`])
      : act(`move ${sub.name} to ${kitchenPot.name}`, { action: "move", objects: [sub, kitchenPot] }, [`I put the ${sub.name} in the metal pot, which can go on any heater.`, `The ${sub.name} goes into the metal pot.`, `Moving the ${sub.name} into the pot.`]))
  }
  const carrier = parent
  const need = neededState(v, idx, sub)
  const m = sub.material!
  const heating = need === "gas" || (need === "liquid" && sub.state === "solid")
  if (heating && COMBUSTIBLE.has(name) && v.id !== "1-3") {
    const lighter = w.findAll((o) => o.name === "lighter")[0]!
    if (!lighter.isInside(w.inventory)) return ensureHere(w, lighter) ?? pickUp(lighter, `The ${name} burns, and burning changes its state.`)
    if (inRoom(w, sub) !== w.agentRoom()) return teleport(inRoom(w, sub).name)
    return act(`use lighter on ${sub.name}`, { action: "use", objects: [lighter, sub] }, [
      `The ${name} is combustible, so setting it on fire will change its state.`,
      `I light the ${name} with the lighter.`,
      `Fire will do it: using the lighter on the ${name}.`
    ])
  }
  const threshold = need === "gas" || v.id === "1-1" ? m.boilingPoint : m.meltingPoint
  const device = heating ? heaterFor(w, threshold) : coolerFor(w, m.meltingPoint)
  if (!carrier.isInside(device)) {
    if (carrier.parent && carrier.parent !== w.inventory && carrier.parent.kind !== "room" && carrier.parent.kind !== "furniture" && carrier.parent !== device) {
      return ensureHere(w, carrier) ?? pickUp(carrier, "It has to come out of here first.")
    }
    return placeIn(w, carrier, device, heating ? `The ${device.name} can heat it past ${threshold} degrees.` : `The ${device.name} is cold enough to freeze it.`)
  }
  if (heating && !device.on) {
    return act(`activate ${device.name}`, { action: "activate", objects: [device] }, [`Turning on the ${device.name}.`, `I activate the ${device.name} to start heating.`, `The ${device.name} has to be on.`])
  }
  const precise = v.id === "1-3" && heating
  return waitFor(need, precise)
}

// plants

/**
 * 5-2's pollinators: bees must stay with the flowers. The greenhouse doors are shut (as the original's gold
 * path does) while at least one bee is inside; with the hive open from the start the bees may all have flown
 * off, and then one is carried back.
 */
const keepBees = (w: World, greenhouse: Obj): Plan | undefined => {
  const hive = greenhouse.findDeep("bee hive")
  const carried = w.inventory.children.find((o) => o.kind === "animal" && o.species === "bee")
  if (carried) {
    if (w.agentRoom() !== greenhouse) return teleport("greenhouse")
    return act(`put down ${carried.name}`, { action: "put down", objects: [carried] }, [
      "I let the bee go here, next to the flowers.",
      "The bee is back in the greenhouse; I put it down.",
      "Releasing the bee in the greenhouse."
    ])
  }
  const inside = w.findAll((o) => o.kind === "animal" && o.species === "bee", greenhouse)
  const openDoor = w.doorsOf(greenhouse).find((d) => d.open)
  if (inside.length > 0 && openDoor) {
    if (w.agentRoom() !== greenhouse) return teleport("greenhouse")
    const other = w.otherSide(openDoor, greenhouse).name
    return act(`close door to ${other}`, { action: "close", objects: [openDoor] }, [
      "Closing the doors keeps the bees in the greenhouse with the flowers.",
      `I close the door to the ${other} so the pollinators stay here.`,
      "The bees should stay near the plants, so I shut the doors."
    ])
  }
  if (inside.length > 0 || (hive && !hive.open)) return undefined
  const stray = w.findAll((o) => o.kind === "animal" && o.species === "bee" && o.room() !== undefined)[0]
  if (!stray) return undefined
  return ensureHere(w, stray) ?? pickUp(stray, "The bees flew out of the greenhouse; one has to come back to pollinate the flowers.")
}

const planGrow = (v: Variation, game: Game, mem: Memory): Plan => {
  const w = game.world
  const type = String(v.params.seedType)
  const here = w.agentRoom()
  const greenhouse = w.room("greenhouse")
  if (v.id === "5-2" && type === "orange" && w.inventory.children.some((o) => o.name === "orange")) {
    const orange = w.inventory.children.find((o) => o.name === "orange")!
    return focus("orange in inventory", orange, "I already carry an orange, which is exactly the fruit the task asks for.")
  }
  if (v.id === "5-2") {
    const keep = keepBees(w, greenhouse)
    if (keep) return keep
  }
  const jar = byOrdinal(w, mem.container!)!
  const seed = byOrdinal(w, mem.target!)!
  const pots = String(v.params.containerNames).split(",").map((n) => greenhouse.findDeep(n)!)
  const wanted = v.id === "5-1" ? 1 : 3
  if (v.id === "5-1" && game.goals.curIdx === 0) {
    return ensureHere(w, seed) ?? focus(`${type} seed`, seed, `A ${type} seed is where the plant starts.`)
  }
  if (v.id === "5-2") {
    const fruit = greenhouse.findDeep(type)
    if (fruit && fruit.kind === "fruit") {
      return ensureHere(w, fruit) ?? focus(type, fruit, `A ${type} has grown on one of the trees.`)
    }
  }
  const planted = pots.filter((p) => p.children.some((o) => o.kind === "plant" && o.species === type))
  if (planted.length < wanted) {
    if (!jar.isInside(w.inventory)) return ensureHere(w, jar) ?? pickUp(jar, "The seeds have to go to the greenhouse.")
    const pot = pots.find((p) => !p.children.some((o) => o.kind === "plant"))!
    if (!pot.children.some((o) => o.kind === "soil")) {
      const loose = w.accessible(greenhouse).find((o) => o.kind === "soil" && o.parent === greenhouse)
      const carried = w.inventory.children.find((o) => o.kind === "soil")
      const soil = carried ?? loose
      if (soil) {
        return ensureHere(w, pot) ?? act(`move soil to ${pot.name}`, { action: "move", objects: [soil, pot] }, [
          `The ${pot.name} needs soil before a seed can grow in it.`,
          `I put soil into the ${pot.name}.`,
          `Soil first: moving it into the ${pot.name}.`
        ])
      }
      const shovel = w.findAll((o) => o.name === "shovel")[0]!
      if (!shovel.isInside(w.inventory)) return ensureHere(w, shovel) ?? pickUp(shovel, "There is no soil here, so I will dig some.")
      if (here.name !== "outside") return teleport("outside")
      const dug = w.accessible(here).find((o) => o.kind === "soil" && o.parent === here)
      if (dug) return pickUp(dug, "I will carry the soil to the greenhouse.")
      const ground = here.children.find((o) => o.kind === "ground")!
      return act("use shovel on ground", { action: "use", objects: [shovel, ground] }, [
        "Digging in the ground gives me soil.",
        "I dig a hole to get some soil.",
        "Let me use the shovel on the ground."
      ])
    }
    const s = v.id === "5-1" ? seed : jar.children.find((o) => o.kind === "plant")!
    return ensureHere(w, pot) ?? act(`move ${type} seed to ${pot.name}`, { action: "move", objects: [s, pot] }, [
      `I plant a ${type} seed in the ${pot.name}.`,
      `The ${pot.name} has soil, so a seed goes in.`,
      `Planting a seed in the ${pot.name}.`
    ])
  }
  if (here !== greenhouse) return teleport("greenhouse")
  if (v.id === "5-2") {
    const hive = greenhouse.findDeep("bee hive")
    const reproducing = pots.some((p) => p.children.some((o) => o.kind === "plant" && o.stage === "reproducing"))
    if (hive && !hive.open && reproducing) {
      return act("open bee hive", { action: "open", objects: [hive] }, ["The trees flower now, and the bees have to get out to pollinate them.", "I open the bee hive.", "Releasing the bees onto the flowers."])
    }
  }
  return act("wait", undefined, [
    v.id === "5-1" ? "The seed is planted and watered by its pot. I wait for it to grow." : "Now the plants need time to grow, flower and be pollinated.",
    "Growing takes time, so I wait.",
    "Nothing to do but wait for the plants."
  ])
}

// life stages

const planLifeStages = (v: Variation, game: Game): Plan => {
  const w = game.world
  if (w.agentRoom().name !== "outside") return teleport("outside")
  const type = String(v.params[v.id === "8-1" ? "animal" : "livingThingName"])
  const stages = ["stage1", "stage2", "stage3", "stage4", "stage5"].map((k) => v.params[k]).filter((x): x is string => typeof x === "string")
  const stage = stages[game.goals.curIdx]!
  const here = w.accessible(w.agentRoom())
  const match = here.filter((o) => o.isLiving() && o.species === type && o.stage === stage)
  if (match.length === 0) {
    const pool = here.filter((o) => o.isLiving() && o.species === type)
    const soon = pool.some((o) => o.kind === "animal" && 20 - o.stageTicks > 12)
    return act(soon ? "wait" : "wait1", undefined, [
      `No ${type} is in the ${stage} stage yet, so I wait for it to grow.`,
      `The ${type} has not reached the ${stage} stage. Waiting.`,
      `I need the ${stage} stage next; it takes time, so I wait.`
    ])
  }
  const o = match[0]!
  const ref = o.kind === "plant" && o.parent && o.parent.kind === "vessel" ? `${callName(o)} in ${o.parent.name}` : callName(o)
  return focus(ref, o, `The ${o.descName()} is in the ${stage} stage, the next one in the life cycle.`)
}

// measurement

const planMeltingPoint = (v: Variation, game: Game): Plan => {
  const w = game.world
  const name = String(v.params.objectName)
  const idx = game.goals.curIdx
  if (idx === 0) {
    const therm = w.findAll((o) => o.name === "thermometer")[0]!
    return ensureHere(w, therm) ?? focus("thermometer", therm, "The task starts with the thermometer.")
  }
  if (idx === 1) {
    const here = w.findAll((o) => o.name === name, w.agentRoom())[0]
    if (here) return focus(name, here, `The ${name} is the substance to examine.`)
    const anywhere = w.findAll((o) => o.name === name && o.room() !== undefined)
    const kitchen = anywhere.find((o) => o.room()!.name === String(v.params.location)) ?? anywhere[0]
    if (!kitchen) throw new Error(`expert: no ${name} in ${v.id}/${v.variation}`)
    return teleport(kitchen.room()!.name)
  }
  const mp = Number(v.params.meltingPoint)
  const t = Number(v.params.temperaturePoint)
  const box = String(v.params[mp >= t ? "boxAbove" : "boxBelow"])
  const b = w.findAll((o) => o.name === box)[0]!
  return ensureHere(w, b) ?? focus(box, b, `The melting point of ${name} is ${mp} degrees celsius, which is ${mp >= t ? "above" : "below"} ${t}.`)
}

const planThermometer = (v: Variation, game: Game, mem: Memory, turns: ReadonlyArray<{ action: string }>): Plan => {
  const w = game.world
  const name = String(v.params.objectName)
  const obj = byOrdinal(w, mem.target!)!
  const therm = byOrdinal(w, mem.container!)!
  const measured = turns.some((t) => t.action === `use thermometer on ${name}`)
  if (game.goals.curIdx === 0) return ensureHere(w, therm) ?? focus("thermometer", therm, "The task starts with the thermometer.")
  if (!measured) {
    if (!therm.isInside(w.inventory)) return ensureHere(w, therm) ?? pickUp(therm, "I need it to measure the temperature.")
    if (game.goals.curIdx === 1) return ensureHere(w, obj) ?? focus(name, obj, `The ${name} is the object to measure.`)
    return ensureHere(w, obj) ?? act(`use thermometer on ${name}`, { action: "use", objects: [therm, obj] }, [
      `Now I measure the temperature of the ${name}.`,
      `Let me read the ${name}'s temperature with the thermometer.`,
      `I will use the thermometer on the ${name}.`
    ])
  }
  if (therm.isInside(w.inventory)) {
    return act("put down thermometer", { action: "put down", objects: [therm] }, [
      `I leave the thermometer here so it does not change the temperature of the ${name} while I carry it.`,
      `Carrying both would let their temperatures even out, so I put the thermometer down first.`,
      `The thermometer stays here; only the ${name} has to go to the boxes.`
    ])
  }
  if (!obj.isInside(w.inventory)) return ensureHere(w, obj) ?? pickUp(obj, "It has to go into one of the boxes.")
  const boxRoom = String(v.params.locationAnswerBox)
  if (w.agentRoom().name !== boxRoom) return teleport(boxRoom)
  const t = Number(v.params.temperaturePoint)
  const high = obj.temperature >= t
  const box = String(v.params[high ? "boxAbove" : "boxBelow"])
  const b = w.findAll((o) => o.name === box && o.room() === w.agentRoom())[0]!
  const reading = Math.round(obj.temperature)
  return act(`move ${name} to ${box}`, { action: "move", objects: [obj, b] }, [
    `The ${name} measured ${reading} degrees, which is ${high ? "above" : "below"} ${t}, so it goes in the ${box}.`,
    `${reading} degrees is ${high ? "above" : "below"} the ${t} degree threshold. The ${box} is the right one.`,
    `Since the ${name} is ${high ? "above" : "below"} ${t} degrees celsius, I put it in the ${box}.`
  ])
}

const chooseContainer = (v: Variation, fresh: Game): number => {
  const w = fresh.world
  if (v.id === "6-1") return ordinal(w, w.findAll((o) => o.name === "metal pot")[0]!)
  const table = w.room("art studio").children.find((o) => o.name === "table")!
  return ordinal(w, table.children.find((o) => o.kind === "vessel")!)
}

/** The next expert move in a game state. */
export const planNext = (v: Variation, game: Game, mem: Memory, turns: ReadonlyArray<{ action: string }>): Plan => {
  switch (v.id.charAt(0)) {
    case "4":
      return planClassification(v, game, mem)
    case "7":
      return planLifespan(v, game, turns)
    case "6":
      return v.id === "6-1" ? planMix(v, game, mem) : planPaint(v, game, mem)
    case "1":
      return planStateChange(v, game, mem)
    case "8":
      return planLifeStages(v, game)
    case "5":
      return planGrow(v, game, mem)
    case "2":
      return v.id === "2-1" ? planThermometer(v, game, mem, turns) : planMeltingPoint(v, game)
    case "3":
      return v.id === "3-1" || v.id === "3-2" ? planPower(v, game, mem) : planConductivity(v, game, mem, turns)
    default:
      throw new Error(`expert: no solver for task type ${v.id}`)
  }
}

export interface ExpertTaskSource {
  variation(taskId: string): Variation | undefined
  readonly settings: Settings
}

/** The outermost closed container (below the room) that hides an object, if any. */
const closedAround = (o: Obj): Obj | undefined => {
  let hidden: Obj | undefined
  for (let p = o.kind === "terminal" ? o.terminalOf : o.parent; p && p.kind !== "room"; p = p.parent) {
    if (p.closable && !p.open && p.kind !== "door") hidden = p
  }
  return hidden
}

/** Opens whatever closed container stands between the plan and its objects. */
const withAccess = (plan: Plan): Plan => {
  const intent = plan.intent
  if (!intent) return plan
  const targets = [...intent.objects]
  for (const o of targets) {
    const box = closedAround(o)
    if (box) {
      return act(`open ${box.name}`, { action: "open", objects: [box] }, [
        `The ${o.name} is inside the closed ${box.name}, so I open it first.`,
        `I need to open the ${box.name} to reach the ${o.name}.`,
        `First, open the ${box.name}.`
      ])
    }
  }
  const dest = intent.action === "move" || intent.action === "pour" ? intent.objects[1] : undefined
  if (dest && dest.closable && !dest.open) {
    return act(`open ${dest.name}`, { action: "open", objects: [dest] }, [
      `The ${dest.name} is closed; I open it before putting anything inside.`,
      `Opening the ${dest.name} first.`,
      `I need the ${dest.name} open.`
    ])
  }
  return plan
}

const sameAction = (a: ParsedAction, b: ParsedAction) =>
  a.action === b.action && a.objects.length === b.objects.length && a.objects.every((o, i) => o === b.objects[i])

/** Replays the turns and returns the expert's next reply. */
export const expertReply = (source: ExpertTaskSource, seed: number, request: PolicyRequest): string => {
  const v = source.variation(request.task.id)
  if (!v) throw new Error(`expert: unknown task ${request.task.id}`)
  const fresh = newGame(v, source.settings)
  const memRng = Random.make(`sciworld-expert:${seed}:${request.task.id}`)
  const mem: Memory = {}
  if (v.id.startsWith("4-")) mem.target = chooseTarget(v, fresh, memRng)
  if (v.id.startsWith("6-")) mem.container = chooseContainer(v, fresh)
  if (v.id.startsWith("1-")) {
    const fw = fresh.world
    mem.container = ordinal(fw, fw.room("kitchen").findDeep("metal pot")!)
    const name = String(v.params.objectName)
    if (name !== "water") {
      // task ice is created as water and renamed on the first tick
      const cands = fw.findAll((o) => o.name === name || (name === "ice" && o.name === "water" && o.temperature < 0))
      const fresh1 = cands.find((o) => o.parent?.kind !== "room" || true)!
      mem.target = ordinal(fw, cands[cands.length - 1] ?? fresh1)
    }
  }
  if (v.id.startsWith("5-")) {
    const fw = fresh.world
    const jar = fw.findAll((o) => o.name === "seed jar")[0]!
    mem.container = ordinal(fw, jar)
    mem.target = ordinal(fw, jar.children[0]!)
  }
  if (v.id === "2-1") {
    const name = String(v.params.objectName)
    const fw = fresh.world
    mem.target = ordinal(fw, fw.findAll((o) => o.name === name && o.room()?.name === String(v.params.location))[0]!)
    mem.container = ordinal(fw, fw.findAll((o) => o.name === "thermometer")[0]!)
  }
  if (v.id.startsWith("3-")) mem.wires = wiresOf(fresh.world).map((o) => ordinal(fresh.world, o))
  if (v.id === "3-3" || v.id === "3-4") {
    const name = String(v.params[v.id === "3-3" ? "substance" : "unknownSubstance"])
    const all = fresh.world.findAll((o) => o.name === name)
    const s = all.find((o) => o.room()?.name === String(v.params.substanceLocation)) ?? all[0]
    if (!s) throw new Error(`expert: no ${name} in ${v.id}/${v.variation}`)
    mem.target = ordinal(fresh.world, s)
  }
  const game = newGame(v, source.settings)
  for (const t of request.turns) if (t.action !== "") game.step(t.action)
  const rng = Random.make(`sciworld-expert:${seed}:${request.task.id}:${request.turns.length}`)
  const pending = game.pending
  const safePlan = (): Plan => {
    try {
      return withAccess(planNext(v, game, mem, request.turns))
    } catch {
      return act("look around", undefined, ["I am not sure what to do next, so I look around.", "Let me look around again.", "I should check my surroundings."])
    }
  }
  if (pending !== undefined) {
    game.pending = undefined
    const plan = safePlan()
    game.pending = pending
    const idx = plan.intent ? pending.findIndex((p) => sameAction(p, plan.intent!)) : 0
    const i = idx < 0 ? 0 : idx
    return formatReply(
      rng.pick([
        `Several objects match. Option ${i} is the one I meant.`,
        `The command was ambiguous; I choose option ${i}.`,
        `I pick option ${i} from the list.`
      ]),
      String(i)
    )
  }
  const plan = safePlan()
  return formatReply(rng.pick(plan.thought), plan.action)
}

export const makeExpert = (source: ExpertTaskSource, seed: number): PolicyShape => ({
  name: "sciworld-expert",
  act: (requests) => Effect.sync(() => requests.map((r) => expertReply(source, seed, r)))
})
