/**
 * The ScienceWorld object tree: rooms, doors, the agent and every object in
 * them, and the per-tick behaviour (heat, combustion, state changes, life).
 */
import type { Rng } from "@eto/core/Random"
import { CYCLE_STAGES, DOORS, LOCATIONS, MATERIALS, type PlantStage, stageLength, type StateOfMatter } from "./catalog"
import type { LayoutNode } from "./data"
import { attachTerminals, electricalTick } from "./electricity"
import { multiline, Obj } from "./obj"
import { makeObject } from "./objects"

export * from "./obj"
export { makeObject } from "./objects"

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
    /** The agent or its inventory: a container that stays where it is, named and kinded alike. */
    const fixedContainer = (name: "agent" | "inventory", parent: Obj): Obj => {
      const o = new Obj(name, name)
      o.moveable = false
      o.container = true
      parent.add(o)
      return o
    }
    const build = (node: LayoutNode, parent: Obj): void => {
      if (node.name === "agent" || node.name === "inventory") {
        const o = fixedContainer(node.name, parent)
        if (node.name === "agent") agent = o
        else inventory = o
        for (const c of node.children) build(c, o)
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
    if (!agent) agent = fixedContainer("agent", this.rooms.get(startRoom)!)
    if (!inventory) inventory = fixedContainer("inventory", agent)
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
