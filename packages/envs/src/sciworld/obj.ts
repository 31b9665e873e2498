/**
 * One object of the world (name, kind, properties, life and electrical state)
 * and how it is described in listings and when looked at.
 */
import { animalDisplayName, BOOK_AUTHORS, type Cycle, type Material, type StateOfMatter } from "./catalog"
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

/** A temperature rounded as Java's "%.0f" does (half away from zero). */
export const degrees = (t: number): string => {
  const r = Math.round(Math.abs(t))
  return t < 0 ? `-${r}` : String(r)
}

/** Collapses runs of spaces and trims, as the original does with every reply. */
export const clean = (text: string): string => text.replace(/ {2,}/g, " ").trim()
