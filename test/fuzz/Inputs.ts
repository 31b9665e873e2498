/**
 * Input generators shared by the fuzz targets: nasty text pieces, string
 * edits (insert, delete, replace, truncate, duplicate, case, wrap) and
 * structural mutations of JSON values (a field set to another value or
 * type, removed, or joined by an unknown one).
 */
import fc from "fast-check"

/** Characters and pieces that parsers tend to trip over. */
export const NASTY = [
  "", " ", "  ", "\t", "\n", "\r\n", "[", "]", "[[", "]]", "[]", "{", "}", "\"", "'", "\\", ":", "Action: ", "Thought: ",
  "0", "-1", "1e309", "NaN", "null", "9".repeat(20), "\u0000", "\uFEFF", "\u202E", "é", "İ", "ß", "ﬁ", "😀", "\uD800",
  "a", "an", "the", "to", "in", "on", "into", "from", "with", "1", "2", ">", "<", "%", "$", "#"
] as const

export const nastyText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...NASTY),
  fc.string({ maxLength: 8 }),
  fc.string({ unit: "binary", maxLength: 6 })
)

/** One edit of a string; positions are fractions of its current length. */
export type Edit =
  | { readonly op: "insert"; readonly at: number; readonly text: string }
  | { readonly op: "delete"; readonly at: number; readonly length: number }
  | { readonly op: "replace"; readonly at: number; readonly text: string }
  | { readonly op: "truncate"; readonly at: number }
  | { readonly op: "duplicate"; readonly at: number; readonly length: number }
  | { readonly op: "case" }
  | { readonly op: "wrap"; readonly left: string; readonly right: string }

const fraction = fc.double({ min: 0, max: 1, noNaN: true })

export const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ op: fc.constant("insert" as const), at: fraction, text: nastyText }),
  fc.record({ op: fc.constant("delete" as const), at: fraction, length: fc.integer({ min: 1, max: 6 }) }),
  fc.record({ op: fc.constant("replace" as const), at: fraction, text: nastyText }),
  fc.record({ op: fc.constant("truncate" as const), at: fraction }),
  fc.record({ op: fc.constant("duplicate" as const), at: fraction, length: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ op: fc.constant("case" as const) }),
  fc.record({ op: fc.constant("wrap" as const), left: nastyText, right: nastyText })
)

export const applyEdit = (s: string, e: Edit): string => {
  const pos = (at: number) => Math.min(s.length, Math.floor(at * (s.length + 1)))
  switch (e.op) {
    case "insert":
      return s.slice(0, pos(e.at)) + e.text + s.slice(pos(e.at))
    case "delete":
      return s.slice(0, pos(e.at)) + s.slice(pos(e.at) + e.length)
    case "replace":
      return s.slice(0, pos(e.at)) + e.text + s.slice(pos(e.at) + e.text.length)
    case "truncate":
      return s.slice(0, pos(e.at))
    case "duplicate":
      return s.slice(0, pos(e.at) + e.length) + s.slice(pos(e.at))
    case "case":
      return s === s.toUpperCase() ? s.toLowerCase() : s.toUpperCase()
    case "wrap":
      return e.left + s + e.right
  }
}

export const applyEdits = (s: string, edits: ReadonlyArray<Edit>): string => edits.reduce(applyEdit, s)

/** Strings derived from `base` by up to `max` edits. */
export const mutated = (base: fc.Arbitrary<string>, max = 4): fc.Arbitrary<string> =>
  fc.tuple(base, fc.array(edit, { minLength: 1, maxLength: max })).map(([s, es]) => applyEdits(s, es))

// ---------------------------------------------------------------------------
// JSON values

export type JsonMutation =
  | { readonly op: "set"; readonly pick: number; readonly value: unknown }
  | { readonly op: "delete"; readonly pick: number }
  | { readonly op: "add"; readonly pick: number; readonly key: string; readonly value: unknown }
  | { readonly op: "retype"; readonly pick: number }

const jsonish: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(null, "", 0, -1, 1.5, 1e300, -0, true, [], {}, "NaN", "1", [null], { _tag: "x" })
)

export const jsonMutation: fc.Arbitrary<JsonMutation> = fc.oneof(
  fc.record({ op: fc.constant("set" as const), pick: fc.nat(), value: jsonish }),
  fc.record({ op: fc.constant("delete" as const), pick: fc.nat() }),
  fc.record({ op: fc.constant("add" as const), pick: fc.nat(), key: fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom("_tag", "__proto__", "constructor", "id")), value: jsonish }),
  fc.record({ op: fc.constant("retype" as const), pick: fc.nat() })
)

type Path = ReadonlyArray<string | number>

const pathsOf = (v: unknown, at: Path = [], out: Array<Path> = []): Array<Path> => {
  out.push(at)
  if (Array.isArray(v)) v.forEach((x, i) => pathsOf(x, [...at, i], out))
  else if (typeof v === "object" && v !== null) for (const [k, x] of Object.entries(v)) pathsOf(x, [...at, k], out)
  return out
}

const retype = (v: unknown): unknown =>
  typeof v === "string" ? v.length
  : typeof v === "number" ? String(v)
  : typeof v === "boolean" ? String(v)
  : v === null || v === undefined ? 0
  : Array.isArray(v) ? Object.fromEntries(v.map((x, i) => [String(i), x]))
  : Object.values(v as object)

/** A deep copy of `value` with one mutation applied at the path chosen by `pick`. */
export const applyJsonMutation = (value: unknown, m: JsonMutation): unknown => {
  const root = { v: structuredClone(value) as unknown }
  const paths = pathsOf(root.v)
  const at = paths[m.pick % paths.length]!
  let parent: any = root
  let key: string | number = "v"
  for (const k of at) {
    parent = parent[key]
    key = k
  }
  const here = parent[key]
  switch (m.op) {
    case "set":
      parent[key] = structuredClone(m.value)
      break
    case "retype":
      parent[key] = retype(here)
      break
    case "delete":
      if (Array.isArray(parent)) parent.splice(key as number, 1)
      else if (parent !== root) delete parent[key]
      else root.v = undefined
      break
    case "add":
      if (typeof here === "object" && here !== null && !Array.isArray(here)) {
        Object.defineProperty(here, m.key, { value: structuredClone(m.value), enumerable: true, writable: true, configurable: true })
      } else if (Array.isArray(here)) here.push(structuredClone(m.value))
      else parent[key] = { [m.key]: here }
  }
  return root.v
}

/** JSON texts derived from `samples`: structural mutations, then (sometimes) text edits of the result. */
export const mutatedJson = (samples: ReadonlyArray<unknown>, indent?: number): fc.Arbitrary<string> =>
  fc.tuple(
    fc.nat({ max: samples.length - 1 }),
    fc.array(jsonMutation, { maxLength: 3 }),
    fc.array(edit, { maxLength: 2 })
  ).map(([i, ms, es]) => applyEdits(JSON.stringify(ms.reduce(applyJsonMutation, samples[i]!), null, indent) ?? "", es))
