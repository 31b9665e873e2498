/**
 * Tagged errors shared across packages. Each carries enough context for one
 * clear line on the command line (`message`).
 */
import { Data } from "effect"

/** A data file is missing, unreadable or malformed. */
export class DataFileError extends Data.TaggedError("DataFileError")<{
  readonly path: string
  readonly line?: number | undefined
  readonly reason: string
  readonly hint?: string | undefined
}> {
  override get message(): string {
    const file = this.path === "" || /[\u0000-\u001f]/.test(this.path) ? JSON.stringify(this.path) : this.path
    const where = this.line === undefined ? file : `${file}:${this.line}`
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
