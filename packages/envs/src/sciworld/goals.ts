/**
 * The scoring engine: N sequential subgoals judged against the focused object
 * and M unordered subgoals for partial credit (score = idx/N + done/M/(N+1)).
 */
import type { Obj, World } from "./world"

export type Verdict = "success" | "notyet" | "fail"

export interface GoalContext {
  readonly world: World
  /** The object that satisfied the previous sequential subgoal. */
  readonly lastSatisfied: Obj | undefined
  readonly focus: Obj | undefined
}

export interface SequentialGoal {
  readonly description: string
  readonly clearsFocus?: boolean
  /** Recorded when satisfied, for unordered goals that require it. */
  readonly key?: string
  evaluate(ctx: GoalContext, focus: Obj): Verdict
}

export interface UnorderedGoal {
  readonly description: string
  readonly key?: string
  readonly requires?: ReadonlyArray<string>
  /** Called at every evaluation; `state` persists between calls. */
  evaluate(ctx: GoalContext, state: Record<string, unknown>): boolean
}

export class GoalTracker {
  curIdx = 0
  failed = false
  focus: Obj | undefined = undefined
  lastSatisfied: Obj | undefined = undefined
  private readonly unorderedDone: Array<boolean>
  private readonly unorderedState: Array<Record<string, unknown>>
  private readonly keys = new Set<string>()

  constructor(readonly sequential: ReadonlyArray<SequentialGoal>, readonly unordered: ReadonlyArray<UnorderedGoal>) {
    this.unorderedDone = unordered.map(() => false)
    this.unorderedState = unordered.map(() => ({}))
  }

  get completed(): boolean {
    return this.curIdx >= this.sequential.length
  }

  get unorderedCompleted(): number {
    return this.unorderedDone.filter((d) => d).length
  }

  score(): number {
    if (this.failed) return -1
    if (this.completed) return 1
    const n = this.sequential.length
    const m = this.unordered.length
    const s = this.curIdx / n + (m === 0 ? 0 : (this.unorderedCompleted * (1 / (n + 1))) / m)
    return Math.min(1, s)
  }

  /** One goal check (the simulator runs it before and after each tick). */
  check(world: World): void {
    if (this.failed || this.completed) return
    // ordered
    while (this.focus !== undefined && !this.completed) {
      const goal = this.sequential[this.curIdx]!
      const ctx: GoalContext = { world, lastSatisfied: this.lastSatisfied, focus: this.focus }
      const v = goal.evaluate(ctx, this.focus)
      if (v === "fail") {
        this.failed = true
        return
      }
      if (v === "notyet") break
      this.lastSatisfied = this.focus
      if (goal.key) this.keys.add(goal.key)
      if (goal.clearsFocus) this.focus = undefined
      this.curIdx++
    }
    if (this.completed) return
    // unordered: passes until nothing new completes
    for (;;) {
      let progressed = false
      for (let i = 0; i < this.unordered.length; i++) {
        if (this.unorderedDone[i]) continue
        const g = this.unordered[i]!
        if (g.requires && !g.requires.every((k) => this.keys.has(k))) continue
        // as the original: first without an object, then with the focused one
        const bare: GoalContext = { world, lastSatisfied: this.lastSatisfied, focus: undefined }
        let ok = g.evaluate(bare, this.unorderedState[i]!)
        if (!ok && this.focus !== undefined) {
          ok = g.evaluate({ world, lastSatisfied: this.lastSatisfied, focus: this.focus }, this.unorderedState[i]!)
        }
        if (ok) {
          this.unorderedDone[i] = true
          if (g.key) this.keys.add(g.key)
          progressed = true
        }
      }
      if (!progressed) break
    }
  }

  reset(): void {
    this.curIdx = 0
    this.failed = false
    this.focus = undefined
    this.lastSatisfied = undefined
    this.unorderedDone.fill(false)
    for (let i = 0; i < this.unorderedState.length; i++) this.unorderedState[i] = {}
    this.keys.clear()
  }
}

// ---------------------------------------------------------------------------
// Predicates

/** Focus on an object whose current name is `name` (fail-on-wrong). */
export const find = (name: string, clearsFocus = false): SequentialGoal => ({
  description: `focus on ${name}`,
  clearsFocus,
  evaluate: (_ctx, focus) => (focus.name === name ? "success" : "fail")
})

/** Focus on an object satisfying a class predicate. */
export const focusOn = (description: string, ok: (o: Obj) => Verdict): SequentialGoal => ({
  description,
  evaluate: (_ctx, focus) => ok(focus)
})

/**
 * The same object as the last satisfied one is inside a container named `box`
 * (any depth); with `wrong`, failing when it is inside a container of that
 * name first.
 */
export const inContainerByName = (box: string, wrong?: string): SequentialGoal => ({
  description: `move the focused object to the ${box}`,
  evaluate: (ctx, focus) => {
    if (focus !== ctx.lastSatisfied) return "notyet"
    let p = focus.parent
    while (p) {
      if (p.name === box) return "success"
      if (wrong !== undefined && p.name === wrong) return "fail"
      p = p.parent
    }
    return "notyet"
  }
})

/** As `inContainerByName` with no wrong container. */
export const inContainer = (box: string): SequentialGoal => inContainerByName(box)

/** Focus on the correct answer box; focusing the other box fails, anything else waits. */
export const findAnswerBox = (box: string, other: string): SequentialGoal => ({
  description: `focus on the ${box}`,
  evaluate: (_ctx, focus) => (focus.name === box ? "success" : focus.name === other ? "fail" : "notyet")
})

// unordered

const objectsIn = (root: Obj, pred: (o: Obj) => boolean): boolean => {
  for (const c of root.children) {
    if (pred(c) || objectsIn(c, pred)) return true
  }
  return false
}

export const inRoomWithObject = (name: string, key?: string, requires?: ReadonlyArray<string>): UnorderedGoal => ({
  description: `be in the same location as the ${name}`,
  ...(key ? { key } : {}),
  ...(requires ? { requires } : {}),
  evaluate: (ctx) => objectsIn(ctx.world.agentRoom(), (o) => o.name === name || o.descName() === name)
})

export const moveToNewLocation = (unlessIn?: string): UnorderedGoal => ({
  description: "move to a new location",
  evaluate: (ctx, state) => {
    const room = ctx.world.agentRoom()
    if (state.start === undefined) {
      state.start = room
      if (unlessIn !== undefined && room.name === unlessIn) return true
      return false
    }
    return room !== state.start
  }
})

export const moveToLocation = (location: string, key?: string, requires?: ReadonlyArray<string>): UnorderedGoal => ({
  description: `move to the ${location}`,
  ...(key ? { key } : {}),
  ...(requires ? { requires } : {}),
  evaluate: (ctx) => ctx.world.agentRoom().name === location
})

export const inRoomWithOpenDoor = (): UnorderedGoal => ({
  description: "be in a location with an open door",
  evaluate: (ctx) => ctx.world.doorsOf(ctx.world.agentRoom()).some((d) => d.open)
})

/** The focused object (the one the first subgoal was satisfied with) is in the inventory, at any depth (a plant in a carried pot counts). */
export const focusedInInventory = (): UnorderedGoal => ({
  description: "have the focused object in the inventory",
  evaluate: (ctx) =>
    ctx.focus !== undefined && (ctx.lastSatisfied === undefined || ctx.lastSatisfied === ctx.focus) && withinContainerNamed(ctx.focus, "inventory")
})

/** Inside a container with this name, looking up at most 20 levels as the original does. */
const withinContainerNamed = (o: Obj, name: string): boolean => {
  let p = o.parent
  for (let i = 0; p && i < 20; i++, p = p.parent) if (p.name === name) return true
  return false
}

/** Some container in the agent's location holds exactly these visible objects. */
export const objectsInSingleContainer = (names: ReadonlyArray<string>, key?: string, requires?: ReadonlyArray<string>): UnorderedGoal => {
  const want = names.slice().sort().join("|")
  return {
    description: `have ${names.join(", ")} alone in one container`,
    ...(key ? { key } : {}),
    ...(requires ? { requires } : {}),
    evaluate: (ctx) => {
      const visit = (o: Obj): boolean => {
        for (const c of o.children) {
          if (c.container) {
            const vis = c.visible()
            if (vis.length === names.length && vis.map((v) => v.name).sort().join("|") === want) return true
          }
          if (visit(c)) return true
        }
        return false
      }
      return visit(ctx.world.agentRoom())
    }
  }
}

/** The agent performed an action (a "verb:object name" key) after this goal was first evaluated. */
export const pastAction = (action: string): UnorderedGoal => ({
  description: `perform '${action}'`,
  evaluate: (ctx, state) => {
    const acts = ctx.world.pastActions
    if (state.from === undefined) state.from = acts.length
    for (let i = state.from as number; i < acts.length; i++) if (acts[i] === action) return true
    return false
  }
})
