/**
 * Conditions as disjunctive normal form and a join-based solver that
 * enumerates the variable bindings satisfying one conjunction over a fact
 * state. Used for action preconditions (grounding), conditional effects and
 * goals.
 */
import { decode, encode, type State } from "./Facts"
import { type Formula, PddlError, type Term, type TypedName } from "./Pddl"

/** A term in compiled form: `{ v }` a variable index, `{ c }` a constant name. */
export type CTerm = { readonly v: number } | { readonly c: string }

export interface CLit {
  readonly eq: boolean
  readonly negated: boolean
  /** Predicate name (unused for equality). */
  readonly pred: string
  readonly args: ReadonlyArray<CTerm>
}

/** A formula in DNF over numbered variables (free ones first, then existential ones). */
export interface CFormula {
  readonly vars: ReadonlyArray<TypedName>
  readonly conjuncts: ReadonlyArray<ReadonlyArray<CLit>>
}

/**
 * Compiles a formula whose free variables are `free` (in that order) into DNF.
 * `exists` variables become extra variables of the conjunctions.
 */
export const compileFormula = (
  f: Formula,
  free: ReadonlyArray<TypedName>,
  predicates: ReadonlyMap<string, number>
): CFormula => {
  const vars: Array<TypedName> = [...free]
  const rootScope = new Map<string, number>()
  free.forEach((v, i) => rootScope.set(v.name, i))
  const toTerm = (t: Term, scope: ReadonlyMap<string, number>): CTerm => {
    if (!t.variable) return { c: t.name }
    const v = scope.get(t.name)
    if (v === undefined) throw new PddlError(`unknown variable ?${t.name}`)
    return { v }
  }
  const go = (g: Formula, positive: boolean, scope: ReadonlyMap<string, number>): Array<Array<CLit>> => {
    switch (g.kind) {
      case "true":
        return positive ? [[]] : []
      case "atom": {
        const arity = predicates.get(g.pred)
        if (arity === undefined) throw new PddlError(`undeclared predicate '${g.pred}'`)
        if (arity !== g.args.length) throw new PddlError(`predicate '${g.pred}' takes ${arity} argument(s), got ${g.args.length}`)
        return [[{ eq: false, negated: !positive, pred: g.pred, args: g.args.map((t) => toTerm(t, scope)) }]]
      }
      case "eq":
        return [[{ eq: true, negated: !positive, pred: "=", args: [toTerm(g.left, scope), toTerm(g.right, scope)] }]]
      case "not":
        return go(g.body, !positive, scope)
      case "and":
      case "or": {
        const conjunctive = (g.kind === "and") === positive
        const parts = g.parts.map((p) => go(p, positive, scope))
        if (!conjunctive) return parts.flat()
        let acc: Array<Array<CLit>> = [[]]
        for (const part of parts) {
          const next: Array<Array<CLit>> = []
          for (const a of acc) for (const b of part) next.push([...a, ...b])
          acc = next
        }
        return acc
      }
      case "exists": {
        if (!positive) throw new PddlError("negated 'exists' (a universal condition) is not supported")
        const inner = new Map(scope)
        for (const v of g.vars) {
          inner.set(v.name, vars.length)
          vars.push(v)
        }
        return go(g.body, true, inner)
      }
    }
  }
  const conjuncts = go(f, true, rootScope)
  return { vars, conjuncts }
}

// ---------------------------------------------------------------------------
// Resolution against one game's constants

/** Resolved term: >= 0 variable index, < 0 constant `-t - 1`. */
interface RLit {
  readonly eq: boolean
  readonly negated: boolean
  readonly pred: number
  readonly args: Int32Array
  readonly vars: ReadonlyArray<number>
}

export interface RConj {
  readonly pos: ReadonlyArray<RLit>
  readonly checks: ReadonlyArray<RLit>
  /** Variables the solver must bind (all free variables, and existential ones that occur). */
  readonly needed: ReadonlyArray<number>
}

export interface RFormula {
  readonly nVars: number
  readonly nFree: number
  /** Per variable: which constants its type admits (undefined: any). */
  readonly typeMask: ReadonlyArray<Uint8Array | undefined>
  readonly typeMembers: ReadonlyArray<ReadonlyArray<number>>
  readonly conjs: ReadonlyArray<RConj>
}

export interface Universe {
  readonly n: number
  readonly predId: ReadonlyMap<string, number>
  constId(name: string): number
  /** Constants of a type and its subtypes, as a mask and a list (undefined for the root type). */
  typeMask(type: string): Uint8Array | undefined
  typeMembers(type: string): ReadonlyArray<number>
}

export const resolveFormula = (f: CFormula, nFree: number, u: Universe): RFormula => {
  const conjs = f.conjuncts.map((lits): RConj => {
    const pos: Array<RLit> = []
    const checks: Array<RLit> = []
    const used = new Set<number>()
    for (const l of lits) {
      const args = new Int32Array(l.args.length)
      const vars: Array<number> = []
      l.args.forEach((t, i) => {
        if ("v" in t) {
          args[i] = t.v
          vars.push(t.v)
          used.add(t.v)
        } else args[i] = -u.constId(t.c) - 1
      })
      const r: RLit = { eq: l.eq, negated: l.negated, pred: l.eq ? -1 : u.predId.get(l.pred)!, args, vars }
      if (!l.eq && !l.negated) pos.push(r)
      else checks.push(r)
    }
    for (let v = 0; v < nFree; v++) used.add(v)
    return { pos, checks, needed: [...used].sort((a, b) => a - b) }
  })
  return {
    nVars: f.vars.length,
    nFree,
    typeMask: f.vars.map((v) => u.typeMask(v.type)),
    typeMembers: f.vars.map((v) => u.typeMembers(v.type)),
    conjs
  }
}

// ---------------------------------------------------------------------------
// Solving

const scratch: Array<number> = [0, 0, 0, 0, 0, 0, 0, 0]

/**
 * One search (a class rather than closures: the hot path creates no functions).
 * Positive atoms bind variables, most selective first; negative atoms and
 * equalities are tested as soon as their variables are bound.
 */
class Search {
  readonly n: number
  readonly done: Uint8Array
  readonly checkedAt: Int32Array

  constructor(
    readonly state: State,
    readonly f: RFormula,
    readonly c: RConj,
    readonly binding: Int32Array,
    readonly found: (binding: Int32Array) => boolean
  ) {
    this.n = state.n
    this.done = new Uint8Array(c.pos.length)
    this.checkedAt = new Int32Array(c.checks.length).fill(-1)
  }

  value(t: number): number {
    return t < 0 ? -t - 1 : this.binding[t]!
  }

  holds(l: RLit): boolean {
    if (l.eq) return (this.value(l.args[0]!) === this.value(l.args[1]!)) !== l.negated
    let key = 0
    for (let i = 0; i < l.args.length; i++) key = key * this.n + this.value(l.args[i]!)
    return this.state.pos[l.pred]!.keys.has(key) !== l.negated
  }

  /** Evaluates the checks that just became ground; false if one fails. */
  runChecks(depth: number): boolean {
    const checks = this.c.checks
    for (let i = 0; i < checks.length; i++) {
      if (this.checkedAt[i] !== -1) continue
      const l = checks[i]!
      let ground = true
      for (let j = 0; j < l.vars.length; j++) {
        if (this.binding[l.vars[j]!] === -1) {
          ground = false
          break
        }
      }
      if (!ground) continue
      this.checkedAt[i] = depth
      if (!this.holds(l)) return false
    }
    return true
  }

  undoChecks(depth: number): void {
    for (let i = 0; i < this.checkedAt.length; i++) if (this.checkedAt[i]! >= depth) this.checkedAt[i] = -1
  }

  /** Binds the remaining needed variables by type. */
  finish(k: number, depth: number): boolean {
    const needed = this.c.needed
    for (; k < needed.length; k++) if (this.binding[needed[k]!] === -1) break
    if (k === needed.length) return this.found(this.binding)
    const v = needed[k]!
    for (const m of this.f.typeMembers[v]!) {
      this.binding[v] = m
      const ok = this.runChecks(depth)
      if (ok && this.finish(k + 1, depth + 1)) {
        this.binding[v] = -1
        this.undoChecks(depth)
        return true
      }
      this.undoChecks(depth)
    }
    this.binding[v] = -1
    return false
  }

  step(depth: number): boolean {
    const pos = this.c.pos
    let best = -1
    let bestSize = Infinity
    let bestSource: Set<number> | undefined
    for (let i = 0; i < pos.length; i++) {
      if (this.done[i]) continue
      const l = pos[i]!
      const table = this.state.pos[l.pred]!
      let unbound = 0
      let size = table.keys.size
      let source: Set<number> | undefined = table.keys
      for (let j = 0; j < l.args.length; j++) {
        const val = this.value(l.args[j]!)
        if (val === -1) {
          unbound++
          continue
        }
        if (table.arity >= 2) {
          const bucket = table.byArg[j]!.get(val)
          const sz = bucket === undefined ? 0 : bucket.size
          if (sz < size) {
            size = sz
            source = bucket
          }
        }
      }
      if (unbound === 0) {
        size = -1
        source = undefined
      }
      if (size < bestSize) {
        best = i
        bestSize = size
        bestSource = source
        if (size <= 0) break
      }
    }
    if (best === -1) return this.finish(0, depth)
    const lit = pos[best]!
    this.done[best] = 1
    let stop = false
    if (bestSize === -1) {
      // fully bound: a membership test
      stop = this.holds(lit) ? this.step(depth + 1) : false
    } else if (bestSize > 0 && bestSource !== undefined) {
      stop = this.scan(lit, bestSource, depth)
    }
    this.done[best] = 0
    return stop
  }

  /** Tries every fact of `source` as a match of `lit`. */
  scan(lit: RLit, source: Set<number>, depth: number): boolean {
    const arity = lit.args.length
    const binding = this.binding
    const fresh: Array<number> = []
    for (const key of source) {
      decode(key, this.n, scratch, arity)
      let ok = true
      for (let j = 0; j < arity; j++) {
        const t = lit.args[j]!
        const a = scratch[j]!
        if (t < 0) {
          if (-t - 1 !== a) {
            ok = false
            break
          }
          continue
        }
        const b = binding[t]!
        if (b === -1) {
          const mask = this.f.typeMask[t]
          if (mask !== undefined && mask[a] !== 1) {
            ok = false
            break
          }
          binding[t] = a
          fresh.push(t)
        } else if (b !== a) {
          ok = false
          break
        }
      }
      const stop = ok && this.runChecks(depth) && this.step(depth + 1)
      this.undoChecks(depth)
      for (let k = 0; k < fresh.length; k++) binding[fresh[k]!] = -1
      fresh.length = 0
      if (stop) return true
    }
    return false
  }

  run(): boolean {
    const stop = this.runChecks(0) && this.step(1)
    this.undoChecks(0)
    return stop
  }
}

/**
 * Enumerates the bindings satisfying conjunction `c` of `f` in `state`,
 * starting from `binding` (-1 = unbound). `found` returns true to stop.
 * Returns true when stopped early.
 */
export const solve = (
  state: State,
  f: RFormula,
  c: RConj,
  binding: Int32Array,
  found: (binding: Int32Array) => boolean
): boolean => new Search(state, f, c, binding, found).run()

/** Whether some conjunction of `f` is satisfiable given the bound variables. */
export const satisfiable = (state: State, f: RFormula, binding: Int32Array): boolean => {
  for (const c of f.conjs) if (solve(state, f, c, binding, () => true)) return true
  return false
}

export { encode }
