/**
 * A playable game: the PDDL domain and one problem, grounded on demand, with
 * all text produced by the grammar. Every step renders the command string of
 * each applicable grounded action; the player's input selects the action
 * with that exact string, its effects are applied and its feedback rule is
 * expanded afterwards. Anything else is "Nothing happens.".
 */
import { encode, FactTable, State } from "./Facts"
import { Grammar, type GrammarFile, type TextView } from "./Grammar"
import { compileFormula, type CFormula, type CTerm, resolveFormula, type RFormula, satisfiable, solve, type Universe } from "./Logic"
import { type Domain, type Effect, PddlError, readProblem } from "./Pddl"

export const NOTHING_HAPPENS = "Nothing happens."

// ---------------------------------------------------------------------------
// The domain, compiled once

interface CEffectLit {
  readonly negated: boolean
  readonly pred: string
  readonly args: ReadonlyArray<CTerm>
}

interface CAction {
  readonly name: string
  readonly params: ReadonlyArray<string>
  readonly pre: CFormula
  readonly effects: ReadonlyArray<CEffectLit>
  readonly conditional: ReadonlyArray<{ readonly condition: CFormula; readonly effects: ReadonlyArray<CEffectLit> }>
  readonly template: string
  readonly feedback: string
  /** Whether some grounding could have no effect at all (then it does not exist). */
  readonly mayBeNoop: boolean
}

export interface CompiledDomain {
  readonly domain: Domain
  readonly predicates: ReadonlyArray<string>
  readonly predId: ReadonlyMap<string, number>
  readonly arity: ReadonlyArray<number>
  readonly fluent: ReadonlyArray<boolean>
  readonly actions: ReadonlyArray<CAction>
  readonly grammar: GrammarFile
}

const effectLits = (effects: ReadonlyArray<Effect>, scope: ReadonlyMap<string, number>, predicates: ReadonlyMap<string, number>) => {
  const term = (t: { variable: boolean; name: string }): CTerm => {
    if (!t.variable) return { c: t.name }
    const v = scope.get(t.name)
    if (v === undefined) throw new PddlError(`unknown variable ?${t.name} in an effect`)
    return { v }
  }
  const lit = (l: { negated: boolean; pred: string; args: ReadonlyArray<{ variable: boolean; name: string }> }): CEffectLit => {
    const arity = predicates.get(l.pred)
    if (arity === undefined) throw new PddlError(`undeclared predicate '${l.pred}' in an effect`)
    if (arity !== l.args.length) throw new PddlError(`predicate '${l.pred}' takes ${arity} argument(s)`)
    return { negated: l.negated, pred: l.pred, args: l.args.map(term) }
  }
  return { lit }
}

/** Compiles the domain and pairs every action with its grammar entry. */
export const compileDomain = (domain: Domain, grammar: GrammarFile): CompiledDomain => {
  const predicates = [...domain.predicates.keys()]
  const predId = new Map(predicates.map((p, i) => [p, i] as const))
  const arity = predicates.map((p) => domain.predicates.get(p)!)
  const changed = new Set<string>()
  const actions = domain.actions.map((a): CAction => {
    try {
      const scope = new Map(a.params.map((p, i) => [p.name, i] as const))
      const { lit } = effectLits(a.effects, scope, domain.predicates)
      const pre = compileFormula(a.precondition, a.params, domain.predicates)
      const effects: Array<CEffectLit> = []
      const conditional: Array<{ condition: CFormula; effects: Array<CEffectLit> }> = []
      for (const e of a.effects) {
        if (e.kind === "lit") effects.push(lit(e.lit))
        else conditional.push({ condition: compileFormula(e.condition, a.params, domain.predicates), effects: e.effects.map(lit) })
      }
      for (const e of [...effects, ...conditional.flatMap((c) => c.effects)]) changed.add(e.pred)
      const text = grammar.actions.get(a.name)
      if (text === undefined) throw new PddlError(`the grammar has no entry for this action`)
      const posPreds = new Set(pre.conjuncts.flatMap((c) => c.filter((l) => !l.eq && !l.negated).map((l) => l.pred)))
      const delPreds = new Set(effects.filter((e) => e.negated).map((e) => e.pred))
      const mayBeNoop =
        conditional.length === 0 &&
        effects.every((e) => (e.negated ? effects.some((x) => !x.negated && x.pred === e.pred) : posPreds.has(e.pred) || delPreds.has(e.pred)))
      return { name: a.name, params: a.params.map((p) => p.name), pre, effects, conditional, template: text.template, feedback: text.feedback, mayBeNoop }
    } catch (e) {
      throw new PddlError(`action ${a.name}: ${(e as Error).message}`)
    }
  })
  return { domain, predicates, predId, arity, fluent: predicates.map((p) => changed.has(p)), actions, grammar }
}

// ---------------------------------------------------------------------------
// One game's data, compiled at load time

export interface GameData {
  /** Declared constants, lower case, in code-point order (the constant id is the index). */
  readonly consts: ReadonlyArray<string>
  readonly constType: ReadonlyArray<string>
  /** Display names (section "entity naming" of the behaviour). */
  readonly names: ReadonlyArray<string>
  /** Init facts as (predicate id, key) pairs. */
  readonly init: Float64Array
  readonly goal: CFormula
}

const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/** Names entities: base name before `_bar_` (+ "basin"), numbered from the last id up. */
export const displayNames = (consts: ReadonlyArray<string>, isEntity: (i: number) => boolean): Array<string> => {
  const base = consts.map((id, i) => {
    if (!isEntity(i)) return undefined
    const at = id.indexOf("_bar_")
    if (at < 0) return undefined
    return id.slice(0, at) + (id.includes("basin") ? "basin" : "")
  })
  const count = new Map<string, number>()
  for (const b of base) if (b !== undefined) count.set(b, (count.get(b) ?? 0) + 1)
  const seen = new Map<string, number>()
  return consts.map((id, i) => {
    const b = base[i]
    if (b === undefined) return `${id} `
    const k = (seen.get(b) ?? 0) + 1
    seen.set(b, k)
    return `${b} ${count.get(b)! - k + 1}`
  })
}

/** Parses and compiles one PDDL problem against the domain. */
export const compileGame = (cd: CompiledDomain, problemText: string): GameData => {
  const typeOf = new Map<string, string>()
  let consts: Array<string> = []
  let n = 0
  let inFact = new Uint8Array(0)
  let init = new Float64Array(4096)
  let size = 0
  const { goal } = readProblem(
    problemText,
    cd.predicates,
    (objects) => {
      for (const c of cd.domain.constants) typeOf.set(c.name, c.type)
      for (const o of objects) typeOf.set(o.name, o.type)
      // the default sort compares UTF-16 code units: code-point order for these (ASCII) ids, and native speed
      consts = [...typeOf.keys()].sort()
      n = consts.length
      inFact = new Uint8Array(n)
      return consts
    },
    (p, args) => {
      if (cd.arity[p] !== args.length) throw new PddlError(`predicate '${cd.predicates[p]}' takes ${cd.arity[p]} argument(s) in :init`)
      for (let k = 0; k < args.length; k++) inFact[args[k]!] = 1
      if (size + 2 > init.length) {
        const grown = new Float64Array(init.length * 2)
        grown.set(init)
        init = grown
      }
      init[size++] = p
      init[size++] = encode(args, n)
    }
  )
  return {
    consts,
    constType: consts.map((c) => typeOf.get(c)!),
    names: displayNames(consts, (i) => inFact[i] === 1),
    init: init.slice(0, size),
    goal: compileFormula(goal, [], cd.domain.predicates)
  }
}

// ---------------------------------------------------------------------------
// Runtime pieces shared by every episode of a game (built on first use)

interface RAction {
  readonly action: CAction
  readonly index: number
  readonly pre: RFormula
  readonly conditional: ReadonlyArray<RFormula>
  readonly effects: ReadonlyArray<{ negated: boolean; pred: number; args: Int32Array }>
  readonly condEffects: ReadonlyArray<ReadonlyArray<{ negated: boolean; pred: number; args: Int32Array }>>
  /** Templates that only query static facts are rendered once per grounding. */
  readonly cacheable: boolean
}

export interface GameRuntime {
  readonly data: GameData
  readonly cd: CompiledDomain
  readonly universe: Universe
  readonly actions: ReadonlyArray<RAction>
  readonly goal: RFormula
  readonly staticTables: ReadonlyArray<FactTable | undefined>
  readonly commandCache: Map<string, string>
}

const makeUniverse = (cd: CompiledDomain, data: GameData): Universe => {
  const n = data.consts.length
  const id = new Map(data.consts.map((c, i) => [c, i] as const))
  const parent = cd.domain.types
  const isA = (t: string, want: string): boolean => {
    for (let cur: string | undefined = t, guard = 0; cur !== undefined && guard < 32; cur = parent.get(cur), guard++) {
      if (cur === want) return true
    }
    return false
  }
  const masks = new Map<string, { mask: Uint8Array; members: Array<number> }>()
  const all = Array.from({ length: n }, (_, i) => i)
  const get = (type: string) => {
    let m = masks.get(type)
    if (m === undefined) {
      const mask = new Uint8Array(n)
      const members: Array<number> = []
      data.constType.forEach((t, i) => {
        if (isA(t, type)) {
          mask[i] = 1
          members.push(i)
        }
      })
      m = { mask, members }
      masks.set(type, m)
    }
    return m
  }
  return {
    n,
    predId: cd.predId,
    // an undeclared constant gets an id no fact uses
    constId: (name) => id.get(name) ?? n,
    typeMask: (type) => (type === "object" ? undefined : get(type).mask),
    typeMembers: (type) => (type === "object" ? all : get(type).members)
  }
}

const runtimes = new WeakMap<GameData, GameRuntime>()

export const runtimeOf = (cd: CompiledDomain, data: GameData, grammar: Grammar): GameRuntime => {
  let rt = runtimes.get(data)
  if (rt !== undefined) return rt
  const universe = makeUniverse(cd, data)
  const resolveArgs = (args: ReadonlyArray<CTerm>) => Int32Array.from(args.map((t) => ("v" in t ? t.v : -universe.constId(t.c) - 1)))
  const resolveLits = (lits: ReadonlyArray<CEffectLit>) =>
    lits.map((l) => ({ negated: l.negated, pred: cd.predId.get(l.pred)!, args: resolveArgs(l.args) }))
  const staticPreds = new Set(cd.predicates.filter((_, i) => !cd.fluent[i]))
  const actions = cd.actions.map((a, index): RAction => ({
    action: a,
    index,
    pre: resolveFormula(a.pre, a.params.length, universe),
    conditional: a.conditional.map((c) => resolveFormula(c.condition, a.params.length, universe)),
    effects: resolveLits(a.effects),
    condEffects: a.conditional.map((c) => resolveLits(c.effects)),
    cacheable: [...grammar.queriedPredicates(a.template)].every((p) => staticPreds.has(p))
  }))
  const n = universe.n
  const staticTables: Array<FactTable | undefined> = cd.predicates.map((_, p) => (cd.fluent[p] ? undefined : new FactTable(cd.arity[p]!)))
  for (let i = 0; i < data.init.length; i += 2) staticTables[data.init[i]!]?.add(data.init[i + 1]!, n)
  rt = {
    data,
    cd,
    universe,
    actions,
    goal: resolveFormula(data.goal, 0, universe),
    staticTables,
    commandCache: new Map()
  }
  runtimes.set(data, rt)
  return rt
}

// ---------------------------------------------------------------------------
// A running game

export interface Grounded {
  readonly action: RAction
  readonly params: Int32Array
}

export interface StepOutcome {
  readonly feedback: string
  readonly valid: boolean
}

export class Game implements TextView {
  readonly state: State
  readonly predId: ReadonlyMap<string, number>
  private applicableCache: Map<string, Grounded> | undefined
  private sortedCache: ReadonlyArray<string> | undefined
  won = false

  constructor(
    readonly rt: GameRuntime,
    readonly grammar: Grammar,
    state?: State
  ) {
    this.predId = rt.cd.predId
    if (state !== undefined) {
      this.state = state
    } else {
      const n = rt.universe.n
      const cd = rt.cd
      const pos = cd.predicates.map((_, p) => rt.staticTables[p] ?? new FactTable(cd.arity[p]!))
      const neg = cd.predicates.map((_, p) => new FactTable(cd.arity[p]!))
      const init = rt.data.init
      for (let i = 0; i < init.length; i += 2) if (cd.fluent[init[i]!]) pos[init[i]!]!.add(init[i + 1]!, n)
      this.state = new State(n, pos, neg, cd.fluent)
    }
    this.won = satisfiable(this.state, rt.goal, new Int32Array(rt.goal.nVars).fill(-1))
  }

  /** An independent copy (for look-ahead). */
  clone(): Game {
    return new Game(this.rt, this.grammar, this.state.clone())
  }

  displayName(id: number): string {
    return this.rt.data.names[id]!
  }

  rawId(id: number): string {
    return this.rt.data.consts[id]!
  }

  /** The text shown at reset (`#intro#` in an empty context). */
  intro(): string {
    return this.grammar.expandRule("intro", this, new Map())
  }

  private context(g: Grounded): Map<string, number> {
    const ctx = new Map<string, number>()
    const names = g.action.action.params
    for (let i = 0; i < names.length; i++) ctx.set(names[i]!, g.params[i]!)
    return ctx
  }

  // grounding scratch, reused by `collect` (a method bound once: no closures on the hot path)
  private curAction: RAction | undefined
  private curConj: RFormula["conjs"][number] | undefined
  private readonly seen = new Set<string>()
  private readonly found: Array<Int32Array> = []
  private readonly collect = (b: Int32Array): boolean => {
    const ra = this.curAction!
    const params = b.slice(0, ra.pre.nFree)
    const key = params.join(",")
    if (this.seen.has(key)) return false
    if (ra.action.mayBeNoop && isNoop(ra, this.curConj!.pos, b, this.state.n)) return false
    this.seen.add(key)
    this.found.push(params)
    return false
  }

  /** Command strings of the applicable grounded actions (first grounding per string). */
  applicable(): Map<string, Grounded> {
    if (this.applicableCache !== undefined) return this.applicableCache
    const out = new Map<string, Grounded>()
    for (const ra of this.rt.actions) {
      this.curAction = ra
      this.seen.clear()
      this.found.length = 0
      for (const conj of ra.pre.conjs) {
        this.curConj = conj
        solve(this.state, ra.pre, conj, new Int32Array(ra.pre.nVars).fill(-1), this.collect)
      }
      for (const params of this.found) {
        const g: Grounded = { action: ra, params }
        const command = this.command(g)
        if (!out.has(command)) out.set(command, g)
      }
    }
    this.applicableCache = out
    return out
  }

  /** Admissible commands, deduplicated, in code-point order. */
  commands(): ReadonlyArray<string> {
    if (this.sortedCache === undefined) this.sortedCache = [...this.applicable().keys()].sort(byCodePoint)
    return this.sortedCache
  }

  private command(g: Grounded): string {
    if (!g.action.cacheable) return this.grammar.expand(g.action.action.template, this, this.context(g))
    const key = `${g.action.index}:${g.params.join(",")}`
    let text = this.rt.commandCache.get(key)
    if (text === undefined) {
      text = this.grammar.expand(g.action.action.template, this, this.context(g))
      this.rt.commandCache.set(key, text)
    }
    return text
  }

  /** Applies a grounded action's effects (conditions read the state before the action). */
  apply(g: Grounded): void {
    const state = this.state
    const n = state.n
    const dels: Array<number> = []
    const adds: Array<number> = []
    const args: Array<number> = []
    const collect = (lits: RAction["effects"]) => {
      for (const l of lits) {
        args.length = 0
        for (let i = 0; i < l.args.length; i++) {
          const t = l.args[i]!
          args.push(t < 0 ? -t - 1 : g.params[t]!)
        }
        ;(l.negated ? dels : adds).push(l.pred, encode(args, n))
      }
    }
    collect(g.action.effects)
    g.action.conditional.forEach((cond, i) => {
      const binding = new Int32Array(cond.nVars).fill(-1)
      binding.set(g.params)
      if (satisfiable(state, cond, binding)) collect(g.action.condEffects[i]!)
    })
    for (let i = 0; i < dels.length; i += 2) state.remove(dels[i]!, dels[i + 1]!)
    for (let i = 0; i < adds.length; i += 2) state.add(adds[i]!, adds[i + 1]!)
    this.applicableCache = undefined
    this.sortedCache = undefined
  }

  /** Executes a command: its feedback, or "Nothing happens." (no change) when not admissible. */
  step(input: string): StepOutcome {
    const g = this.applicable().get(input.trim())
    let outcome: StepOutcome
    if (g === undefined) {
      outcome = { feedback: NOTHING_HAPPENS, valid: false }
    } else {
      this.apply(g)
      outcome = { feedback: this.grammar.expand(g.action.action.feedback, this, this.context(g)), valid: true }
    }
    this.won = satisfiable(this.state, this.rt.goal, new Int32Array(this.rt.goal.nVars).fill(-1))
    return outcome
  }
}

/**
 * Whether a grounding changes nothing: deletes that are re-added cancel, and
 * adds of atoms the precondition already requires are dropped (as the
 * planner front-end of the original tool chain does).
 */
const isNoop = (ra: RAction, pos: RFormula["conjs"][number]["pos"], b: Int32Array, n: number): boolean => {
  const val = (t: number) => (t < 0 ? -t - 1 : b[t]!)
  const keyOf = (pred: number, args: Int32Array) => {
    let k = 0
    for (let i = 0; i < args.length; i++) k = k * n + val(args[i]!)
    return `${pred}:${k}`
  }
  const adds = new Set<string>()
  for (const e of ra.effects) if (!e.negated) adds.add(keyOf(e.pred, e.args))
  for (const e of ra.effects) if (e.negated && !adds.has(keyOf(e.pred, e.args))) return false
  const required = new Set(pos.map((l) => keyOf(l.pred, l.args)))
  for (const a of adds) if (!required.has(a)) return false
  return true
}
