/**
 * One running simulation: parses commands, runs actions, advances time and
 * keeps the score (the simulator's side of an episode).
 */
import { PAINT_MIXES, RECIPES } from "./catalog"
import { connect, disconnect, disconnectAll } from "./electricity"
import { GoalTracker, type SequentialGoal, type UnorderedGoal } from "./goals"
import { ambiguityPrompt, parse, type ParsedAction } from "./parser"
import { clean, cursory, degrees, detailed, lookAround, makeObject, multiline, type Obj, type World } from "./world"

export const UNKNOWN_ACTION =
  "Unknown action.  Type 'help' for a list of actions, and 'objects' for a list of possible object referents."
export const NO_MATCH = "No known action matches that input."

/** Paints the original's mixing looks up by name ("yellow-green" is looked up as "green-yellow", so it never counts). */
const PAINT_COUNTED = new Set(
  ["red", "blue", "yellow", "violet", "green", "orange", "yellow-orange", "red-orange", "violet-red", "blue-violet", "green-blue", "brown"].map((c) => `${c} paint`)
)

export interface GameSpec {
  readonly world: World
  readonly description: string
  readonly sequential: ReadonlyArray<SequentialGoal>
  readonly unordered: ReadonlyArray<UnorderedGoal>
  readonly electrical: boolean
}

export interface GameStep {
  readonly observation: string
  readonly score: number
  readonly ticked: boolean
  readonly parsed: boolean
}

export class Game {
  readonly world: World
  readonly goals: GoalTracker
  pending: ReadonlyArray<ParsedAction> | undefined = undefined
  private waitLeft = 0

  constructor(readonly spec: GameSpec) {
    this.world = spec.world
    this.goals = new GoalTracker(spec.sequential, spec.unordered)
    this.goals.check(this.world)
  }

  get score(): number {
    return this.goals.score()
  }

  get completed(): boolean {
    return this.goals.completed
  }

  get failed(): boolean {
    return this.goals.failed
  }

  /** One agent command. */
  step(input: string): GameStep {
    if (this.pending !== undefined) {
      const options = this.pending
      this.pending = undefined
      const text = input.trim()
      const n = /^\d+$/.test(text) ? Number(text) : -1
      if (n >= 0 && n < options.length) return this.run(options[n]!)
      this.advance(true)
      return { observation: UNKNOWN_ACTION, score: this.score, ticked: true, parsed: true }
    }
    const { matches } = parse(input, this.world, this.spec.electrical)
    if (matches.length === 0) return { observation: NO_MATCH, score: this.score, ticked: false, parsed: false }
    if (matches.length > 1) {
      this.pending = matches
      return { observation: ambiguityPrompt(matches, this.world), score: this.score, ticked: false, parsed: true }
    }
    return this.run(matches[0]!)
  }

  /** Runs one resolved action. */
  run(action: ParsedAction): GameStep {
    const free = action.action === "look around" || action.action === "inventory" || action.action === "task"
    let reply = this.execute(action)
    if (free) {
      // the original's step loop checks the goals before and after the (skipped) tick
      this.goals.check(this.world)
      this.goals.check(this.world)
    } else {
      this.advance(true)
    }
    reply = clean(reply)
    return { observation: reply === "" ? UNKNOWN_ACTION : reply, score: this.score, ticked: !free, parsed: true }
  }

  private advance(timeTaking: boolean): void {
    this.goals.check(this.world)
    if (!timeTaking) return
    this.world.tick()
    this.goals.check(this.world)
    while (this.waitLeft > 0) {
      this.waitLeft--
      this.goals.check(this.world)
      this.world.tick()
      this.goals.check(this.world)
    }
  }

  // -------------------------------------------------------------------------
  // Actions

  private execute(a: ParsedAction): string {
    const [x, y] = a.objects
    const w = this.world
    switch (a.action) {
      case "look around":
        return lookAround(w.agentRoom(), w)
      case "inventory":
        return "In your inventory, you see:\n" + multiline(w.inventory.children, true)
      case "task":
        return `Task Description:\n${this.spec.description}`
      case "look at":
        w.pastActions.push(`look at:${x!.name}`)
        return x!.kind === "room" ? lookAround(x!, w) : detailed(x!)
      case "look in":
        return this.lookIn(x!)
      case "open":
        return this.openClose(x!, true)
      case "close":
        return this.openClose(x!, false)
      case "activate":
        return this.activate(x!, true)
      case "deactivate":
        return this.activate(x!, false)
      case "move":
        return this.move(x!, y!)
      // as in the original, pick up and put down run as moves into the inventory / the agent's room;
      // their refusals ("already in the inventory") only filter the valid-action list
      case "pick up":
        return this.move(x!, w.inventory)
      case "put down":
        return this.move(x!, w.agentRoom())
      case "pour":
        return this.pour(x!, y!)
      case "dunk":
        return this.dunk(x!, y!)
      case "mix":
        return this.mix(x!)
      case "use":
        w.pastActions.push(`use:${x!.name}:${y!.name}`)
        return this.use(x!, y!)
      case "read":
        w.pastActions.push(`read:${x!.name}`)
        if (x!.kind === "recipe") return x!.text
        if (x!.kind === "book") return `The book reads:\n${x!.text}`
        if (x!.kind === "paper") return "The paper does not have any text on it."
        return "It's not clear how to read that."
      case "eat":
        // foods, fruits and (fruit tree or pea) seeds are edible
        if (x!.kind === "fruit" || x!.kind === "food" || (x!.kind === "plant" && x!.stage === "seed")) {
          w.destroy(x!)
          return `The ${x!.name} was delicious.`
        }
        return `The ${x!.name} is not edible.`
      case "flush":
        if (x!.kind !== "toilet") return "It's not clear how to flush that."
        if (x!.on) return "That is already flushing."
        x!.on = true
        return `The ${x!.name} is now flushing.`
      case "focus":
        this.goals.focus = x!
        return `You focus on the ${x!.descName()}.`
      case "reset task":
        this.goals.reset()
        return "You reset the goal progress and focus."
      case "connect":
        return connect(x!, y!)
      case "disconnect":
        return disconnect(x!)
      case "wait":
        this.waitLeft = 10
        return "You decide to wait for 10 iterations."
      case "wait1":
        this.waitLeft = 1
        return "You decide to wait for 1 iterations."
      case "go":
        return this.go(x!)
      case "teleport":
        if (x!.kind !== "room") return `Its not clear how to go to ${x!.name}.`
        x!.add(w.agent)
        return `You teleport to the ${x!.name}.`
    }
  }

  private lookIn(x: Obj): string {
    if (!x.container) return "It's not clear how to look inside of that."
    if (!x.open) return `The ${x.name} isn't open, so you can't see inside.`
    // hidden terminals make every container non-empty in the original, so an empty one lists "nothing"
    const portals = x.portals.length === 0 ? "" : ` You also see: ${x.portals.map((d) => cursory(d)).join(", ")}.`
    return `Inside the ${x.name} is: \n${multiline(x.children)}\n${portals}`
  }

  private openClose(x: Obj, open: boolean): string {
    if (!x.closable) return open ? `The ${x.name} is not openable.` : `The ${x.name} is not closeable.`
    if (x.open === open) return `The ${x.name} is already ${open ? "open" : "closed"}.`
    x.open = open
    return `The ${x.name} is now ${open ? "open" : "closed"}.`
  }

  private activate(x: Obj, on: boolean): string {
    if (!x.activable) return `The ${x.name} is not something that can be ${on ? "activated" : "deactivated"}.`
    if (x.broken) return `The ${x.name} appears broken, and can't be activated or deactivated.`
    if (x.on === on) return `The ${x.name} is already ${on ? "activated" : "deactivated"}.`
    x.on = on
    return `The ${x.name} is now ${on ? "activated" : "deactivated"}.`
  }

  private move(x: Obj, y: Obj): string {
    if (!x.moveable) return `The ${x.name} is not moveable.`
    if (y === x) return "You can't move something into itself."
    if (x.material && x.state === "liquid") {
      return "You can't pick up a liquid directly.  Try pouring it from one container to another, or dunking empty containers into containers filled with the liquid."
    }
    if (x.material && x.state === "gas") return "You can't pick up a gas directly."
    if (!y.container) return "That can't be moved there."
    if (!y.open) return `That can't be moved there, because the ${y.name} isn't open.`
    // the original would nest a container inside its own contents; this engine refuses
    if (y.isInside(x)) return "You can't move something into itself."
    const wired = disconnectAll(x)
    y.add(x)
    return `${wired ? `(disconnecting ${x.name})` : ""}You move the ${x.name} to the ${y.name}.`
  }

  private pour(x: Obj, y: Obj): string {
    const outOf = x.container
    if (!x.moveable) return `The ${x.name} is not moveable.`
    if (!outOf) {
      const holder = x.parent
      if (!holder) return `The ${x.name} can't be poured out because it doesn't appear to be in a container.`
      if (!holder.moveable) return `The ${holder.name} the ${x.name} is in is not movable.`
      if (x.material && x.state === "solid") return "I'm not sure how to pour a solid. "
      if (x.material && x.state === "gas") return "You can't pour a gas directly. "
    } else if (!x.open) return `The ${x.name} can't be poured out, because it's not open.`
    if (!y.container) return "That can't be moved there, because it's not a container."
    if (!y.open) return `That can't be moved there, because the ${y.name} isn't open.`
    // (the original's "is empty, so there's nothing to pour" never shows: every object holds its two hidden terminals)
    if (y === x || y.isInside(x)) return "You can't move something into itself."
    let notes = ""
    if (outOf) {
      for (const c of x.children.slice()) {
        if (!c.moveable) continue
        y.add(c)
        if (disconnectAll(c)) notes += `(disconnecting ${c.name})\n`
      }
      return `${notes}You pour the contents of the ${x.name} into the ${y.name}.`
    }
    y.add(x)
    if (disconnectAll(x)) notes = `(disconnecting ${x.name})\n`
    return `${notes}You pour the ${x.name} into the ${y.name}.`
  }

  /** `dunk X in Y`: X, a movable open container, takes every movable liquid out of Y. */
  private dunk(x: Obj, y: Obj): string {
    if (x === y) return "You can't dunk something into itself."
    if (!x.moveable) return `The ${x.name} is not moveable.`
    if (x.container && !x.open) return `The ${x.name} is not open.`
    if (!x.container) return `The ${x.name} is not a container.`
    const liquids = y.visible().filter((c) => c.material !== undefined && c.state === "liquid")
    if (liquids.length === 0) return `The ${y.name} does not contain any liquids to dunk into.`
    const movable = liquids.filter((c) => c.moveable)
    if (movable.length === 0) return `The liquids in ${y.name} aren't able to move.`
    let notes = ""
    for (const l of movable) {
      x.add(l)
      if (disconnectAll(l)) notes += `(disconnecting ${l.name})`
    }
    return `${notes}You dunk the ${x.name} in the ${y.name}, moving the liquids (${movable.map((l) => l.name).join(", ")}) to the ${x.name}.`
  }

  /** `mix X`: recipes over exactly the visible contents, then paints (two by rule, two to four of different colours to brown). */
  private mix(x: Obj): string {
    const w = this.world
    const items = x.visible()
    if (items.length === 0) return "That container is empty, so there are no items to mix."
    if (items.length === 1) return `There is only one thing (${items[items.length - 1]!.descName()})`
    // water must be liquid and sodium chloride solid to count, as in the original's ingredient lookup
    const key = (o: Obj) =>
      (o.name === "water" && o.state !== "liquid") || (o.name === "sodium chloride" && o.state !== "solid") ? "" : o.name
    const names = items.map(key).sort()
    for (const r of RECIPES) {
      const want = [...r.inputs].sort()
      if (want.length === names.length && want.every((n, i) => n === names[i])) {
        for (const o of items) w.destroy(o)
        x.add(makeObject(r.product, []))
        return r.reply
      }
    }
    const colour = (o: Obj) => (o.kind === "paint" && o.state === "liquid" && PAINT_COUNTED.has(o.name) ? o.name.replace(/ paint$/, "") : undefined)
    const colours = [...new Set(items.map(colour).filter((c): c is string => c !== undefined))]
    if (colours.length === items.length && items.length <= 4) {
      let product = "brown"
      let reply = "The paints mix to produce brown paint."
      if (colours.length === 2) {
        for (const m of PAINT_MIXES) {
          if (colours.includes(m.a) && colours.includes(m.b)) {
            product = m.product
            reply = m.reply
            break
          }
        }
      }
      for (const o of items) w.destroy(o)
      x.add(makeObject(`${product} paint`, []))
      return reply
    }
    return `Mixing the contents of the ${x.descName()} does not appear to produce anything new.`
  }

  private use(x: Obj, y: Obj): string {
    const w = this.world
    switch (x.kind) {
      case "thermometer":
        if (!y.material) return "That thing doesn't appear to have a temperature that the thermometer can read. "
        return `the thermometer measures a temperature of ${degrees(y.temperature)} degrees celsius`
      case "lighter":
        if (y.material && y.material.combustionPoint <= 2200) {
          w.ignite(y)
          return `The ${y.name} catches fire.`
        }
        if (y.material) y.temperature += 10
        return `The lighter heats up the ${y.name} a small amount.`
      case "tool":
        if (x.name === "shovel" && y.kind === "ground") {
          w.spawn(makeObject("soil", []), w.agentRoom())
          return "You dig a hole in the ground, and place the soil nearby."
        }
        return "I'm not sure how to use those two things together."
      default:
        return `I'm not sure how to use the ${x.name}. `
    }
  }

  private go(x: Obj): string {
    const w = this.world
    const room = w.agentRoom()
    let door: Obj | undefined
    let target: Obj | undefined
    if (x.kind === "door") {
      door = x
      target = w.otherSide(x, room)
    } else if (x.kind === "room") {
      door = w.doorsOf(room).find((d) => w.otherSide(d, room) === x)
      target = x
      if (!door) return "It's not clear how to get there from here."
    }
    if (!door || !target) return `Its not clear how to go to/through a ${x.name}.`
    if (!door.open) return "The door is not open."
    target.add(w.agent)
    return x.kind === "door" ? `You move through the door to the ${target.name}.` : `You move to the ${target.name}.`
  }
}
