/**
 * PDDL reading: a tokenizer, an s-expression reader and the compilation of
 * the subset ALFWorld's files use (typing, predicates, action costs, `and` /
 * `or` / `not` / `exists` / `=` conditions, `when` effects) into plain data.
 *
 * Lexical rules follow the original tool chain: input is lower-cased, `;`
 * starts a comment, `(` `)` and whitespace separate tokens, `?` starts a new
 * token, and a comma stays glued to the word before it.
 */

export class PddlError extends Error {}

export type SExpr = string | Array<SExpr>

/** Tokenizes and reads every top-level s-expression of a PDDL text. */
export const readSExprs = (text: string): Array<SExpr> => {
  const src = text.toLowerCase()
  const root: Array<SExpr> = []
  const stack: Array<Array<SExpr>> = [root]
  let i = 0
  const n = src.length
  while (i < n) {
    const c = src.charCodeAt(i)
    if (c === 59 /* ; */) {
      while (i < n && src.charCodeAt(i) !== 10) i++
      continue
    }
    if (c === 40 /* ( */) {
      const list: Array<SExpr> = []
      stack[stack.length - 1]!.push(list)
      stack.push(list)
      i++
      continue
    }
    if (c === 41 /* ) */) {
      if (stack.length === 1) throw new PddlError(`unbalanced ')' at offset ${i}`)
      stack.pop()
      i++
      continue
    }
    if (c === 32 || c === 10 || c === 13 || c === 9 || c === 12) {
      i++
      continue
    }
    const start = i
    i++
    while (i < n) {
      const d = src.charCodeAt(i)
      if (d === 40 || d === 41 || d === 59 || d === 63 /* ? */ || d === 32 || d === 10 || d === 13 || d === 9 || d === 12) break
      i++
    }
    stack[stack.length - 1]!.push(src.slice(start, i))
  }
  if (stack.length !== 1) throw new PddlError(`unbalanced '(': ${stack.length - 1} list(s) not closed`)
  return root
}

const isList = (e: SExpr | undefined): e is Array<SExpr> => Array.isArray(e)
const word = (e: SExpr | undefined, what: string): string => {
  if (typeof e !== "string") throw new PddlError(`expected ${what}, found ${e === undefined ? "end of list" : "a list"}`)
  return e
}

export interface TypedName {
  readonly name: string
  readonly type: string
}

/** Reads `a b - t c - u d` (untyped names default to `object`). */
export const typedList = (items: ReadonlyArray<SExpr>): Array<TypedName> => {
  const out: Array<TypedName> = []
  let pending: Array<string> = []
  for (let i = 0; i < items.length; i++) {
    const w = word(items[i], "a name")
    if (w === "-") {
      const type = word(items[i + 1], "a type after '-'")
      for (const p of pending) out.push({ name: p, type })
      pending = []
      i++
    } else {
      pending.push(w)
    }
  }
  for (const p of pending) out.push({ name: p, type: "object" })
  return out
}

// ---------------------------------------------------------------------------
// Formulas

/** A term: a variable (`?x`, stored without the `?`) or a constant name. */
export interface Term {
  readonly variable: boolean
  readonly name: string
}

export type Formula =
  | { readonly kind: "true" }
  | { readonly kind: "atom"; readonly pred: string; readonly args: ReadonlyArray<Term> }
  | { readonly kind: "eq"; readonly left: Term; readonly right: Term }
  | { readonly kind: "not"; readonly body: Formula }
  | { readonly kind: "and"; readonly parts: ReadonlyArray<Formula> }
  | { readonly kind: "or"; readonly parts: ReadonlyArray<Formula> }
  | { readonly kind: "exists"; readonly vars: ReadonlyArray<TypedName>; readonly body: Formula }

const term = (e: SExpr | undefined): Term => {
  const w = word(e, "a term")
  return w.startsWith("?") ? { variable: true, name: w.slice(1) } : { variable: false, name: w }
}

const varList = (items: ReadonlyArray<SExpr>): Array<TypedName> =>
  typedList(items).map((v) => {
    if (!v.name.startsWith("?")) throw new PddlError(`expected a variable, found '${v.name}'`)
    return { name: v.name.slice(1), type: v.type }
  })

/** Parses a goal description / precondition. */
export const parseFormula = (e: SExpr): Formula => {
  if (!isList(e)) throw new PddlError(`expected a formula, found '${e}'`)
  if (e.length === 0) return { kind: "true" }
  const head = word(e[0], "a formula head")
  switch (head) {
    case "and":
      return { kind: "and", parts: e.slice(1).map(parseFormula) }
    case "or":
      return { kind: "or", parts: e.slice(1).map(parseFormula) }
    case "not":
      if (e.length !== 2) throw new PddlError("'not' takes one formula")
      return { kind: "not", body: parseFormula(e[1]!) }
    case "exists": {
      if (e.length !== 3 || !isList(e[1])) throw new PddlError("'exists' takes a variable list and a formula")
      return { kind: "exists", vars: varList(e[1]), body: parseFormula(e[2]!) }
    }
    case "=":
      if (e.length !== 3) throw new PddlError("'=' takes two terms")
      return { kind: "eq", left: term(e[1]), right: term(e[2]) }
    case "forall":
    case "imply":
    case "when":
      throw new PddlError(`'${head}' is not supported in conditions`)
    default:
      return { kind: "atom", pred: head, args: e.slice(1).map(term) }
  }
}

export interface Literal {
  readonly negated: boolean
  readonly pred: string
  readonly args: ReadonlyArray<Term>
}

export type Effect =
  | { readonly kind: "lit"; readonly lit: Literal }
  | { readonly kind: "when"; readonly condition: Formula; readonly effects: ReadonlyArray<Literal> }

const literal = (e: SExpr): Literal => {
  if (!isList(e) || e.length === 0) throw new PddlError("expected an effect literal")
  if (e[0] === "not") {
    const inner = e[1]
    if (e.length !== 2 || !isList(inner) || inner.length === 0) throw new PddlError("'not' in an effect takes one atom")
    return { negated: true, pred: word(inner[0], "a predicate"), args: inner.slice(1).map(term) }
  }
  return { negated: false, pred: word(e[0], "a predicate"), args: e.slice(1).map(term) }
}

const COST_OPS = new Set(["increase", "decrease", "assign", "scale-up", "scale-down"])

/** Flattens an effect into literals and conditional effects; cost updates are dropped. */
export const parseEffect = (e: SExpr, out: Array<Effect> = []): Array<Effect> => {
  if (!isList(e)) throw new PddlError(`expected an effect, found '${e}'`)
  if (e.length === 0) return out
  const head = word(e[0], "an effect head")
  if (head === "and") {
    for (const part of e.slice(1)) parseEffect(part, out)
  } else if (COST_OPS.has(head)) {
    // numeric fluents (action costs) never influence play: no metric is given
  } else if (head === "when") {
    if (e.length !== 3) throw new PddlError("'when' takes a condition and an effect")
    const inner: Array<Effect> = []
    parseEffect(e[2]!, inner)
    const effects = inner.map((x) => {
      if (x.kind !== "lit") throw new PddlError("nested 'when' is not supported")
      return x.lit
    })
    out.push({ kind: "when", condition: parseFormula(e[1]!), effects })
  } else if (head === "forall") {
    throw new PddlError("'forall' effects are not supported")
  } else {
    out.push({ kind: "lit", lit: literal(e) })
  }
  return out
}

// ---------------------------------------------------------------------------
// Domain and problem

export interface ActionSchema {
  readonly name: string
  readonly params: ReadonlyArray<TypedName>
  readonly precondition: Formula
  readonly effects: ReadonlyArray<Effect>
}

export interface Domain {
  readonly name: string
  readonly types: ReadonlyMap<string, string>
  readonly constants: ReadonlyArray<TypedName>
  readonly predicates: ReadonlyMap<string, number>
  readonly actions: ReadonlyArray<ActionSchema>
}

const sections = (items: ReadonlyArray<SExpr>): Map<string, Array<Array<SExpr>>> => {
  const out = new Map<string, Array<Array<SExpr>>>()
  for (const item of items) {
    if (!isList(item) || typeof item[0] !== "string") throw new PddlError("expected a (:section ...)")
    const key = item[0]
    const list = out.get(key) ?? []
    list.push(item)
    out.set(key, list)
  }
  return out
}

const single = (exprs: Array<SExpr>, what: string): Array<SExpr> => {
  const defs = exprs.filter(isList)
  if (defs.length !== 1 || defs[0]![0] !== "define") throw new PddlError(`expected exactly one (define ...) of a ${what}`)
  return defs[0]!
}

export const parseDomain = (text: string): Domain => {
  const def = single(readSExprs(text), "domain")
  const header = def[1]
  if (!isList(header) || header[0] !== "domain") throw new PddlError("expected (domain <name>) after define")
  const secs = sections(def.slice(2))
  const types = new Map<string, string>()
  for (const t of secs.get(":types") ?? []) for (const tn of typedList(t.slice(1))) types.set(tn.name, tn.type)
  const constants = (secs.get(":constants") ?? []).flatMap((c) => typedList(c.slice(1)))
  const predicates = new Map<string, number>()
  for (const p of secs.get(":predicates") ?? []) {
    for (const decl of p.slice(1)) {
      if (!isList(decl) || decl.length === 0) throw new PddlError("bad predicate declaration")
      predicates.set(word(decl[0], "a predicate name"), varList(decl.slice(1)).length)
    }
  }
  const actions: Array<ActionSchema> = []
  for (const a of secs.get(":action") ?? []) {
    const name = word(a[1], "an action name")
    let params: Array<TypedName> = []
    let precondition: Formula = { kind: "true" }
    let effects: Array<Effect> = []
    try {
      for (let i = 2; i < a.length; i += 2) {
        const key = word(a[i], "an action keyword")
        const value = a[i + 1]
        if (value === undefined) throw new PddlError(`${key} has no value`)
        if (key === ":parameters") {
          if (!isList(value)) throw new PddlError(":parameters expects a list")
          params = varList(value)
        } else if (key === ":precondition") precondition = parseFormula(value)
        else if (key === ":effect") effects = parseEffect(value)
        else throw new PddlError(`unknown action keyword ${key}`)
      }
    } catch (e) {
      throw new PddlError(`action ${name}: ${(e as Error).message}`)
    }
    actions.push({ name, params, precondition, effects })
  }
  return { name: word(header[1], "a domain name"), types, constants, predicates, actions }
}

/**
 * Reads a problem in one pass. `onObjects` receives the declared objects and
 * returns the constant names in id order; `:init` atoms are then handed to
 * `onAtom` as they are read, with their arguments already turned into ids
 * (the problems are large, so arguments are matched in place, without
 * intermediate strings or lists).
 */
export const readProblem = (
  text: string,
  predicates: ReadonlyArray<string>,
  onObjects: (objects: ReadonlyArray<TypedName>) => ReadonlyArray<string>,
  onAtom: (pred: number, args: ReadonlyArray<number>) => void
): { name: string; goal: Formula } => {
  const src = text.toLowerCase()
  const n = src.length
  let i = 0
  let tokenStart = 0
  let tokenHash = 0
  let tokenHash2 = 0
  /** Skips blanks and comments; returns the next character code or -1 at the end. */
  // the scanning loops work on a local copy of the position (closure variables are slow in hot loops)
  const peek = (): number => {
    let j = i
    for (;;) {
      let c = -1
      while (j < n) {
        c = src.charCodeAt(j)
        if (c === 32 || c === 10 || c === 13 || c === 9 || c === 12) j++
        else break
      }
      if (j >= n) {
        i = j
        return -1
      }
      if (c !== 59) {
        i = j
        return c
      }
      while (j < n && src.charCodeAt(j) !== 10) j++
    }
  }
  /** Scans a word starting at `i`, leaving its bounds and hash in tokenStart / i / tokenHash. */
  const scanWord = () => {
    let j = i
    tokenStart = j
    const c0 = src.charCodeAt(j)
    let h = Math.imul(0x811c9dc5 ^ c0, 0x01000193)
    let h2 = Math.imul(0x2f0b3c1d ^ c0, 0x5bd1e995)
    j++
    while (j < n) {
      const d = src.charCodeAt(j)
      if (d === 40 || d === 41 || d === 59 || d === 63 || d === 32 || d === 10 || d === 13 || d === 9 || d === 12) break
      h = Math.imul(h ^ d, 0x01000193)
      h2 = Math.imul(h2 ^ d, 0x5bd1e995)
      j++
    }
    i = j
    // small integers: no boxed numbers as map keys
    tokenHash = h & 0x3fffffff
    tokenHash2 = h2 & 0x3fffffff
  }
  /** Next token: "(" | ")" | a word | "" at the end. */
  const next = (): string => {
    const c = peek()
    if (c === -1) return ""
    if (c === 40) {
      i++
      return "("
    }
    if (c === 41) {
      i++
      return ")"
    }
    scanWord()
    return src.slice(tokenStart, i)
  }
  // Words are matched by two independent 30-bit hashes computed while scanning, so an argument
  // needs no character comparison unless two declared names share the first hash.
  const hashOf = (name: string): number => {
    let h = 0x811c9dc5
    for (let k = 0; k < name.length; k++) h = Math.imul(h ^ name.charCodeAt(k), 0x01000193)
    return h & 0x3fffffff
  }
  const hash2Of = (name: string): number => {
    let h = 0x2f0b3c1d
    for (let k = 0; k < name.length; k++) h = Math.imul(h ^ name.charCodeAt(k), 0x5bd1e995)
    return h & 0x3fffffff
  }
  interface Table {
    readonly byHash: Map<number, number | Array<number>>
    readonly hash2: Int32Array
    readonly names: ReadonlyArray<string>
  }
  const table = (list: ReadonlyArray<string>): Table => {
    const byHash = new Map<number, number | Array<number>>()
    const hash2 = new Int32Array(list.length)
    list.forEach((name, id) => {
      const h = hashOf(name)
      hash2[id] = hash2Of(name)
      const prev = byHash.get(h)
      byHash.set(h, prev === undefined ? id : typeof prev === "number" ? [prev, id] : [...prev, id])
    })
    return { byHash, hash2, names: list }
  }
  const predHash = table(predicates)
  let objectTable = table([])
  /** The index of the word just scanned in a table's names, or -1. */
  const lookup = (t: Table): number => {
    const hit = t.byHash.get(tokenHash)
    if (hit === undefined) return -1
    if (typeof hit === "number") return t.hash2[hit] === tokenHash2 && t.names[hit]!.length === i - tokenStart ? hit : -1
    for (const id of hit) if (sameAt(t.names[id]!, i - tokenStart)) return id
    return -1
  }
  /** Whether the word just scanned is `name` (compared in place, from the end: ids share long prefixes). */
  const sameAt = (name: string, len: number): boolean => {
    if (name.length !== len) return false
    const start = tokenStart
    for (let k = len - 1; k >= 0; k--) if (name.charCodeAt(k) !== src.charCodeAt(start + k)) return false
    return true
  }
  const expect = (want: string) => {
    const t = next()
    if (t !== want) throw new PddlError(`expected '${want}', found '${t === "" ? "end of text" : t}'`)
  }
  /** Skips to the ')' closing the list whose '(' was just read; returns the list's text. */
  const skipList = (from: number): string => {
    let depth = 1
    for (;;) {
      const t = next()
      if (t === "") throw new PddlError("unbalanced '(' in the problem")
      if (t === "(") depth++
      else if (t === ")" && --depth === 0) return src.slice(from, i)
    }
  }
  expect("(")
  expect("define")
  expect("(")
  expect("problem")
  const name = next()
  expect(")")
  let goal: Formula | undefined
  let objectsSeen = false
  for (;;) {
    const t = next()
    if (t === ")") break
    if (t !== "(") throw new PddlError(`expected a (:section ...), found '${t === "" ? "end of text" : t}'`)
    const key = next()
    if (key === ":objects") {
      const words: Array<string> = []
      for (let w = next(); w !== ")"; w = next()) {
        if (w === "" || w === "(") throw new PddlError("bad :objects list")
        words.push(w)
      }
      objectTable = table(onObjects(typedList(words)))
      objectsSeen = true
    } else if (key === ":init") {
      if (!objectsSeen) throw new PddlError(":init before :objects")
      const args: Array<number> = []
      for (let t2 = next(); t2 !== ")"; t2 = next()) {
        if (t2 !== "(") throw new PddlError(`expected an atom in :init, found '${t2 === "" ? "end of text" : t2}'`)
        const c0 = peek()
        if (c0 === 40 || c0 === 41 || c0 === -1) throw new PddlError("expected a predicate in :init")
        scanWord()
        const pred = lookup(predHash)
        if (pred < 0) {
          const word = src.slice(tokenStart, i)
          if (word === "=" || word === "not") throw new PddlError(`'${word}' is not supported in :init`)
          throw new PddlError(`undeclared predicate '${word}' in :init`)
        }
        args.length = 0
        for (;;) {
          const c = peek()
          if (c === 41) {
            i++
            break
          }
          if (c === 40 || c === -1) throw new PddlError(`bad arguments of '${predicates[pred]}' in :init`)
          scanWord()
          const id = lookup(objectTable)
          if (id < 0) throw new PddlError(`undeclared object '${src.slice(tokenStart, i)}' in :init`)
          args.push(id)
        }
        onAtom(pred, args)
      }
    } else if (key === ":goal") {
      const from = i
      const body = readSExprs(skipList(from).slice(0, -1))
      if (body.length !== 1) throw new PddlError("expected one formula in :goal")
      goal = parseFormula(body[0]!)
    } else if (key === ":metric") {
      // a metric would make costs matter; the games have none
      throw new PddlError(":metric is not supported")
    } else if (key === ":domain" || key === ":requirements") {
      skipList(i)
    } else {
      throw new PddlError(`unknown problem section '${key}'`)
    }
  }
  if (next() !== "") throw new PddlError("text after the end of the problem")
  if (goal === undefined) throw new PddlError("the problem has no :goal")
  return { name, goal }
}
