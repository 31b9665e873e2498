/**
 * Schema failures as one line a person can act on: each problem as
 * `field: what was expected` (`turns[0].action: Expected string`). Where a
 * value matches no member of a union, the member it came closest to (the
 * one whose problem lies deepest in the value) is the one described, so a
 * record with one bad field is not reported as "Expected A | B".
 */
import type { Schema } from "effect"
import { SchemaIssue } from "effect"

/** `["turns", 0, "action"]` → `turns[0].action`. */
export const formatPath = (p: ReadonlyArray<PropertyKey>): string =>
  p.map((k, i) =>
    typeof k === "number" ? `[${k}]`
    : typeof k === "string" && /^[A-Za-z_$][\w$]*$/.test(k) ? (i === 0 ? k : `.${k}`)
    : `[${JSON.stringify(String(k))}]`
  ).join("")

const clip = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text)

const issueFormatter = SchemaIssue.makeFormatterStandardSchemaV1()

/** A union of tagged structs is named by its tags: `Expected an object with _tag "base" | "sft" | ...`. */
const tagged = (message: string): string => {
  if (!message.startsWith("Expected { readonly \"_tag\"")) return message
  const tags = [...message.matchAll(/"_tag": ("[^"]*")/g)].map((m) => m[1])
  return `Expected an object with _tag ${tags.join(" | ")}`
}

/** How deep into the value the problem lies. */
const depth = (issue: SchemaIssue.Issue): number => {
  switch (issue._tag) {
    case "Pointer":
      return issue.path.length + depth(issue.issue)
    case "Composite":
    case "AnyOf":
      return Math.max(0, ...issue.issues.map(depth))
    default:
      return 0
  }
}

interface Problem {
  readonly path: ReadonlyArray<PropertyKey>
  readonly message: string
}

const problems = (issue: SchemaIssue.Issue, at: ReadonlyArray<PropertyKey>): Array<Problem> => {
  switch (issue._tag) {
    case "Pointer":
      return problems(issue.issue, [...at, ...issue.path])
    case "Composite":
      return issue.issues.flatMap((i) => problems(i, at))
    case "AnyOf":
      if (issue.issues.length > 0) {
        const closest = issue.issues.reduce((a, b) => (depth(b) > depth(a) ? b : a))
        return problems(closest, at)
      }
  }
  return issueFormatter(issue).issues.map((i) => ({
    path: [...at, ...(i.path ?? []).map((k) => (typeof k === "object" && k !== null && "key" in k ? k.key : k))],
    message: i.message
  }))
}

/** One line for a schema failure: the first three problems, and how many more there are. */
export const describeSchemaError = (error: Schema.SchemaError | SchemaIssue.Issue): string => {
  const all = problems(SchemaIssue.isIssue(error) ? error : error.issue, [])
  const parts = all.slice(0, 3).map((p) => {
    const message = clip(tagged(p.message.replace(/\s+/g, " ").trim()), 160)
    const at = formatPath(p.path)
    return at === "" ? message : `${at}: ${message}`
  })
  const more = all.length > 3 ? ` (and ${all.length - 3} more)` : ""
  return parts.length === 0 ? "does not match the expected form" : `${parts.join("; ")}${more}`
}
