/**
 * Tagged errors shared across packages. Each carries enough context for one
 * clear line on the command line (`message`).
 */
import { Data, type Schema, SchemaIssue } from "effect"

/** A data file is missing, unreadable or malformed. */
export class DataFileError extends Data.TaggedError("DataFileError")<{
  readonly path: string
  readonly line?: number | undefined
  readonly reason: string
  readonly hint?: string | undefined
}> {
  override get message(): string {
    const where = this.line === undefined ? this.path : `${this.path}:${this.line}`
    return oneLine(`${where}: ${this.reason}${this.hint ? ` (${this.hint})` : ""}`)
  }
}

export class UnknownTask extends Data.TaggedError("UnknownTask")<{
  readonly env: string
  readonly id: string
}> {
  override get message(): string {
    return oneLine(`${this.env}: no task with id '${this.id}'`)
  }
}

export class UnknownSplit extends Data.TaggedError("UnknownSplit")<{
  readonly env: string
  readonly split: string
  readonly known: ReadonlyArray<string>
}> {
  override get message(): string {
    return oneLine(`${this.env}: unknown split '${this.split}' (known: ${this.known.join(", ")})`)
  }
}

/** Bad user input (flags, config values) that is not a file problem. */
export class InvalidInput extends Data.TaggedError("InvalidInput")<{
  readonly reason: string
}> {
  override get message(): string {
    return oneLine(this.reason)
  }
}

/** Text on one line: each line break, with the white space around it, becomes one space. */
export const oneLine = (text: string): string => text.replace(/\s*[\r\n\u2028\u2029]+\s*/g, " ").trim()

/** `["turns", 0, "action"]` → `turns[0].action`. */
export const formatPath = (p: ReadonlyArray<PropertyKey>): string =>
  p.map((k, i) =>
    typeof k === "number" ? `[${k}]`
    : typeof k === "string" && /^[A-Za-z_$][\w$]*$/.test(k) ? (i === 0 ? k : `.${k}`)
    : `[${JSON.stringify(String(k))}]`
  ).join("")

const clip = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text)

const issueFormatter = SchemaIssue.makeFormatterStandardSchemaV1()

/** A union of tagged structs is named by its tags: `Expected _tag "base" | "sft" | ...`. */
const tagged = (message: string): string => {
  if (!message.startsWith("Expected { readonly \"_tag\"")) return message
  const tags = [...message.matchAll(/"_tag": ("[^"]*")/g)].map((m) => m[1])
  return `Expected an object with _tag ${tags.join(" | ")}`
}

/**
 * One line for a schema failure: each problem as `field: what was expected`
 * (`turns[0].action: Expected string`), the first three of them, and how many
 * more there are.
 */
export const describeSchemaError = (error: Schema.SchemaError | SchemaIssue.Issue): string => {
  const issue = SchemaIssue.isIssue(error) ? error : error.issue
  const issues = issueFormatter(issue).issues
  const parts = issues.slice(0, 3).map((i) => {
    const message = clip(tagged(i.message.replace(/\s+/g, " ").trim()), 160)
    const at = formatPath((i.path ?? []).map((k) => (typeof k === "object" && k !== null && "key" in k ? k.key : k)))
    return at === "" ? message : `${at}: ${message}`
  })
  const more = issues.length > 3 ? ` (and ${issues.length - 3} more)` : ""
  return parts.length === 0 ? "does not match the expected form" : `${parts.join("; ")}${more}`
}
