/**
 * Errors of the command line itself, and how any failure becomes the one line
 * a user sees.
 */
import { Data } from "effect"
import type { CliError } from "effect/cli"

/** A command ran but did not succeed as a whole (e.g. an environment could not be loaded). */
export class CommandFailed extends Data.TaggedError("CommandFailed")<{ readonly reason: string }> {
  override get message(): string {
    return this.reason
  }
}

const oneLine = (text: string): string => text.replace(/\s*\n\s*/g, " ").trim()

const suggest = (suggestions: ReadonlyArray<string>): string =>
  suggestions.length > 0 ? ` (did you mean ${suggestions.join(" or ")}?)` : ""

/** One line describing a parse error of effect/cli. */
export const describeCliError = (error: CliError.CliError): string => {
  switch (error._tag) {
    case "UnrecognizedOption":
      return `unknown flag ${error.option}${suggest(error.suggestions)}`
    case "UnknownSubcommand":
      return `unknown command '${error.subcommand}'${suggest(error.suggestions)}`
    case "MissingOption":
      return `missing required flag --${error.option}`
    case "MissingArgument":
      return `missing required argument <${error.argument}>`
    case "InvalidValue":
      return oneLine(error.message).replace(/^Invalid value/, "invalid value").replace(/^Missing value/, "missing value")
    default:
      return oneLine(error.message)
  }
}

/** One line for any failure of a command: the error's own message, without a stack. */
export const describeFailure = (error: unknown): string => {
  if (typeof error === "object" && error !== null && "message" in error && typeof error.message === "string") {
    return oneLine(error.message)
  }
  return oneLine(String(error))
}
