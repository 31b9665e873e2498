/**
 * The expert: a planner over the game state that knows the goal (read from
 * the PDDL problem) and where everything is. It builds a short plan by
 * simulating candidate plans on a copy of the game (take the nearest suitable
 * object, heat / cool / clean it at an appliance, put it in a target
 * receptacle, or switch on the lamp while holding it) and keeps the shortest.
 *
 * So that its demonstrations read like a search rather than clairvoyance, a
 * fresh plan may first check a few other plausible receptacles (chosen and
 * counted by the seed, and only while the plan stays well inside the step
 * limit) before going to where the object really is. Every reply comes with a
 * "Thought:" written from a seeded choice of phrasings.
 *
 * The listed-search form (`makeExpert(..., { search: ... })`) never goes
 * where only the hidden state says a thing is: to find something it has not
 * seen it checks the receptacles that can hold it, skipping those it has
 * already seen into, and stops at the first that holds one. Its order: the
 * receptacle kinds that most often hold that kind of thing in the training
 * games first (a `SearchPrior`), within a kind the order of the first
 * observation's list. Every choice it makes then follows from the episode's
 * text and from what the training games show, so a model trained on its
 * episodes can make the same.
 *
 * Replies are a pure function of (seed, task, action history): the planner
 * replays the history and re-plans exactly where the history left its plan.
 */
import { Effect } from "effect"
import { formatReply, type PolicyRequest, type PolicyShape, Random } from "@eto/core"

type Rng = Random.Rng
import { Game } from "./Game"
import { type GoalSpec, goalSpec } from "./Goal"
import { receptaclesOf } from "./ModelView"

export interface Step {
  readonly cmd: string
  readonly thought: string
}

/** Typed reading of the facts the planner needs. */
class View {
  private readonly pid: ReadonlyMap<string, number>
  constructor(readonly game: Game) {
    this.pid = game.predId
  }
  private table(name: string) {
    return this.game.state.pos[this.pid.get(name)!]!
  }
  private n() {
    return this.game.state.n
  }
  private pairs(name: string): Array<[number, number]> {
    const n = this.n()
    return [...this.table(name).keys].sort((a, b) => a - b).map((k) => [Math.floor(k / n), k % n])
  }
  private firstArgs(name: string, second: number): Array<number> {
    const bucket = this.table(name).byArg[1]!.get(second)
    const n = this.n()
    return bucket === undefined ? [] : [...bucket].sort((a, b) => a - b).map((k) => Math.floor(k / n))
  }
  private secondArgs(name: string, first: number): Array<number> {
    const bucket = this.table(name).byArg[0]!.get(first)
    const n = this.n()
    return bucket === undefined ? [] : [...bucket].sort((a, b) => a - b).map((k) => k % n)
  }
  has1(name: string, a: number): boolean {
    return this.table(name).keys.has(a)
  }
  has2(name: string, a: number, b: number): boolean {
    return this.table(name).keys.has(a * this.n() + b)
  }
  constId(name: string): number {
    const i = this.game.rt.data.consts.indexOf(name)
    return i
  }
  name(id: number): string {
    return this.game.displayName(id)
  }
  agent(): number {
    return this.pairs("atlocation")[0]![0]
  }
  here(): number {
    return this.pairs("atlocation")[0]![1]
  }
  locOf(r: number): number {
    return this.secondArgs("receptacleatlocation", r)[0]!
  }
  receptacles(): Array<number> {
    return this.pairs("receptacleatlocation").map(([r]) => r)
  }
  receptaclesOfType(t: number): Array<number> {
    return this.firstArgs("receptacletype", t)
  }
  objects(): Array<number> {
    return this.pairs("objecttype").map(([o]) => o)
  }
  objectsOfType(t: number): Array<number> {
    return this.firstArgs("objecttype", t)
  }
  typeOfObject(o: number): number {
    return this.secondArgs("objecttype", o)[0] ?? -1
  }
  typeOfReceptacle(r: number): number {
    return this.secondArgs("receptacletype", r)[0] ?? -1
  }
  containers(o: number): Array<number> {
    return this.secondArgs("inreceptacle", o)
  }
  contents(r: number): Array<number> {
    return this.firstArgs("inreceptacle", r)
  }
  held(): number | undefined {
    return this.secondArgs("holds", this.agent())[0]
  }
  closed(r: number): boolean {
    return this.has1("openable", r) && !this.has1("opened", r)
  }
  canContain(r: number, o: number): boolean {
    return this.has2("cancontain", this.typeOfReceptacle(r), this.typeOfObject(o))
  }
  typeCanContain(rt: number, ot: number): boolean {
    return this.has2("cancontain", rt, ot)
  }
}

/** Base class name of an entity's display name ("cabinet 3" -> "cabinet"). */
const cls = (name: string) => name.replace(/ \d+$/, "")

/** Where an object gets the state a goal asks for, and the verb that does it. */
const APPLIANCE: Record<string, { verb: string; types: ReadonlyArray<string> }> = {
  ishot: { verb: "heat", types: ["microwavetype"] },
  iscool: { verb: "cool", types: ["fridgetype"] },
  isclean: { verb: "clean", types: ["sinkbasintype", "sinktype"] }
}

// ---------------------------------------------------------------------------
// Phrasings

const say = (rng: Rng, options: ReadonlyArray<string>, vars: Record<string, string>): string => {
  const text = rng.pick(options)
    .replace(/\{(\w+)\}/g, (_, k: string) => vars[k] ?? k)
    .replace(/\b([Aa]) (?=[aeiou])/g, "$1n ")
  return text.charAt(0).toUpperCase() + text.slice(1)
}

const P = {
  searchFirst: [
    "To solve the task, I need to find a {x} first. A {x} could be in {places}. I'll start with {r}.",
    "First I have to locate a {x}. Likely spots are {places}. Let me check {r}.",
    "I need a {x}. It might be in {places}. I'll look at {r} first.",
    "My first job is to find a {x}. Good places to look are {places}. Going to {r}."
  ],
  searchNext: [
    "There is no {x} here. Next I'll try {r}.",
    "No {x} in this spot. Let me check {r}.",
    "I don't see a {x} here, so I'll move on to {r}.",
    "Nothing useful here. The next place to look for a {x} is {r}."
  ],
  known: [
    "I need a {x}. I saw one at the {r} earlier, so I'll go there.",
    "I remember a {x} at the {r}. Let me go back for it.",
    "There was a {x} at the {r}. Heading there."
  ],
  openLook: [
    "The {r} is closed. I'll open it and look inside.",
    "The {r} is shut, so I need to open it first.",
    "I have to open the {r} to see what is in it."
  ],
  openPut: [
    "The {r} is closed. I'll open it so I can put the {o} inside.",
    "I need to open the {r} before putting the {o} in it.",
    "First I open the {r}."
  ],
  take: [
    "I found a {x}: {o}. I'll take it.",
    "There is {o} here. Let me pick it up.",
    "The {o} is right here. I'll grab it.",
    "Now I see {o}. Taking it."
  ],
  toAppliance: [
    "Now I have the {o}. Next I need to {verb} it, so I'll go to the {r}.",
    "With the {o} in hand, I should {verb} it with the {r}. Going there.",
    "The {o} needs to be {verbed} first. Let me go to the {r}."
  ],
  transform: [
    "I'm at the {r}. I'll {verb} the {o} now.",
    "Let me {verb} the {o} with the {r}.",
    "Time to {verb} the {o} using the {r}."
  ],
  toTarget: [
    "Now I need to put the {o} in/on a {t}. I'll go to {r}.",
    "Next I should bring the {o} to {r}.",
    "The {o} is ready. Let me take it to {r}."
  ],
  put: [
    "I'll put the {o} in/on the {r}.",
    "Now I can place the {o} in/on the {r}.",
    "Putting the {o} in/on the {r}."
  ],
  toLamp: [
    "I'm holding the {o}. Now I need a {l} to look at it under the light. I'll go to {r}.",
    "Next I need to find a {l} to examine the {o}. Let me go to {r}.",
    "With the {o} in hand, I should switch on a {l}. Going to {r}."
  ],
  lampSearchNext: [
    "There is no {l} here. Let me try {r}.",
    "No {l} at this spot. Next is {r}.",
    "I don't see a {l} here, so I'll check {r}."
  ],
  use: [
    "There is {l} here. I'll turn it on and look at the {o} under it.",
    "I found {l}. Let me switch it on.",
    "The {l} is here. Turning it on while holding the {o}."
  ],
  dropOff: [
    "I'm holding {o}, which I don't need. I'll put it in/on the {r}.",
    "The {o} is not what I need. Let me put it down in/on the {r}.",
    "I should free my hands first, so I'll put {o} in/on the {r}."
  ],
  dropGo: [
    "I need to free my hands. I'll take {o} to {r} and leave it there.",
    "The {o} is in my way. Let me go to {r} to put it down."
  ],
  secondObject: [
    "One {x} is in place. Now I need a second {x}.",
    "That's one {x} done. I still need another {x}.",
    "Good, one down. I need to find one more {x}."
  ]
}

// ---------------------------------------------------------------------------
// Planning

class Builder {
  readonly steps: Array<Step> = []
  v: View
  constructor(
    public sim: Game,
    readonly rng: Rng,
    readonly known: Set<number>,
    /** The listed search's order; undefined: the seeded search. */
    readonly listed?: ListedSearch | undefined
  ) {
    this.v = new View(sim)
  }

  /** An independent copy, to try an alternative from here. */
  fork(): Builder {
    const b = new Builder(this.sim.clone(), this.rng, new Set(this.known), this.listed)
    b.steps.push(...this.steps)
    return b
  }

  /** Takes over the state of a copy made by `fork`. */
  adopt(other: Builder): void {
    this.sim = other.sim
    this.v = other.v
    this.steps.length = 0
    this.steps.push(...other.steps)
    this.known.clear()
    for (const r of other.known) this.known.add(r)
  }

  /** Executes a command on the simulation; false when it is not admissible. */
  do(cmd: string, thought: string): boolean {
    if (!this.sim.applicable().has(cmd)) return false
    this.sim.step(cmd)
    this.steps.push({ cmd, thought })
    return true
  }

  goTo(r: number, thought: string): boolean {
    if (this.v.locOf(r) === this.v.here()) return true
    if (!this.do(`go to ${this.v.name(r)}`, thought)) return false
    if (!this.v.closed(r)) this.known.add(r)
    return true
  }

  openIfClosed(r: number, thought: string): boolean {
    if (!this.v.closed(r)) return true
    if (!this.do(`open ${this.v.name(r)}`, thought)) return false
    this.known.add(r)
    return true
  }
}

export interface PlanOptions {
  /** How many other plausible receptacles to check before each search ends. */
  readonly decoys: number
  /** Search in the listed order instead (decoys unused). */
  readonly listed?: ListedSearch | undefined
}

/**
 * How likely a receptacle of each type (PDDL constant, "drawertype") is to
 * hold a thing of each object type ("keychaintype") at the start of a set of
 * games: holdings per receptacle of that type.
 */
export type SearchPrior = ReadonlyMap<string, ReadonlyMap<string, number>>

/** The listed search of one episode: its receptacles in the first observation's order and the prior that ranks them. */
export interface ListedSearch {
  readonly receptacles: ReadonlyArray<number>
  readonly prior: SearchPrior
}

/** Over `games` in their start state: per object type and receptacle type, holdings per receptacle of that type. */
export const searchPrior = (games: Iterable<Game>): SearchPrior => {
  const counts = new Map<string, Map<string, number>>()
  const receptacles = new Map<string, number>()
  for (const game of games) {
    const v = new View(game)
    const consts = game.rt.data.consts
    for (const r of v.receptacles()) {
      const rt = consts[v.typeOfReceptacle(r)]
      if (rt !== undefined) receptacles.set(rt, (receptacles.get(rt) ?? 0) + 1)
    }
    for (const o of v.objects()) {
      const ot = consts[v.typeOfObject(o)]
      if (ot === undefined) continue
      const row = counts.get(ot) ?? new Map<string, number>()
      counts.set(ot, row)
      for (const r of v.containers(o)) {
        const rt = consts[v.typeOfReceptacle(r)]
        if (rt !== undefined) row.set(rt, (row.get(rt) ?? 0) + 1)
      }
    }
  }
  for (const row of counts.values()) for (const [rt, n] of row) row.set(rt, n / (receptacles.get(rt) ?? 1))
  return counts
}

/** The receptacles of `listed` in search order for object type `ot`: most often holding it first, then the listing's order. */
const searchOrder = (v: View, listed: ListedSearch, ot: number): ReadonlyArray<number> => {
  // receptacle types never change in a game, so an episode's order per object type is sorted once
  let orders = searchOrders.get(listed)
  if (orders === undefined) searchOrders.set(listed, (orders = new Map()))
  const known = orders.get(ot)
  if (known !== undefined) return known
  const consts = v.game.rt.data.consts
  const row = listed.prior.get(consts[ot] ?? "")
  const weight = (r: number) => row?.get(consts[v.typeOfReceptacle(r)] ?? "") ?? 0
  const order = listed.receptacles.map((r, i) => ({ r, i, w: weight(r) })).sort((a, b) => b.w - a.w || a.i - b.i).map((x) => x.r)
  orders.set(ot, order)
  return order
}

/** Search orders already sorted, per episode's listed search and object type. */
const searchOrders = new WeakMap<ListedSearch, Map<number, ReadonlyArray<number>>>()

const placesPhrase = (v: View, rng: Rng, typeOk: (rt: number) => boolean): string => {
  const classes: Array<string> = []
  for (const r of v.receptacles()) {
    const c = cls(v.name(r))
    if (typeOk(v.typeOfReceptacle(r)) && !classes.includes(c)) classes.push(c)
  }
  const picked = rng.shuffle(classes).slice(0, 4)
  if (picked.length === 0) return "the receptacles around"
  if (picked.length === 1) return `a ${picked[0]}`
  if (picked.length === 2) return `a ${picked[0]} or a ${picked[1]}`
  return picked.slice(0, -1).map((c) => `a ${c}`).join(", ") + `, or a ${picked[picked.length - 1]}`
}

/** Goes to each receptacle of `route` in turn and opens it if it is closed. */
const walk = (
  b: Builder,
  route: ReadonlyArray<number>,
  what: { x: string; ot: number },
  phr: { first: ReadonlyArray<string>; next: ReadonlyArray<string> },
  extraVars: Record<string, string>
): boolean => {
  const v = b.v
  const places = placesPhrase(v, b.rng, (rt) => v.typeCanContain(rt, what.ot))
  let first = true
  for (const r of route) {
    const vars = { x: what.x, r: v.name(r), places, ...extraVars }
    const thought = say(b.rng, first ? phr.first : phr.next, vars)
    first = false
    if (v.locOf(r) !== v.here() && !b.goTo(r, thought)) return false
    if (!b.openIfClosed(r, say(b.rng, P.openLook, { r: v.name(r) }))) return false
  }
  return true
}

/**
 * Goes to a receptacle holding `target`, checking up to `decoys` other plausible,
 * unvisited receptacles first. `what` names the thing searched for.
 */
const search = (
  b: Builder,
  source: number,
  what: { x: string; ot: number; isMatch: (r: number) => boolean },
  decoys: number,
  phr: { first: ReadonlyArray<string>; next: ReadonlyArray<string> },
  extraVars: Record<string, string> = {}
): boolean => {
  const v = b.v
  if (v.locOf(source) === v.here()) return b.openIfClosed(source, say(b.rng, P.openLook, { r: v.name(source) }))
  if (b.known.has(source)) {
    return b.goTo(source, say(b.rng, P.known, { x: what.x, r: v.name(source), ...extraVars })) &&
      b.openIfClosed(source, say(b.rng, P.openLook, { r: v.name(source) }))
  }
  if (b.listed !== undefined && b.listed.receptacles.includes(source)) return listedSearch(b, source, what, phr, extraVars)
  const candidates = b.rng.shuffle(
    v.receptacles().filter((r) =>
      r !== source && !b.known.has(r) && v.locOf(r) !== v.here() && v.locOf(r) !== v.locOf(source) &&
      v.typeCanContain(v.typeOfReceptacle(r), what.ot) && !what.isMatch(r)
    )
  )
  // decoys at distinct locations (the same location twice in a row would be a "Nothing happens.")
  const route: Array<number> = []
  const locs = new Set<number>([v.locOf(source)])
  for (const r of candidates) {
    if (route.length >= decoys) break
    if (locs.has(v.locOf(r))) continue
    locs.add(v.locOf(r))
    route.push(r)
  }
  route.push(source)
  return walk(b, route, what, phr, extraVars)
}

/**
 * The receptacles a listed search for a thing of `objectType` ("mugtype")
 * checks, in order, from a game's start (the names of those that can hold it).
 */
export const searchRoute = (game: Game, listed: ListedSearch, objectType: string): Array<string> => {
  const v = new View(game)
  const ot = v.constId(objectType)
  return searchOrder(v, listed, ot).filter((r) => v.typeCanContain(v.typeOfReceptacle(r), ot)).map((r) => v.name(r))
}

/**
 * The listed search for `source`: the receptacles that can hold the thing, in
 * search order (`searchOrder`), not yet seen into and not at a spot already
 * on the way, up to `source`. Fails when one of them holds a thing of the kind
 * searched for: a search in that order would stop there, and the plan for
 * the thing found there is the one to make.
 */
const listedSearch = (
  b: Builder,
  source: number,
  what: { x: string; ot: number; isMatch: (r: number) => boolean },
  phr: { first: ReadonlyArray<string>; next: ReadonlyArray<string> },
  extraVars: Record<string, string>
): boolean => {
  const v = b.v
  const route: Array<number> = []
  const spots = new Set<number>([v.here()])
  for (const r of searchOrder(v, b.listed!, what.ot)) {
    if (r === source) break
    if (b.known.has(r) || !v.typeCanContain(v.typeOfReceptacle(r), what.ot)) continue
    if (what.isMatch(r)) return false
    if (spots.has(v.locOf(r))) continue
    spots.add(v.locOf(r))
    route.push(r)
  }
  route.push(source)
  return walk(b, route, what, phr, extraVars)
}

/** Puts down a held object that the goal does not need. */
const dropOff = (b: Builder, o: number): boolean => {
  const v = b.v
  const here = v.receptacles().filter((r) => v.locOf(r) === v.here() && !v.closed(r) && v.canContain(r, o))
  if (here.length > 0) return b.do(`put ${v.name(o)} in/on ${v.name(here[0]!)}`, say(b.rng, P.dropOff, { o: v.name(o), r: v.name(here[0]!) }))
  const open = v.receptacles().filter((r) => !v.closed(r) && v.canContain(r, o))
  const any = open.length > 0 ? open : v.receptacles().filter((r) => v.canContain(r, o))
  if (any.length === 0) return false
  const r = any[0]!
  return b.goTo(r, say(b.rng, P.dropGo, { o: v.name(o), r: v.name(r) })) &&
    b.openIfClosed(r, say(b.rng, P.openPut, { r: v.name(r), o: v.name(o) })) &&
    b.do(`put ${v.name(o)} in/on ${v.name(r)}`, say(b.rng, P.dropOff, { o: v.name(o), r: v.name(r) }))
}

/** Gets object `o` into the hands (dropping anything else first). */
const fetch = (b: Builder, o: number, x: string, ot: number, decoys: number): boolean => {
  const v = b.v
  const h = v.held()
  if (h === o) return true
  if (h !== undefined && !dropOff(b, h)) return false
  const sources = v.containers(o)
  if (sources.length === 0) return false
  const atHere = sources.filter((r) => v.locOf(r) === v.here())
  const source = atHere[0] ?? sources[0]!
  const isMatch = (r: number) => v.contents(r).some((c) => v.typeOfObject(c) === ot)
  if (!search(b, source, { x, ot, isMatch }, decoys, { first: P.searchFirst, next: P.searchNext })) return false
  return b.do(`take ${v.name(o)} from ${v.name(source)}`, say(b.rng, P.take, { x, o: v.name(o) }))
}

const transform = (b: Builder, o: number, state: string, choice: number): boolean => {
  const v = b.v
  const spec = APPLIANCE[state]
  if (spec === undefined) return false
  if (v.has1(state, o)) return true
  const apps = spec.types.flatMap((t) => {
    const id = v.constId(t)
    return id < 0 ? [] : v.receptaclesOfType(id)
  })
  if (apps.length === 0) return false
  const atHere = apps.filter((r) => v.locOf(r) === v.here())
  const a = atHere[0] ?? apps[choice % apps.length]!
  const verbed = spec.verb === "heat" ? "heated" : spec.verb === "cool" ? "cooled" : "cleaned"
  const vars = { o: v.name(o), r: v.name(a), verb: spec.verb, verbed }
  return b.goTo(a, say(b.rng, P.toAppliance, vars)) &&
    b.do(`${spec.verb} ${v.name(o)} with ${v.name(a)}`, say(b.rng, P.transform, vars))
}

const place = (b: Builder, o: number, t: number, tname: string): boolean => {
  const v = b.v
  const vars = { o: v.name(o), r: v.name(t), t: tname }
  return b.goTo(t, say(b.rng, P.toTarget, vars)) &&
    b.openIfClosed(t, say(b.rng, P.openPut, vars)) &&
    b.do(`put ${v.name(o)} in/on ${v.name(t)}`, say(b.rng, P.put, vars))
}

/** Builds one candidate plan on a fresh copy of the game; undefined if it fails. */
type Attempt = (b: Builder) => boolean

const tryPlan = (game: Game, rng: Rng, known: ReadonlySet<number>, attempt: Attempt, listed?: ListedSearch): Array<Step> | undefined => {
  const b = new Builder(game.clone(), rng, new Set(known), listed)
  if (!attempt(b) || !b.sim.won) return undefined
  return b.steps
}

const typeName = (v: View, t: number) => v.game.rt.data.consts[t]!.replace(/type$/, "")

/** Candidate attempts for the goal in the current state. */
const attempts = (game: Game, goal: GoalSpec, decoys: number): Array<Attempt> => {
  const v = new View(game)
  const ot = v.constId(goal.objectType)
  if (ot < 0) return []
  const x = typeName(v, ot)
  const objects = v.objectsOfType(ot).filter((o) => v.has1("pickupable", o))
  const held = v.held()
  const out: Array<Attempt> = []
  if (goal.lampType !== undefined) {
    const lt = v.constId(goal.lampType)
    if (lt < 0) return []
    const l = typeName(v, lt)
    const lamps = v.objectsOfType(lt).filter((o) => v.has1("toggleable", o))
    const objs = held !== undefined && v.typeOfObject(held) === ot ? [held] : objects
    for (const o of objs) {
      for (const lamp of lamps) {
        out.push((b) => {
          if (!fetch(b, o, x, ot, decoys)) return false
          const bv = b.v
          const sources = bv.containers(lamp)
          if (sources.length === 0) return false
          const source = sources.find((r) => bv.locOf(r) === bv.here()) ?? sources[0]!
          const isMatch = (r: number) => bv.contents(r).some((c) => bv.typeOfObject(c) === lt)
          const ok = search(b, source, { x: l, ot: lt, isMatch }, decoys, { first: P.toLamp, next: P.lampSearchNext }, { o: bv.name(o), l })
          return ok && b.do(`use ${bv.name(lamp)}`, say(b.rng, P.use, { l: bv.name(lamp), o: bv.name(o) }))
        })
      }
    }
    return out
  }
  if (goal.receptacleType === undefined) return []
  const rt = v.constId(goal.receptacleType)
  if (rt < 0) return []
  const tname = typeName(v, rt)
  const targets = v.receptaclesOfType(rt).filter((r) => v.typeCanContain(rt, ot))
  const orderByHeld = (list: Array<number>) => (held !== undefined && list.includes(held) ? [held, ...list.filter((o) => o !== held)] : list)
  for (const t of targets) {
    const already = v.contents(t).filter((o) => v.typeOfObject(o) === ot && (goal.state === undefined || v.has1(goal.state, o)))
    const need = goal.count - already.length
    if (need <= 0) continue
    const pool = orderByHeld(objects.filter((o) => !already.includes(o)))
    for (const first of pool) {
      out.push((b) => {
        const placed: Array<number> = []
        const deliver = (d: Builder, o: number, decoysHere: number) =>
          fetch(d, o, x, ot, decoysHere) &&
          (goal.state === undefined || transform(d, o, goal.state, 0)) &&
          place(d, o, t, tname)
        for (let k = 0; k < need; k++) {
          if (k === 0) {
            if (!deliver(b, first, decoys)) return false
            placed.push(first)
          } else {
            // the next object: whichever remaining one gives the shortest continuation
            let best: Builder | undefined
            let bestObj = -1
            for (const o of pool) {
              if (placed.includes(o) || b.v.contents(t).includes(o)) continue
              const d = b.fork()
              if (deliver(d, o, Math.min(decoys, 1)) && (best === undefined || d.steps.length < best.steps.length)) {
                best = d
                bestObj = o
              }
            }
            if (best === undefined) return false
            b.adopt(best)
            placed.push(bestObj)
          }
          if (k + 1 < need && b.steps.length > 0) {
            const last = b.steps[b.steps.length - 1]!
            b.steps[b.steps.length - 1] = { cmd: last.cmd, thought: `${last.thought} ${say(b.rng, P.secondObject, { x })}` }
          }
        }
        return true
      })
    }
  }
  return out
}

/** The shortest plan found for the current state (ties broken by the generator). */
export const makePlan = (game: Game, goal: GoalSpec, rng: Rng, known: ReadonlySet<number>, options: PlanOptions): Array<Step> | undefined => {
  let best: Array<Step> | undefined
  let bestIndex = -1
  const cands = attempts(game, goal, 0)
  const order = rng.shuffle(cands.map((_, i) => i))
  for (const i of order) {
    const plan = tryPlan(game, rng.fork(i), known, cands[i]!, options.listed)
    if (plan !== undefined && (best === undefined || plan.length < best.length)) {
      best = plan
      bestIndex = i
    }
  }
  if (best === undefined || options.decoys <= 0 || options.listed !== undefined) return best
  // the chosen plan again, with a look at other plausible places while searching
  const withDecoys = attempts(game, goal, options.decoys)[bestIndex]
  const plan = withDecoys === undefined ? undefined : tryPlan(game, rng.fork(`d${bestIndex}`), known, withDecoys)
  return plan ?? best
}

// ---------------------------------------------------------------------------
// The policy

export interface ExpertGames {
  /** A fresh game for a task id, or undefined. */
  newGame(taskId: string): Game | undefined
  readonly maxSteps: number
}

/** Follows one episode: replays its actions and keeps the current plan. */
class Tracker {
  readonly history: Array<string> = []
  readonly known = new Set<number>()
  plan: Array<Step> | undefined
  cursor = 0
  readonly goal: GoalSpec | undefined

  constructor(
    readonly game: Game,
    readonly seed: number,
    readonly taskId: string,
    readonly maxSteps: number,
    /** The listed search, or undefined. */
    readonly listed?: ListedSearch | undefined
  ) {
    this.goal = goalSpec(game.rt.data)
  }

  /** The step the expert takes now. */
  decide(): Step {
    const planned = this.plan?.[this.cursor]
    if (planned !== undefined && this.game.applicable().has(planned.cmd)) return planned
    this.plan = this.replan()
    this.cursor = 0
    return this.plan[0]!
  }

  private replan(): Array<Step> {
    const rng = Random.make(`alfworld-expert|${this.seed}|${this.taskId}|${this.history.join("|")}`)
    if (this.game.won) return [{ cmd: "look", thought: "The task is done." }]
    if (this.goal !== undefined) {
      // a fresh start may look around a little; a recovery goes straight to the goal
      const budget = this.maxSteps - this.history.length
      const roll = rng.next()
      const wanted = this.history.length === 0 ? (roll < 0.1 ? 0 : roll < 0.3 ? 1 : roll < 0.6 ? 2 : roll < 0.85 ? 3 : 4) : 0
      if (this.listed !== undefined) {
        const listed = makePlan(this.game, this.goal, rng.fork("direct"), this.known, { decoys: 0, listed: this.listed })
        if (listed !== undefined) return listed
      }
      const direct = makePlan(this.game, this.goal, rng.fork("direct"), this.known, { decoys: 0 })
      if (direct !== undefined) {
        let decoys = wanted
        while (decoys > 0 && direct.length + 4 * decoys > budget - 10) decoys--
        if (decoys === 0) return direct
        const plan = makePlan(this.game, this.goal, rng.fork("search"), this.known, { decoys })
        if (plan !== undefined && plan.length <= budget - 6) return plan
        return direct
      }
    }
    // no plan: look around (this should not happen on the games of the data set)
    const cmds = this.game.commands().filter((c) => c.startsWith("go to ") || c.startsWith("open "))
    const cmd = cmds.length > 0 ? rng.pick(cmds) : "look"
    return [{ cmd, thought: "I am not sure what to do next, so I'll explore." }]
  }

  advance(action: string): void {
    if (this.plan === undefined || this.plan[this.cursor]?.cmd !== action) {
      // off the plan: make the decision the expert would have made here, then compare
      this.decide()
    }
    const following = this.plan !== undefined && this.plan[this.cursor]?.cmd === action
    const g = this.game.applicable().get(action.trim())
    this.game.step(action)
    if (g !== undefined) {
      const name = action.trim()
      const m = /^(?:go to|open|examine) (.+)$/.exec(name)
      if (m !== null) {
        const id = this.game.rt.data.names.indexOf(m[1]!)
        const v = new View(this.game)
        if (id >= 0 && !v.closed(id)) this.known.add(id)
      }
    }
    this.history.push(action)
    if (following) this.cursor++
    else this.plan = undefined
  }
}

export interface ExpertOptions {
  /** Search in the listed order, ranked by this prior (see the module comment); absent: the seeded search. */
  readonly searchPrior?: SearchPrior | undefined
}

/** The receptacle ids of a game in the order `initialObservation` lists them (names the game lacks are left out). */
export const listedReceptacles = (game: Game, initialObservation: string): Array<number> =>
  receptaclesOf(initialObservation).map((name) => game.rt.data.names.indexOf(name)).filter((id) => id >= 0)

/** The expert policy over a set of games. */
export const makeExpert = (games: ExpertGames, seed: number, options: ExpertOptions = {}): PolicyShape => {
  const trackers = new Map<string, Array<Tracker>>()
  const LIMIT = 512
  let count = 0
  const trackerFor = (req: PolicyRequest): Tracker | undefined => {
    const actions = req.turns.map((t) => t.action)
    const list = trackers.get(req.task.id) ?? []
    let best: Tracker | undefined
    for (const t of list) {
      if (t.history.length > actions.length) continue
      let prefix = true
      for (let i = 0; i < t.history.length; i++) if (t.history[i] !== actions[i]) { prefix = false; break }
      if (prefix && (best === undefined || t.history.length > best.history.length)) best = t
    }
    if (best === undefined) {
      const game = games.newGame(req.task.id)
      if (game === undefined) return undefined
      if (count >= LIMIT) {
        trackers.clear()
        count = 0
      }
      const listed = options.searchPrior === undefined
        ? undefined
        : { receptacles: listedReceptacles(game, req.initialObservation), prior: options.searchPrior }
      best = new Tracker(game, seed, req.task.id, games.maxSteps, listed)
      list.push(best)
      trackers.set(req.task.id, list)
      count++
    }
    for (let i = best.history.length; i < actions.length; i++) best.advance(actions[i]!)
    return best
  }
  return {
    name: "expert",
    act: (requests) =>
      Effect.sync(() =>
        requests.map((req) => {
          const tracker = trackerFor(req)
          if (tracker === undefined) return formatReply("This task is unknown to me.", "look")
          const step = tracker.decide()
          return formatReply(step.thought, step.cmd)
        })
      )
  }
}
