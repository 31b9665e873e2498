/**
 * The TextWorld text grammar (`.twl2`): a rule table whose right-hand sides
 * mix plain text, `#rule#` references, `{expr}` / `{expr | query}`
 * substitutions and `[ ... ]` lists, plus per-action command templates and
 * feedback rules. Expansion happens against a fact state and a context of
 * bound variables.
 */
import { decode, type State } from "./Facts"

export class GrammarError extends Error {}

export interface Alternative {
  readonly rhs: string
  readonly condition?: string | undefined
}

export interface ActionText {
  readonly template: string
  readonly feedback: string
}

export interface GrammarFile {
  readonly rules: ReadonlyMap<string, ReadonlyArray<Alternative>>
  /** Keyed by lower-cased action name. */
  readonly actions: ReadonlyMap<string, ActionText>
}

// ---------------------------------------------------------------------------
// File syntax

const dedent = (block: string): string => {
  const lines = block.split("\n")
  let indent = Infinity
  for (const l of lines) {
    if (l.trim() === "") continue
    const m = /^[ \t]*/.exec(l)![0].length
    if (m < indent) indent = m
  }
  return indent === Infinity ? block : lines.map((l) => l.slice(Math.min(indent, /^[ \t]*/.exec(l)![0].length))).join("\n")
}

const parseRuleBlock = (block: string, dropHashLines: boolean, into: Map<string, ReadonlyArray<Alternative>>) => {
  let body = dedent(block)
  if (dropHashLines) body = body.split("\n").filter((l) => !l.trimStart().startsWith("#")).join("\n")
  let json: unknown
  try {
    json = JSON.parse(body)
  } catch (e) {
    throw new GrammarError(`a grammar block is not valid JSON: ${(e as Error).message}`)
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new GrammarError("a grammar block must be a JSON object")
  for (const [name, alts] of Object.entries(json)) {
    if (!Array.isArray(alts)) throw new GrammarError(`rule '${name}' must be a list of alternatives`)
    const list: Array<Alternative> = alts.map((a: unknown, i) => {
      const alt = a as Record<string, unknown>
      if (typeof alt !== "object" || alt === null || typeof alt.rhs !== "string") {
        throw new GrammarError(`rule '${name}', alternative ${i + 1}: needs a string "rhs"`)
      }
      if (alt.condition !== undefined && typeof alt.condition !== "string") {
        throw new GrammarError(`rule '${name}', alternative ${i + 1}: "condition" must be a string`)
      }
      return { rhs: alt.rhs, condition: alt.condition as string | undefined }
    })
    into.set(name, list)
  }
}

/** Parses a `.twl2` file. */
export const parseGrammarFile = (text: string): GrammarFile => {
  const rules = new Map<string, ReadonlyArray<Alternative>>()
  const actions = new Map<string, ActionText>()
  let i = 0
  const n = text.length
  const lineAt = (at: number) => text.slice(0, at).split("\n").length
  const fail = (why: string): never => {
    throw new GrammarError(`line ${lineAt(i)}: ${why}`)
  }
  const skip = () => {
    for (;;) {
      while (i < n && /\s/.test(text[i]!)) i++
      if (text[i] === "#") {
        while (i < n && text[i] !== "\n") i++
        continue
      }
      return
    }
  }
  const ident = (): string => {
    skip()
    const m = /^[A-Za-z_][\w.-]*/.exec(text.slice(i, i + 200))
    if (m === null) return fail("expected a name")
    i += m[0].length
    return m[0]
  }
  const expect = (s: string) => {
    skip()
    if (!text.startsWith(s, i)) fail(`expected '${s}'`)
    i += s.length
  }
  const quoted = (): { value: string; triple: boolean } => {
    skip()
    if (text.startsWith('"""', i)) {
      const end = text.indexOf('"""', i + 3)
      if (end < 0) fail('unterminated """ block')
      const value = text.slice(i + 3, end)
      i = end + 3
      return { value, triple: true }
    }
    if (text[i] !== '"') fail("expected a quoted string")
    const end = text.indexOf('"', i + 1)
    if (end < 0) fail("unterminated string")
    const value = text.slice(i + 1, end)
    i = end + 1
    return { value, triple: false }
  }
  for (;;) {
    skip()
    if (i >= n) break
    const kw = ident()
    if (kw === "grammar") {
      expect("::")
      const q = quoted()
      expect(";")
      parseRuleBlock(q.value, false, rules)
    } else if (kw === "action") {
      const name = ident()
      expect("{")
      let template: string | undefined
      let feedback: string | undefined
      for (;;) {
        skip()
        if (text[i] === "}") {
          i++
          break
        }
        const key = ident()
        expect("::")
        const q = quoted()
        expect(";")
        if (key === "template") template = q.value
        else if (key === "feedback") feedback = q.value
        else if (key === "grammar") parseRuleBlock(q.value, true, rules)
        else fail(`unknown action field '${key}'`)
      }
      if (template === undefined || feedback === undefined) fail(`action ${name} needs a template and a feedback`)
      actions.set(name.toLowerCase(), { template: template!, feedback: feedback! })
    } else {
      fail(`expected 'grammar' or 'action', found '${kw}'`)
    }
  }
  return { rules, actions }
}

// ---------------------------------------------------------------------------
// Right-hand sides

type Expr =
  | { readonly k: "str"; readonly s: string }
  | { readonly k: "var"; readonly v: string; readonly attr: string }
  | { readonly k: "or" | "plus"; readonly a: Expr; readonly b: Expr }
  | { readonly k: "rule"; readonly name: string }

export interface QueryAtom {
  readonly pred: string
  readonly negated: boolean
  readonly vars: ReadonlyArray<string>
}
export type Query = ReadonlyArray<QueryAtom>

type Sym =
  | { readonly k: "text"; readonly s: string }
  | { readonly k: "rule"; readonly name: string }
  | { readonly k: "expr"; readonly e: Expr }
  | { readonly k: "comp"; readonly e: Expr; readonly q: Query }
  | { readonly k: "list"; readonly items: ReadonlyArray<Sym> }

const SPECIAL = new Set([";", "|", '"', "<", ">", "[", "]", "#", "{", "}"])

const parseExpr = (src: string): Expr => {
  const s = src.trim()
  if (s.length > 1 && s.startsWith("#") && s.endsWith("#")) return { k: "rule", name: s.slice(1, -1) }
  const toks: Array<string> = []
  const re = /\s*('[^']*'|[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)?|\+)/y
  let at = 0
  while (at < s.length) {
    re.lastIndex = at
    const m = re.exec(s)
    if (m === null) {
      if (s.slice(at).trim() === "") break
      throw new GrammarError(`cannot read expression '${src}'`)
    }
    toks.push(m[1]!)
    at = re.lastIndex
  }
  let p = 0
  const atom = (): Expr => {
    const t = toks[p++]
    if (t === undefined || t === "+" || t === "or") throw new GrammarError(`cannot read expression '${src}'`)
    if (t.startsWith("'")) return { k: "str", s: t.slice(1, -1) }
    const dot = t.indexOf(".")
    return dot < 0 ? { k: "var", v: t, attr: "name" } : { k: "var", v: t.slice(0, dot), attr: t.slice(dot + 1) }
  }
  const plus = (): Expr => {
    let e = atom()
    while (toks[p] === "+") {
      p++
      e = { k: "plus", a: e, b: atom() }
    }
    return e
  }
  let e = plus()
  while (toks[p] === "or") {
    p++
    e = { k: "or", a: e, b: plus() }
  }
  if (p !== toks.length) throw new GrammarError(`cannot read expression '${src}'`)
  return e
}

export const parseQuery = (src: string): Query =>
  src.split("&").map((part) => {
    const m = /^\s*([A-Za-z_][\w]*)\s*\(([^)]*)\)\s*$/.exec(part)
    if (m === null) throw new GrammarError(`cannot read query '${src}'`)
    const name = m[1]!.toLowerCase()
    const vars = m[2]!.trim() === "" ? [] : m[2]!.split(",").map((a) => a.split(":")[0]!.trim())
    return name.startsWith("not_")
      ? { pred: name.slice(4), negated: true, vars }
      : { pred: name, negated: false, vars }
  })

/** Parses a right-hand side into symbols. */
export const parseRhs = (src: string): ReadonlyArray<Sym> => {
  let i = 0
  const read = (closing: string | undefined): Array<Sym> => {
    const out: Array<Sym> = []
    while (i < src.length) {
      const c = src[i]!
      if (closing !== undefined && c === closing) {
        i++
        return out
      }
      if (c === "#") {
        const end = src.indexOf("#", i + 1)
        if (end < 0) throw new GrammarError(`unterminated #rule# in '${src}'`)
        out.push({ k: "rule", name: src.slice(i + 1, end) })
        i = end + 1
      } else if (c === "{") {
        const end = src.indexOf("}", i + 1)
        if (end < 0) throw new GrammarError(`unterminated {...} in '${src}'`)
        const inner = src.slice(i + 1, end)
        i = end + 1
        const bar = inner.indexOf("|")
        if (bar < 0) out.push({ k: "expr", e: parseExpr(inner) })
        else out.push({ k: "comp", e: parseExpr(inner.slice(0, bar)), q: parseQuery(inner.slice(bar + 1)) })
      } else if (c === "[") {
        i++
        out.push({ k: "list", items: read("]") })
      } else if (c === '"') {
        const end = src.indexOf('"', i + 1)
        if (end < 0) throw new GrammarError(`unterminated quote in '${src}'`)
        out.push({ k: "text", s: src.slice(i + 1, end) })
        i = end + 1
      } else if (SPECIAL.has(c)) {
        throw new GrammarError(`unexpected '${c}' in '${src}'`)
      } else {
        let j = i
        let text = ""
        while (j < src.length && !SPECIAL.has(src[j]!)) {
          if (src[j] !== "\t") text += src[j]
          j++
        }
        out.push({ k: "text", s: text })
        i = j
      }
    }
    if (closing !== undefined) throw new GrammarError(`missing '${closing}' in '${src}'`)
    return out
  }
  return read(undefined)
}

// ---------------------------------------------------------------------------
// Expansion

/** What the grammar needs to know about a game. */
export interface TextView {
  readonly state: State
  /** Predicate id by lower-case name. */
  readonly predId: ReadonlyMap<string, number>
  displayName(id: number): string
  rawId(id: number): string
}

/** Variable bindings: name -> constant id. */
export type Context = Map<string, number>

interface CompiledAlt {
  readonly rhs: ReadonlyArray<Sym>
  readonly condition: Query | undefined
}

const sortedKeys = (set: Iterable<number>): Array<number> => Array.from(set).sort((a, b) => a - b)

export class Grammar {
  private readonly compiled = new Map<string, ReadonlyArray<CompiledAlt>>()
  private readonly rhsCache = new Map<string, ReadonlyArray<Sym>>()

  constructor(readonly file: GrammarFile) {}

  private rule(name: string): ReadonlyArray<CompiledAlt> {
    let alts = this.compiled.get(name)
    if (alts === undefined) {
      const raw = this.file.rules.get(name)
      if (raw === undefined) throw new GrammarError(`unknown rule '#${name}#'`)
      alts = raw.map((a) => ({ rhs: parseRhs(a.rhs), condition: a.condition === undefined ? undefined : parseQuery(a.condition) }))
      this.compiled.set(name, alts)
    }
    return alts
  }

  rhs(src: string): ReadonlyArray<Sym> {
    let syms = this.rhsCache.get(src)
    if (syms === undefined) {
      syms = parseRhs(src)
      this.rhsCache.set(src, syms)
    }
    return syms
  }

  /** Expands a right-hand side text (a template or feedback string). */
  expand(src: string, view: TextView, ctx: Context): string {
    return this.syms(this.rhs(src), view, ctx)
  }

  expandRule(name: string, view: TextView, ctx: Context): string {
    for (const alt of this.rule(name)) {
      if (alt.condition === undefined || this.any(alt.condition, view, ctx)) return this.syms(alt.rhs, view, ctx)
    }
    throw new GrammarError(`no alternative of '#${name}#' applies`)
  }

  /** The predicates a right-hand side can query (through rules too), for caching decisions. */
  queriedPredicates(src: string): Set<string> {
    const out = new Set<string>()
    const seen = new Set<string>()
    const visit = (syms: ReadonlyArray<Sym>) => {
      for (const s of syms) {
        if (s.k === "rule") visitRule(s.name)
        else if (s.k === "list") visit(s.items)
        else if (s.k === "comp" || s.k === "expr") {
          if (s.k === "comp") for (const a of s.q) out.add(a.negated ? `not_${a.pred}` : a.pred)
          visitExpr(s.e)
        }
      }
    }
    const visitExpr = (e: Expr) => {
      if (e.k === "rule") visitRule(e.name)
      else if (e.k === "or" || e.k === "plus") {
        visitExpr(e.a)
        visitExpr(e.b)
      }
    }
    const visitRule = (name: string) => {
      if (seen.has(name)) return
      seen.add(name)
      visitRule0(name)
    }
    const visitRule0 = (name: string) => {
      for (const alt of this.rule(name)) {
        if (alt.condition !== undefined) for (const a of alt.condition) out.add(a.negated ? `not_${a.pred}` : a.pred)
        visit(alt.rhs)
      }
    }
    visit(this.rhs(src))
    return out
  }

  private syms(syms: ReadonlyArray<Sym>, view: TextView, ctx: Context): string {
    let out = ""
    for (const s of syms) {
      switch (s.k) {
        case "text":
          out += s.s
          break
        case "rule":
          out += this.expandRule(s.name, view, ctx)
          break
        case "expr":
          out += this.expr(s.e, view, ctx)
          break
        case "comp":
          for (const item of this.comp(s, view, ctx)) out += item
          break
        case "list":
          out += this.list(s.items, view, ctx)
          break
      }
    }
    return out
  }

  private list(items: ReadonlyArray<Sym>, view: TextView, ctx: Context): string {
    const parts: Array<string> = []
    for (const s of items) {
      if (s.k === "comp") parts.push(...this.comp(s, view, ctx))
      else if (s.k === "text" && s.s.trim() === "") continue
      else parts.push(this.syms([s], view, ctx))
    }
    if (parts.length === 0) return this.expandRule("list_empty", view, ctx)
    if (parts.length === 1) return parts[0]!
    const sep = this.expandRule("list_separator", view, ctx)
    const last = this.expandRule("list_last_separator", view, ctx)
    return parts.slice(0, -1).join(sep) + last + parts[parts.length - 1]!
  }

  private comp(s: { readonly e: Expr; readonly q: Query }, view: TextView, ctx: Context): Array<string> {
    const out: Array<string> = []
    this.enumerate(s.q, view, ctx, (c) => {
      out.push(this.expr(s.e, view, c))
      return false
    })
    return out
  }

  private expr(e: Expr, view: TextView, ctx: Context): string {
    switch (e.k) {
      case "str":
        return e.s
      case "rule":
        return this.expandRule(e.name, view, ctx)
      case "plus":
        return this.expr(e.a, view, ctx) + this.expr(e.b, view, ctx)
      case "or": {
        const a = this.expr(e.a, view, ctx)
        return a !== "" ? a : this.expr(e.b, view, ctx)
      }
      case "var": {
        const id = ctx.get(e.v)
        if (id === undefined) throw new GrammarError(`variable '${e.v}' is not bound`)
        if (e.attr === "name") return view.displayName(id)
        if (e.attr === "id") return view.rawId(id)
        if (e.attr === "indefinite") return "a"
        throw new GrammarError(`unknown attribute '${e.v}.${e.attr}'`)
      }
    }
  }

  /** Whether a query has a solution in the context. */
  any(q: Query, view: TextView, ctx: Context): boolean {
    let found = false
    this.enumerate(q, view, ctx, () => (found = true))
    return found
  }

  /**
   * Enumerates the solutions of a query, conjunct by conjunct, each conjunct's
   * facts in ascending argument-id order. A variable bound for the first time
   * may not take a value another bound variable already has.
   */
  enumerate(q: Query, view: TextView, ctx: Context, found: (ctx: Context) => boolean): boolean {
    const state = view.state
    const n = state.n
    const tuple: Array<number> = []
    const go = (k: number, c: Context): boolean => {
      if (k === q.length) return found(c)
      const atom = q[k]!
      const p = view.predId.get(atom.pred)
      if (p === undefined) return false
      const table = (atom.negated ? state.neg : state.pos)[p]!
      if (table.arity !== atom.vars.length) throw new GrammarError(`predicate '${atom.pred}' takes ${table.arity} argument(s)`)
      let source: Iterable<number> = table.keys
      if (table.arity >= 2) {
        for (let j = 0; j < atom.vars.length; j++) {
          const b = c.get(atom.vars[j]!)
          if (b !== undefined) {
            source = table.byArg[j]!.get(b) ?? []
            break
          }
        }
      }
      for (const key of sortedKeys(source)) {
        decode(key, n, tuple, table.arity)
        let next: Context | undefined
        let ok = true
        for (let j = 0; j < atom.vars.length; j++) {
          const v = atom.vars[j]!
          const a = tuple[j]!
          const cur = (next ?? c).get(v)
          if (cur !== undefined) {
            if (cur !== a) { ok = false; break }
            continue
          }
          for (const val of (next ?? c).values()) if (val === a) { ok = false; break }
          if (!ok) break
          if (next === undefined) next = new Map(c)
          next.set(v, a)
        }
        if (ok && go(k + 1, next ?? c)) return true
      }
      return false
    }
    return go(0, ctx)
  }
}
