/**
 * Circuits: terminals with one connection each, generators that label their
 * anode "9" and cathode "0 (ground)", consumers that light when their anode
 * reaches ground and their cathode touches voltage, and conductors (wires,
 * switches that are on, conductive materials) that pass voltage on one hop per
 * tick.
 */
import { Obj, type World } from "./world"

export const VOLTAGE = "9"
export const GROUND = "0 (ground)"

const POLARIZED = new Set(["bulb", "battery", "generator", "switch"])

export const isPolarized = (o: Obj): boolean => POLARIZED.has(o.kind)
export const isGenerator = (o: Obj): boolean => o.kind === "battery" || o.kind === "generator"
export const isConsumer = (o: Obj): boolean => o.kind === "bulb"

/** Gives every object its two terminals (anode/cathode on polarized parts). */
export const attachTerminals = (o: Obj): void => {
  if (o.terminals.length > 0 || o.kind === "room" || o.kind === "agent" || o.kind === "inventory" || o.kind === "universe") return
  const names = isPolarized(o) ? ["anode", "cathode"] : ["terminal 1", "terminal 2"]
  for (const n of names) {
    const t = new Obj(n, "terminal")
    t.terminalOf = o
    t.moveable = false
    t.hidden = o.kind !== "wire" && !isPolarized(o)
    o.terminals.push(t)
  }
}

/** Whether a generator produces power now. */
export const generating = (g: Obj, world: World): boolean => {
  if (g.kind === "battery") return true
  if (g.name === "solar panel" || g.name === "wind generator") return g.room() === world.room("outside")
  return g.on
}

const conducts = (p: Obj): boolean => {
  if (p.kind === "wire" || isConsumer(p)) return true
  if (p.kind === "switch") return p.on
  if (isGenerator(p)) return false
  return p.material?.electricallyConductive === true
}

const otherTerminal = (t: Obj): Obj => {
  const ts = t.terminalOf!.terminals
  return ts[0] === t ? ts[1]! : ts[0]!
}

/** Whether a terminal reaches a generator's ground through its connection chain. */
export const connectsToGround = (t: Obj, depth = 0): boolean => {
  if (depth > 10) return false
  const u = t.connection
  if (!u) return false
  const p = u.terminalOf!
  if (isGenerator(p)) return p.terminals[1] === u
  if (!conducts(p)) return false
  return connectsToGround(otherTerminal(u), depth + 1)
}

const connectsToVoltage = (t: Obj): boolean => t.connection !== undefined && t.connection.voltage === VOLTAGE

/** One part's electrical update (called when the part ticks). */
export const electricalTick = (p: Obj, world: World): void => {
  const [a, b] = p.terminals
  if (!a || !b) return
  if (isGenerator(p)) {
    const on = generating(p, world)
    if (p.kind === "generator") p.on = on
    a.voltage = on ? VOLTAGE : ""
    b.voltage = on ? GROUND : ""
    return
  }
  if (isConsumer(p)) {
    p.on = false
    a.voltage = ""
    b.voltage = ""
    if (connectsToGround(a) && connectsToVoltage(b)) {
      p.on = true
      a.voltage = VOLTAGE
    }
    return
  }
  a.voltage = ""
  b.voltage = ""
  if (!conducts(p)) return
  if (connectsToGround(a) && connectsToVoltage(b)) a.voltage = VOLTAGE
  else if (connectsToGround(b) && connectsToVoltage(a)) b.voltage = VOLTAGE
  if (p.kind === "wire") p.on = a.voltage === VOLTAGE || b.voltage === VOLTAGE
}

/** Parts reachable from a part through connections (any parts, any direction). */
export const connectedParts = (start: Obj): Set<Obj> => {
  const seen = new Set<Obj>([start])
  const queue = [start]
  while (queue.length > 0) {
    const p = queue.shift()!
    for (const t of p.terminals) {
      const q = t.connection?.terminalOf
      if (q && !seen.has(q)) {
        seen.add(q)
        queue.push(q)
      }
    }
  }
  return seen
}

/** Some wire in the agent's location has one end on `a` (a predicate) and the other on `b`. */
export const wireConnects = (world: World, a: (o: Obj) => boolean, b: (o: Obj) => boolean): boolean => {
  for (const w of world.findAll((o) => o.kind === "wire", world.agentRoom())) {
    const [x, y] = w.terminals.map((t) => t.connection?.terminalOf)
    if (x && y && ((a(x) && b(y)) || (a(y) && b(x)))) return true
  }
  return false
}

export const disconnectAll = (o: Obj): boolean => {
  let any = false
  for (const t of o.terminals) {
    if (t.connection) {
      t.connection.connection = undefined
      t.connection = undefined
      any = true
    }
  }
  return any
}

/** `connect X to Y`. */
export const connect = (x: Obj, y: Obj): string => {
  const pick = (o: Obj): Obj | string => {
    if (o.kind === "terminal") return o
    if (o.terminals.length === 0) return "It's not clear how to connect that."
    if (isPolarized(o)) return "Connections must specify specific points of contact on polarized electrical components (e.g. anode, cathode)"
    const free = o.terminals.find((t) => t.connection === undefined)
    return free ?? `${o.terminals[0]!.name} on ${o.name} is already connected, and must be disconnected before it can be connected to something else`
  }
  const tx = pick(x)
  if (typeof tx === "string") return tx
  const ty = pick(y)
  if (typeof ty === "string") return ty
  if (tx.terminalOf === ty.terminalOf) return "Something can't be connected to itself."
  for (const t of [tx, ty]) {
    if (t.connection) return `${t.name} on ${t.terminalOf!.name} is already connected, and must be disconnected before it can be connected to something else`
  }
  tx.connection = ty
  ty.connection = tx
  return `${tx.name} on ${tx.terminalOf!.name} is now connected to ${ty.name} on ${ty.terminalOf!.name}`
}

export const disconnect = (x: Obj): string => {
  if (x.kind === "terminal") return `You must disconnect entire objects (such as ${x.terminalOf!.name}) instead of just single terminals`
  disconnectAll(x)
  return `${x.name} has been disconnected`
}
