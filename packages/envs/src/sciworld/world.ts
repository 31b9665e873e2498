/**
 * The ScienceWorld object tree: rooms, doors, the agent and every object in
 * them, with their descriptions, referents and per-tick behaviour.
 */
import type { Rng } from "@eto/core/Random"
import {
  ANIMALS,
  animalDisplayName,
  BOOK_AUTHORS,
  CYCLE_STAGES,
  type Cycle,
  DOORS,
  LOCATIONS,
  type Material,
  MATERIALS,
  type PlantStage,
  stageLength,
  type StateOfMatter
} from "./catalog"
import type { LayoutNode } from "./data"
import { attachTerminals, electricalTick } from "./electricity"

export type Kind =
  | "universe"
  | "room"
  | "agent"
  | "inventory"
  | "door"
  | "furniture"
  | "cabinet"
  | "cooler"
  | "oven"
  | "stove"
  | "sink"
  | "toilet"
  | "drain"
  | "drawer"
  | "vessel"
  | "box"
  | "substance"
  | "block"
  | "food"
  | "fruit"
  | "paint"
  | "soil"
  | "thermometer"
  | "stopwatch"
  | "lighter"
  | "tool"
  | "item"
  | "picture"
  | "book"
  | "recipe"
  | "ground"
  | "animal"
  | "plant"
  | "flower"
  | "pollen"
  | "bulb"
  | "wire"
  | "battery"
  | "switch"
  | "generator"
  | "terminal"
  | "unknown"
  | "paper"
  | "kitchen"
  | "pillow"

let nextUuid = 1

/** Reserves `n` consecutive uuids above every one handed out so far; returns the first. */
export const reserveUuids = (n: number): number => {
  const first = nextUuid
  nextUuid += n
  return first
}

export class Obj {
  /** Creation order (reassigned once at build to the original's order, see creation.ts). */
  uuid: number
  /** The name the layout gave the object (before any renaming). */
  layoutName = ""
  parent: Obj | undefined = undefined
  readonly children: Array<Obj> = []
  container = false
  open = true
  closable = false
  moveable = true
  hidden = false
  activable = false
  on = false
  broken = false
  material: Material | undefined = undefined
  temperature = 10
  state: StateOfMatter | undefined = undefined
  /** Extra referents beyond the name. */
  nouns: Array<string> = []
  /** Whether "containing ..." referents are added (cups, pots, jars). */
  contentRefs = false
  /** Display-name override (fruit colour, jam colour). */
  display: string | undefined = undefined
  article: "a" | "an" = "a"
  // living things
  species = ""
  cycle: Cycle = "mammal"
  stage = ""
  stageTicks = 0
  /** Plants: cumulative ticks with water and soil (seed) or unstressed (later stages). */
  growTicks = 0
  noWater = 0
  noSoil = 0
  badTemp = 0
  // flowers and pollen
  plantOf: Obj | undefined = undefined
  /** Flowers: ticks since pollination (0 = not pollinated); the fruit forms after 5. */
  pollinationStep = 0
  /** Plants: the current stage's "sickly" flag (short of water, soil or a bearable temperature). */
  sickly = false
  /** Drains of sinks, bathtubs and toilets: portals, not contents (never listed as contents, never heated). */
  readonly portals: Array<Obj> = []
  /** Toilets: ticks into a flush (0 = not flushing). */
  flushStage = 0
  // combustion
  burnLeft = 0
  burned = false
  // documents
  text = ""
  title = ""
  // doors
  doorRooms: readonly [Obj, Obj] | undefined = undefined
  // electricity
  terminals: Array<Obj> = []
  terminalOf: Obj | undefined = undefined
  connection: Obj | undefined = undefined
  voltage = ""
  lastTick = -1

  constructor(public name: string, public kind: Kind) {
    this.uuid = nextUuid++
  }

  /** Name used in replies and focus (life stage, fire). */
  descName(): string {
    let base = this.name
    if (this.kind === "animal") base = animalDisplayName(this.species, this.cycle, this.stage)
    if (this.burnLeft > 0) return `${base} (on fire)`
    if (this.burned) return `burned ${base}`
    return base
  }

  plantName(): string {
    if (this.species === "pea") return this.stage === "seed" ? "pea seed" : "pea plant"
    return this.stage === "seed" ? `${this.species} seed` : `${this.species} tree`
  }

  /** Plants under stress (the original's "sickly"). */
  unwell(): boolean {
    return this.sickly
  }

  isLiving(): boolean {
    return this.kind === "animal" || this.kind === "plant"
  }

  add(child: Obj): void {
    if (child.parent) child.parent.remove(child)
    child.parent = this
    let i = this.children.length
    while (i > 0 && this.children[i - 1]!.uuid > child.uuid) i--
    this.children.splice(i, 0, child)
  }

  remove(child: Obj): void {
    const i = this.children.indexOf(child)
    if (i >= 0) this.children.splice(i, 1)
    child.parent = undefined
  }

  /** Visible direct contents. */
  visible(): Array<Obj> {
    return this.children.filter((c) => !c.hidden)
  }

  /** The room (or universe) this object is in. */
  room(): Obj | undefined {
    let o: Obj | undefined = this.parent
    while (o && o.kind !== "room") o = o.parent
    return o
  }

  /** True when this object is inside `other` at any depth. */
  isInside(other: Obj): boolean {
    let o = this.parent
    while (o) {
      if (o === other) return true
      o = o.parent
    }
    return false
  }

  /** The first descendant with this name. */
  findDeep(name: string): Obj | undefined {
    for (const c of this.children) {
      if (c.name === name) return c
      const d = c.findDeep(name)
      if (d) return d
    }
    return undefined
  }

  /** Inside a container with this name at any depth. */
  isInsideNamed(name: string): boolean {
    let o = this.parent
    while (o) {
      if (o.name === name) return true
      o = o.parent
    }
    return false
  }

  stateOf(): StateOfMatter | undefined {
    return this.state
  }
}

// ---------------------------------------------------------------------------
// Descriptions

const sortByName = (objs: ReadonlyArray<Obj>): Array<Obj> =>
  objs.slice().sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.uuid - b.uuid))

const inline = (objs: ReadonlyArray<Obj>): string => {
  const vis = sortByName(objs.filter((o) => !o.hidden))
  return vis.length === 0 ? "nothing" : vis.map((o) => cursory(o)).join(", ")
}

/** One line per visible object ("\tnothing" when none), sorted by name then creation; detailed descriptions on request. */
export const multiline = (objs: ReadonlyArray<Obj>, detail = false): string => {
  const vis = sortByName(objs.filter((o) => !o.hidden))
  return vis.length === 0 ? "\tnothing\n" : vis.map((o) => `\t${describe(o, detail)}\n`).join("")
}

const doorPart = (o: Obj, detailed: boolean): string => {
  const dn = o.descName()
  let s = `The ${dn} door is ${o.open ? "open" : "closed"}. `
  if (o.open) s += detailed ? `In the ${dn} is: \n${multiline(o.children)}` : `In the ${dn} is: ${inline(o.children)}.`
  return s
}

export const cursory = (o: Obj): string => describe(o, false)
export const detailed = (o: Obj): string => describe(o, true)

const describe = (o: Obj, detail: boolean): string => {
  const dn = o.descName()
  switch (o.kind) {
    case "agent":
      return "the agent"
    case "substance":
      return `a substance called ${dn}`
    case "battery":
    case "wire":
      return detail && o.terminals.length > 0 ? `${o.article} ${dn}` + connectionText(o) : `${o.article} ${dn}`
    case "block":
    case "item":
    case "tool":
    case "lighter":
    case "picture":
      return `${o.article} ${dn}`
    case "food":
      return canonical(o)
    case "unknown":
      return o.name
    case "paper":
      return o.name === "paper" ? `A blank ${dn}` : `A ${dn}`
    case "kitchen":
      return `A ${dn}`
    case "pillow":
      return `a white ${dn}`
    case "paint":
    case "soil":
    case "pollen":
      return dn
    case "fruit":
      return `${o.article} ${canonical(o)}`
    case "vessel":
    case "box":
      return `a ${dn} (containing ${inline(o.children)})`
    case "furniture":
      // tables list their contents line by line when looked at; chairs, couches, beds and mattresses never do
      return detail && !o.nouns.includes("sittable")
        ? `a ${dn}. On the ${dn} is: \n${multiline(o.children)}`
        : `a ${dn}. On the ${dn} is: ${inline(o.children)}.`
    case "cabinet":
      return `a ${dn}. ${doorPart(o, detail)}`
    case "cooler":
      return `a ${dn}${o.on ? "" : ", which is turned off"}. ${doorPart(o, detail)}`
    case "oven":
      return `a ${dn}, which is turned ${o.on ? "on" : "off"}. ${doorPart(o, detail)}`
    case "stove":
      return `a ${dn}, which is turned ${o.on ? "on" : "off"}. On the ${dn} is: ${inline(o.children)}.`
    case "sink": {
      const base = `a ${dn}, which is turned ${o.on ? "on" : "off"}. In the ${dn} is: ${inline(o.children)}.`
      return detail ? base + o.portals.map((p) => ` The ${p.name} is ${p.open ? "open" : "closed"}.`).join("") : base
    }
    case "toilet":
      return `a ${dn}${o.flushStage > 0 ? ", which is flushing" : ""}. In the ${dn} is: ${inline([...o.children, ...o.portals])}.`
    case "drain":
      return `A drain, which is ${o.open ? "open" : "closed"}`
    case "drawer":
      if (!detail) return `a ${dn}`
      return o.open ? `a ${dn}. In the ${dn} is: \n${multiline(o.children)}` : `a ${dn}.  The drawer is closed.`
    case "thermometer":
      return `a ${dn}, currently reading a temperature of ${degrees(o.temperature)} degrees celsius`
    case "stopwatch":
      return `a ${dn}, which is ${o.on ? "activated" : "deactivated"}. `
    case "book":
      return `A book (${o.title}) titled ${o.title} by ${BOOK_AUTHORS[o.title] ?? "an unknown author"}`
    case "recipe":
      return `A recipe titled ${o.title}`
    case "ground":
      return "the ground"
    case "animal":
      return `a ${dn}${o.noWater < 0 ? " (that looks unwell)" : ""}`
    case "plant": {
      // listed by type and stage ("lemon tree"), whatever the name is
      const pn = o.descName().replace(o.name, o.plantName())
      if (o.stage === "dead") return `a dead ${pn}`
      if (o.stage === "seed") return `a ${pn}`
      const base = `a ${pn} in the ${o.stage} stage${plantUnwell(o) ? " (that looks unwell)" : ""}`
      const vis = o.visible()
      return vis.length === 0 ? base : `${base}. On the ${pn} you see: ${inline(vis)}. `
    }
    case "flower":
      return o.pollinationStep > 0 ? "a wilting flower" : "a flower"
    case "bulb":
    case "switch":
    case "generator": {
      const base = `a ${dn}, which is ${o.on ? "on" : "off"}`
      return detail && o.terminals.length > 0 ? base + connectionText(o) : base
    }
    case "room":
      return `a ${dn}`
    case "door":
      return `a door`
    default:
      return `a ${dn}`
  }
}

const plantUnwell = (o: Obj): boolean => o.unwell()

/** The display name of fruits and jams with their colour ("red apple"), fire state kept. */
const canonical = (o: Obj): string => (o.display === undefined ? o.descName() : o.descName().replace(o.name, o.display))

const connectionText = (o: Obj): string =>
  o.terminals
    .map((t) => {
      const c = t.connection
      return `. its ${t.name} is connected to: ${c ? `a ${c.name} on ${c.terminalOf!.descName()}` : "nothing"}`
    })
    .join("") + "."

/** The look-around text of a room. */
export const lookAround = (room: Obj, world: World): string => {
  const head = room.name === "outside"
    ? `This outside location is called the outside. Here you see: \n`
    : `This room is called the ${room.name}. In it, you see: \n`
  const doors = world
    .doorsOf(room)
    .map((d) => `A door to the ${world.otherSide(d, room).name} (that is ${d.open ? "open" : "closed"})`)
    .sort()
  return head + multiline(room.children) + "You also see:\n" + doors.map((d) => `\t${d}`).join("\n")
}

/** A temperature rounded as Java's "%.0f" does (half away from zero). */
export const degrees = (t: number): string => {
  const r = Math.round(Math.abs(t))
  return t < 0 ? `-${r}` : String(r)
}

/** Collapses runs of spaces and trims, as the original does with every reply. */
export const clean = (text: string): string => text.replace(/ {2,}/g, " ").trim()

// ---------------------------------------------------------------------------
// Object construction from layout nodes

const COLOURS = ["red", "green", "blue", "orange", "yellow", "purple", "violet", "black"]

const vessel = (name: string, nouns: Array<string>, material: string): Obj => {
  const o = new Obj(name, "vessel")
  o.container = true
  o.contentRefs = true
  o.nouns = nouns
  o.material = MATERIALS[material]
  return o
}

const withMaterial = (o: Obj, material: string, state?: StateOfMatter): Obj => {
  o.material = MATERIALS[material]
  o.state = state ?? "solid"
  return o
}

/** Creates one object from its layout name and attributes. */
export const makeObject = (name: string, attrs: ReadonlyArray<string>): Obj => {
  const o = makeBase(name, attrs)
  const t = attrs.find((a) => a.startsWith("T="))
  // The declared state is kept: the first tick renames an object created below
  // its melting point (task ice is created as "water" at -10 and becomes "ice").
  if (t !== undefined) o.temperature = Number(t.slice(2))
  return o
}

const makeBase = (name: string, attrs: ReadonlyArray<string>): Obj => {
  const attr = (key: string) => attrs.find((a) => a.startsWith(key + "="))?.slice(key.length + 1)
  const flag = (f: string) => attrs.includes(f)
  // living things: attrs = [species/type, stage]
  if (attrs.length >= 2 && (ANIMALS[attrs[0]!] !== undefined) && !name.startsWith("flower pot")) {
    const o = new Obj(attrs[0] === "bee" ? "bee" : name, "animal")
    o.species = attrs[0]!
    o.cycle = ANIMALS[attrs[0]!]!.cycle
    o.stage = attrs[1]!
    return o
  }
  if (attrs.length >= 2 && /^(seed|seedling|adult|reproducing|dead)$/.test(attrs[1]!)) {
    // fruit trees are created as "plant" (peas as "pea") and take their stage name on their first tick
    const o = new Obj(attrs[0] === "pea" ? "pea" : "plant", "plant")
    o.species = attrs[0]!
    o.stage = attrs[1]!
    o.material = MATERIALS["plant matter"]
    o.state = "solid"
    o.container = true
    return o
  }
  let m: RegExpMatchArray | null
  if ((m = name.match(/^(\w+) box$/)) && COLOURS.includes(m[1]!)) {
    const o = new Obj(name, "box")
    o.container = true
    o.material = MATERIALS.ceramic
    o.state = "solid"
    return o
  }
  if (/^(self watering )?flower pot \d+$/.test(name)) {
    const o = vessel(name, ["pot", "flower pot"], "ceramic")
    return o
  }
  if ((m = name.match(/^(\w+) light bulb$/))) {
    const o = new Obj(name, "bulb")
    o.nouns = ["light", "light bulb"]
    o.material = MATERIALS.glass
    return o
  }
  if ((m = name.match(/^(\w+) wire$/)) || name === "wire") {
    const o = new Obj(name, "wire")
    o.nouns = ["component"]
    o.material = MATERIALS.copper
    return o
  }
  if ((m = name.match(/^([\w-]+) paint$/))) {
    const o = new Obj(name, "paint")
    o.nouns = ["paint"]
    return withMaterial(o, "paint", "liquid")
  }
  if ((m = name.match(/^book \((.*)\)$/))) {
    const o = new Obj(name, "book")
    o.title = m[1]!
    o.material = MATERIALS.paper
    o.text = `${m[1]} by ${BOOK_AUTHORS[m[1]!] ?? "an unknown author"}.`
    return o
  }
  if ((m = name.match(/^(liquid |solid )?unknown substance (\w)$/))) {
    const o = new Obj(name, "unknown")
    o.nouns = ["unknown substance"]
    const mp = Number(attr("mp") ?? 1000)
    o.material = { ...MATERIALS.unknown!, name, meltingPoint: mp, electricallyConductive: attr("cond") === "true" }
    o.temperature = Number(attr("T") ?? 10)
    o.state = o.temperature < mp ? "solid" : "liquid"
    return o
  }
  const o = makeNamed(name)
  if (flag("closed") && o.closable) o.open = false
  if (flag("on")) o.on = true
  if (flag("off")) o.on = false
  if (flag("broken")) o.broken = true
  return o
}

const simple = (name: string, kind: Kind, nouns: Array<string> = [], material?: string): Obj => {
  const o = new Obj(name, kind)
  o.nouns = nouns
  if (material) withMaterial(o, material)
  return o
}

const fixed = (o: Obj): Obj => {
  o.moveable = false
  return o
}

const containerOf = (o: Obj, closable: boolean): Obj => {
  o.container = true
  o.closable = closable
  return o
}

/** Furniture and other open containers: movable, as every object the original does not fix in place. */
const furniture = (name: string, nouns: Array<string>, material: string): Obj => containerOf(simple(name, "furniture", nouns, material), false)

const cabinet = (name: string, nouns: Array<string>): Obj => containerOf(simple(name, "cabinet", nouns, "wood"), true)

const device = (o: Obj, activable = true): Obj => {
  o.activable = activable
  return fixed(o)
}

/** Sinks, bathtubs and toilets drain to the sewer through an open drain (liquids leave at the end of the device's tick). */
const withDrain = (o: Obj): Obj => {
  const drain = fixed(simple("drain", "drain"))
  drain.closable = true
  drain.parent = o
  o.portals.push(drain)
  return o
}

const makeNamed = (name: string): Obj => {
  switch (name) {
    case "table":
    case "desk":
    case "counter":
      return furniture(name, [name, `wood ${name}`], "wood")
    case "chair":
    case "bed":
      return furniture(name, ["sittable", "wood sittable"], "wood")
    case "couch":
    case "mattress":
      return furniture(name, ["sittable", "cloth sittable"], "cloth")
    case "book shelf": {
      const o = vessel(name, ["shelf", "book shelf"], "wood")
      o.kind = "box"
      return o
    }
    case "cupboard":
    case "large cupboard":
    case "paint cupboard":
      return cabinet(name, ["cupboard", "wood cupboard"])
    case "closet":
    case "paint closet":
      return cabinet(name, ["closet", "wood closet"])
    case "bee hive":
      return cabinet(name, ["bee hive", "hive", "beehive"])
    case "drawer":
      return containerOf(simple(name, "drawer", ["drawer", "wood table"], "wood"), true)
    case "fridge":
    case "freezer":
    case "ultra low temperature freezer":
      return device(containerOf(simple(name, "cooler", name === "fridge" ? ["fridge"] : ["freezer"]), true))
    case "oven":
    case "blast furnace":
      return device(containerOf(simple(name, "oven", name === "oven" ? ["oven"] : ["furnace"]), true))
    case "stove":
      return device(containerOf(simple(name, "stove", ["stove"]), false))
    case "sink":
    case "bathtub":
      return withDrain(device(containerOf(simple(name, "sink", [name], name === "sink" ? "steel" : "ceramic"), false)))
    case "toilet":
      return withDrain(device(containerOf(simple(name, "toilet", ["toilet"], "steel"), false)))
    case "metal pot":
      return vessel(name, ["pot", "metal pot"], "steel")
    case "glass cup":
    case "plastic cup":
    case "wood cup":
    case "tin cup":
    case "paper cup":
    case "ceramic cup":
      return vessel(name, ["cup", name], name.replace(/ cup$/, ""))
    case "bowl":
      return vessel(name, ["bowl", "wood bowl"], "wood")
    case "jug":
      return vessel(name, ["jug"], "plastic")
    case "glass jar": {
      const o = vessel(name, ["jar", "glass jar"], "glass")
      o.closable = true
      return o
    }
    case "seed jar":
      // a ceramic cup renamed by the task
      return vessel(name, ["cup", "ceramic cup"], "ceramic")
    case "fire pit":
    case "fountain": {
      const o = vessel(name, [name], "ceramic")
      o.contentRefs = false
      return o
    }
    case "thermometer":
      return simple(name, "thermometer", ["thermometer"], "glass")
    case "stopwatch": {
      const o = simple(name, "stopwatch", ["stopwatch", "watch", "timer"], "plastic")
      o.activable = true
      return o
    }
    case "lighter":
      return simple(name, "lighter", ["lighter"], "plastic")
    case "axe": {
      const o = simple(name, "tool", ["axe"], "steel")
      o.article = "an"
      return o
    }
    case "shovel":
      return simple(name, "tool", ["shovel"], "steel")
    case "ground":
      return containerOf(simple(name, "ground", ["ground"], "soil"), false)
    case "picture":
    case "painting":
    case "drawing":
    case "finger painting":
      return simple(name, "picture", [], "paper")
    case "recipe":
      return simple(name, "recipe", [], "paper")
    case "battery":
      return simple(name, "battery", ["generator"], "steel")
    case "switch": {
      const o = simple(name, "switch", ["component"], "plastic")
      o.activable = true
      return o
    }
    case "electric motor":
      return simple(name, "bulb", ["motor", "electric motor"], "steel")
    case "electric buzzer":
      return simple(name, "bulb", ["buzzer", "electric buzzer"], "steel")
    case "gas generator":
    case "nuclear generator": {
      const o = simple(name, "generator", ["generator"], "steel")
      o.activable = true
      return o
    }
    case "solar panel":
    case "wind generator":
      return simple(name, "generator", ["generator"], "steel")
    case "soil":
      return withMaterial(simple(name, "soil", ["soil"]), "soil")
    case "wood":
    case "air":
    case "water":
    case "soap":
    case "rubber":
    case "lead":
    case "tin":
    case "mercury":
    case "gallium":
    case "caesium":
    case "sodium chloride":
    case "salt water":
    case "soapy water":
    case "acetic acid":
    case "sodium bicarbonate":
    case "sodium acetate":
    case "sugar":
    case "sugar water":
    case "rust":
    case "ash": {
      const o = simple(name, "substance", ["substance"])
      const mat = name === "sugar water" ? "sugar" : name === "rust" || name === "sodium acetate" || name === "ash" ? "sodium bicarbonate" : name
      o.material = MATERIALS[mat]
      o.state = initialState(o)
      if (name === "air") o.temperature = 25
      if (name === "gallium") o.state = "liquid"
      return o
    }
    case "wood block":
      return withMaterial(simple(name, "block", ["block"]), "wood")
    case "iron block":
      return withMaterial(simple(name, "block", ["block"]), "iron")
    case "orange juice":
    case "apple juice":
    case "chocolate":
    case "marshmallow":
    case "ice cream": {
      const o = simple(name, "food", [name])
      o.material = MATERIALS[name]
      if (name === "ice cream") o.temperature = -15
      o.state = initialState(o)
      return o
    }
    case "smores":
      return withMaterial(simple(name, "food", ["smores"]), "marshmallow")
    case "flour":
    case "dough":
    case "bread":
      return withMaterial(simple(name, "food", [name, `white ${name}`]), "flour")
    case "jam": {
      const o = withMaterial(simple(name, "food", ["jam", "red jam"]), "flour")
      o.display = "red jam"
      return o
    }
    case "peanut":
    case "almond":
    case "cashew":
    case "mixed nuts":
      return withMaterial(simple(name, "food", [name]), "nut")
    case "fruit salad":
      return withMaterial(simple(name, "food", ["fruit salad"]), "plant matter")
    case "apple": {
      const o = simple(name, "fruit", ["apple", "red apple"])
      o.display = "red apple"
      return o
    }
    case "apricot": {
      const o = withMaterial(simple(name, "fruit", ["apricot", "orange apricot"]), "plant matter")
      o.display = "orange apricot"
      return o
    }
    case "avocado":
    case "orange":
    case "grapefruit": {
      const o = simple(name, "fruit", [name])
      o.article = "an"
      return o
    }
    case "banana":
    case "cherry":
    case "lemon":
    case "peach":
    case "pear":
    case "potato":
      return simple(name, "fruit", [name])
    case "paper":
      return simple(name, "paper", [], "paper")
    case "metal fork":
      return simple(name, "kitchen", ["steel fork"], "steel")
    case "plastic fork":
      return simple(name, "kitchen", ["plastic fork"], "plastic")
    case "paper clip":
      return simple(name, "kitchen", ["steel paper clip"], "steel")
    case "aluminum foil":
      return simple(name, "kitchen", [], "aluminum")
    case "pillow":
      return simple(name, "pillow", ["object"], "cloth")
    default:
      if (name.endsWith(" sandwich")) return withMaterial(simple(name, "food", ["sandwich"]), "flour")
      if (name.endsWith(" paper")) return simple(name, "paper", [], "paper")
      return simple(name, "item", ["object"])
  }
}

const initialState = (o: Obj): StateOfMatter => {
  const m = o.material!
  return o.temperature < m.meltingPoint ? "solid" : o.temperature > m.boilingPoint ? "gas" : "liquid"
}

/** Heat exchange between two touching objects (the second sees the first's new temperature). */
const exchange = (a: Obj, b: Obj): void => {
  const c = Math.min(a.material!.thermalConductivity, b.material!.thermalConductivity)
  if (a.temperature === b.temperature) return
  a.temperature += 0.1 * c * (b.temperature - a.temperature)
  b.temperature += 0.1 * c * (a.temperature - b.temperature)
}


// ---------------------------------------------------------------------------
// The world

export interface WorldOptions {
  readonly openContainers: boolean
  readonly rng: Rng
  /** Electrical actions and terminals (tasks of topic 3). */
  readonly electrical: boolean
}

export class World {
  readonly universe = new Obj("universe", "universe")
  readonly rooms = new Map<string, Obj>()
  readonly doors: Array<Obj> = []
  readonly agent: Obj
  readonly inventory: Obj
  ticks = 0
  private tickId = 0
  /** Actions performed, as "verb:object" keys, for past-action goals. */
  readonly pastActions: Array<string> = []

  constructor(rooms: Readonly<Record<string, ReadonlyArray<LayoutNode>>>, startRoom: string, readonly options: WorldOptions) {
    this.universe.container = true
    for (const name of LOCATIONS) {
      const r = new Obj(name, "room")
      r.container = true
      r.moveable = false
      this.rooms.set(name, r)
      this.universe.add(r)
      const air = makeObject("air", [])
      r.add(air)
    }
    let agent: Obj | undefined
    let inventory: Obj | undefined
    const build = (node: LayoutNode, parent: Obj) => {
      if (node.name === "agent") {
        agent = new Obj("agent", "agent")
        agent.moveable = false
        agent.container = true
        parent.add(agent)
        for (const c of node.children) build(c, agent)
        return
      }
      if (node.name === "inventory") {
        inventory = new Obj("inventory", "inventory")
        inventory.container = true
        inventory.moveable = false
        parent.add(inventory)
        for (const c of node.children) build(c, inventory)
        return
      }
      const name = /^bee \d+$/.test(node.name) ? "bee" : node.name
      const o = makeObject(name, node.attrs)
      o.layoutName = node.name
      if (o.kind === "recipe") o.title = "instructions to make"
      parent.add(o)
      for (const c of node.children) build(c, o)
    }
    for (const name of LOCATIONS) for (const node of rooms[name] ?? []) build(node, this.rooms.get(name)!)
    if (!agent) {
      agent = new Obj("agent", "agent")
      agent.moveable = false
      agent.container = true
      this.rooms.get(startRoom)!.add(agent)
    }
    if (!inventory) {
      inventory = new Obj("inventory", "inventory")
      inventory.container = true
      inventory.moveable = false
      agent.add(inventory)
    }
    this.agent = agent
    this.inventory = inventory
    this.inventory.hidden = true
    for (const [a, b] of DOORS) {
      const d = new Obj("door", "door")
      d.moveable = false
      d.closable = true
      d.open = true
      d.doorRooms = [this.rooms.get(a)!, this.rooms.get(b)!]
      this.doors.push(d)
    }
    if (options.electrical) for (const o of this.findAll(() => true)) attachTerminals(o)
    if (options.openContainers) {
      const openAll = (o: Obj) => {
        if (o.closable && o.container) o.open = true
        for (const c of o.children) openAll(c)
      }
      openAll(this.universe)
    }
  }

  room(name: string): Obj {
    return this.rooms.get(name)!
  }

  agentRoom(): Obj {
    return this.agent.parent!
  }

  doorsOf(room: Obj): Array<Obj> {
    return this.doors.filter((d) => d.doorRooms![0] === room || d.doorRooms![1] === room)
  }

  otherSide(door: Obj, room: Obj): Obj {
    return door.doorRooms![0] === room ? door.doorRooms![1] : door.doorRooms![0]
  }

  /** Objects reachable from `root` through open containers (hidden ones included). */
  accessible(root: Obj, out: Array<Obj> = []): Array<Obj> {
    for (const c of root.children) {
      out.push(c)
      for (const t of c.terminals) out.push(t)
      if (c.container && c.open) {
        this.accessible(c, out)
        for (const p of c.portals) out.push(p)
      }
    }
    return out
  }

  /** Candidates for object slots: the room, its accessible contents, doors and neighbouring rooms. */
  scope(): Array<Obj> {
    const room = this.agentRoom()
    const out: Array<Obj> = [room]
    this.accessible(room, out)
    for (const d of this.doorsOf(room)) {
      out.push(d)
      out.push(this.otherSide(d, room))
    }
    return out
  }

  /** Every accessible object in the world (teleport targets). */
  worldScope(): Array<Obj> {
    const out: Array<Obj> = []
    for (const r of this.rooms.values()) {
      out.push(r)
      this.accessible(r, out)
    }
    return out
  }

  /** Finds every object (any depth, closed containers included) with a predicate. */
  findAll(pred: (o: Obj) => boolean, root: Obj = this.universe, out: Array<Obj> = []): Array<Obj> {
    for (const c of root.children) {
      if (pred(c)) out.push(c)
      this.findAll(pred, c, out)
    }
    return out
  }

  /** Creates an object inside a container. */
  spawn(o: Obj, parent: Obj): Obj {
    if (this.options.electrical) attachTerminals(o)
    parent.add(o)
    return o
  }

  destroy(o: Obj): void {
    if (o.parent) o.parent.remove(o)
  }

  // -------------------------------------------------------------------------
  // Time

  /** Advances the world by one tick. */
  tick(): void {
    this.tickId++
    this.ticks++
    this.tickObject(this.universe)
  }

  private tickObject(o: Obj): void {
    if (o.lastTick === this.tickId) return
    o.lastTick = this.tickId
    this.classTick(o)
    this.combustion(o)
    this.conduction(o)
    this.stateChange(o)
    for (const c of o.children.slice()) if (c.parent === o) this.tickObject(c)
    for (const p of o.portals) if (p.open) for (const c of o.children.slice()) if (c.material && c.state === "liquid") this.destroy(c)
  }

  /** A running tap: water into every open container inside that has none, then into the device itself. */
  private fillWithWater(o: Obj): void {
    const isWater = (c: Obj) => c.material === MATERIALS.water
    for (const c of o.children.slice()) {
      if (c.container && c.open && !c.children.some(isWater)) this.spawn(makeObject("water", []), c)
    }
    if (!o.children.some(isWater)) this.spawn(makeObject("water", []), o)
  }

  private classTick(o: Obj): void {
    if (
      o.terminals.length > 0 &&
      (o.kind === "bulb" || o.kind === "battery" || o.kind === "generator" || o.kind === "switch" || o.kind === "wire" ||
        o.terminals.some((t) => t.connection !== undefined || t.voltage !== ""))
    ) electricalTick(o, this)
    switch (o.kind) {
      case "animal":
        this.animalTick(o)
        break
      case "plant":
        this.plantTick(o)
        break
      case "vessel":
        if (o.name.startsWith("self watering flower pot") || o.name.startsWith("flower pot")) {
          if (!o.children.some((c) => c.name === "water")) this.spawn(makeObject("water", []), o)
        }
        if (o.name === "fountain" && !o.children.some((c) => c.name === "water")) this.spawn(makeObject("water", []), o)
        break
      case "sink":
        if (o.on) this.fillWithWater(o)
        break
      case "toilet":
        if (o.on && o.flushStage === 0) {
          o.flushStage = 1
          for (const p of o.portals) p.open = true
        }
        if (o.flushStage > 0) {
          this.fillWithWater(o)
          o.flushStage++
          if (o.flushStage > 5) {
            o.on = false
            o.flushStage = 0
          }
        }
        if (o.flushStage === 0) for (const p of o.portals) p.open = false
        break
      case "flower":
        this.flowerTick(o)
        break
      case "stove":
      case "oven":
        if (o.on) {
          const setPoint = o.name === "stove" ? 260 : o.name === "oven" ? 540 : 3000
          for (const c of o.children) if (c.material && c.temperature < setPoint) c.temperature += 0.1 * (setPoint - c.temperature)
        }
        break
      case "cooler":
        if (o.on) {
          const setPoint = o.name === "fridge" ? 2 : o.name === "freezer" ? -18 : -86
          for (const c of o.children) if (c.material && c.temperature > setPoint) c.temperature += 0.1 * (setPoint - c.temperature)
        }
        break
      default:
    }
  }

  private animalTick(o: Obj): void {
    if (o.cycle === "bee") {
      this.beeTick(o)
      return
    }
    if (o.stage === "dead") return
    o.stageTicks++
    if (o.stageTicks >= stageLength(o.stage)) {
      const stages = CYCLE_STAGES[o.cycle]
      const i = stages.indexOf(o.stage)
      o.stage = stages[Math.min(i + 1, stages.length - 1)]!
      o.stageTicks = 0
    }
  }

  /**
   * A bee's tick, as the original's: in a flower, collect pollen or leave (half each); elsewhere,
   * fly into a random reachable flower or leave (half each). Leaving a room takes a random open door,
   * leaving an open container (hive, flower) drops the bee into the room. Draws come from this
   * engine's seeded generator (the original's stream is not recorded).
   */
  private beeTick(o: Obj): void {
    const rng = this.options.rng
    const here = o.parent!
    if (here.kind === "flower") {
      if (rng.int(2) === 0) this.collectPollen(o, here)
      else this.wander(o, here)
    } else if (rng.int(2) === 1) {
      const flowers = this.accessible(here).filter((c) => c.kind === "flower")
      if (flowers.length > 0) flowers[rng.int(flowers.length)]!.add(o)
    } else this.wander(o, here)
  }

  private wander(bee: Obj, here: Obj): void {
    if (here.kind === "room") {
      const doors = this.doorsOf(here).filter((d) => d.open)
      if (doors.length > 0) this.otherSide(doors[this.options.rng.int(doors.length)]!, here).add(bee)
      return
    }
    const room = here.room()
    if (here.open && room) room.add(bee)
  }

  private collectPollen(bee: Obj, flower: Obj): void {
    if (bee.children.filter((c) => c.kind === "pollen").length > 5) return
    const pollens = flower.children.filter((c) => c.kind === "pollen")
    if (pollens.length > 0) bee.add(pollens[this.options.rng.int(pollens.length)]!)
  }

  /** A plant's life stage tick (each stage keeps its own counters; see the original's plant life stages). */
  private plantTick(o: Obj): void {
    // the name follows the life stage of the previous tick ("plant" until the first tick, as created)
    o.name = o.plantName()
    const pot = o.parent
    if (!pot) return
    if (o.stage === "dead") {
      // a dead plant sheds what it holds; a flower's contents fall out and the flower goes
      for (const c of o.children.slice()) {
        if (c.kind === "flower") {
          for (const x of c.children.slice()) pot.add(x)
          this.destroy(c)
        } else pot.add(c)
      }
      return
    }
    const named = (n: string) => pot.children.find((c) => c.name === n)
    const toStage = (stage: PlantStage) => {
      o.stage = stage
      o.growTicks = 0
      o.noWater = 0
      o.noSoil = 0
      o.badTemp = 0
    }
    if (o.stage === "seed") {
      const water = named("water")
      if (!water || !named("soil")) return
      if (++o.growTicks >= 10) {
        this.destroy(water)
        toStage("seedling")
      }
      return
    }
    const seedling = o.stage === "seedling"
    const maxNoWater = seedling ? 20 : 50
    let stressed = false
    let sickly = false
    let died = false
    const water = named("water")
    if (water) {
      o.noWater = 0
      if (!seedling) this.destroy(water)
    } else {
      o.noWater++
      if (seedling) stressed = true
      if (o.noWater >= maxNoWater / 2) {
        sickly = true
        stressed = true
      }
      if (o.noWater >= maxNoWater) died = true
    }
    if (named("soil")) o.noSoil = 0
    else {
      stressed = true
      if (++o.noSoil >= 2) sickly = true
      if (o.noSoil >= 5) died = true
    }
    if (o.temperature >= 50 || o.temperature <= 0) {
      sickly = true
      if (++o.badTemp >= 5) died = true
    } else o.badTemp = 0
    o.sickly = sickly
    if (died) {
      toStage("dead")
      return
    }
    if (stressed) return
    o.growTicks++
    if (seedling && o.growTicks >= 10) {
      if (water) this.destroy(water)
      toStage("adult")
    } else if (o.stage === "adult" && o.growTicks >= 5) toStage("reproducing")
    else if (o.stage === "reproducing" && o.growTicks >= 5) {
      o.growTicks = 0
      if (!o.children.some((c) => c.kind === "flower")) {
        const f = new Obj("flower", "flower")
        f.container = true
        f.plantOf = o
        f.material = MATERIALS["plant matter"]
        f.state = "solid"
        this.spawn(f, o)
      }
    }
  }

  /** A flower grows its own pollen and is pollinated by another same-type plant's pollen (loose or on a bee); the fruit forms 5 ticks later. */
  private flowerTick(f: Obj): void {
    const plant = f.plantOf!
    if (f.pollinationStep > 0) {
      if (++f.pollinationStep > 5 && f.parent) {
        const host = f.parent
        this.spawn(makeObject(plant.species, []), host)
        for (const c of f.children.slice()) host.add(c)
        this.destroy(f)
      }
      return
    }
    if (!f.children.some((c) => c.kind === "pollen" && c.plantOf === plant)) {
      const p = new Obj("pollen", "pollen")
      p.plantOf = plant
      p.material = MATERIALS["plant matter"]
      p.state = "solid"
      this.spawn(p, f)
    }
    const pollinates = (p: Obj) => p.kind === "pollen" && p.plantOf !== plant && p.plantOf!.species === plant.species
    for (const c of f.children.slice()) {
      const hit = pollinates(c) ? c : c.children.find(pollinates)
      if (hit) {
        this.destroy(hit)
        f.pollinationStep = 1
        return
      }
    }
  }

  /** Pairwise heat exchange: container with each child, then every pair of children. */
  private conduction(o: Obj): void {
    const kids = o.children
    if (kids.length === 0) return
    if (o.material) for (const c of kids) if (c.material) exchange(o, c)
    for (let i = 1; i < kids.length; i++) {
      const a = kids[i]!
      if (!a.material) continue
      for (let j = 0; j < i; j++) {
        const b = kids[j]!
        if (b.material) exchange(a, b)
      }
    }
  }

  private combustion(o: Obj): void {
    const m = o.material
    if (o.burnLeft <= 0 && !o.burned && m && m.combustionPoint < 100000 && o.temperature >= m.combustionPoint) this.ignite(o)
    if (o.burnLeft <= 0) return
    if (m && o.temperature < m.combustionPoint + 200) o.temperature = m.combustionPoint + 200
    const parent = o.parent
    const waterNear = o.children.some((c) => c.name === "water" && c.state === "liquid") ||
      (parent !== undefined && parent.children.some((c) => c !== o && c.name === "water" && c.state === "liquid"))
    if (waterNear) {
      o.burnLeft = 0
      if (m) o.temperature = m.combustionPoint - 10
      return
    }
    o.burnLeft--
    if (o.burnLeft === 0) {
      o.burned = true
      const host = o.parent
      if (host) {
        for (const c of o.children.slice()) host.add(c)
        this.destroy(o)
        host.add(makeObject("ash", []))
      }
    }
  }

  private stateChange(o: Obj): void {
    const m = o.material
    if (!m || o.state === undefined) return
    const s: StateOfMatter = o.temperature < m.meltingPoint ? "solid" : o.temperature > m.boilingPoint ? "gas" : "liquid"
    if (s === o.state) return
    o.state = s
    if (m.stateNames) o.name = m.stateNames[s === "solid" ? 0 : s === "liquid" ? 1 : 2]
  }

  /** Sets an object on fire (lighter). */
  ignite(o: Obj): void {
    o.burnLeft = 100
  }
}

export type { PlantStage }
