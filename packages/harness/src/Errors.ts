/**
 * Errors of the command line itself, and how any failure becomes the one line
 * a user sees.
 */
import { oneLine } from "@eto/core"
import { Data } from "effect"
import type { CliError } from "effect/cli"

/** A command ran but did not succeed as a whole (e.g. an environment could not be loaded). */
export class CommandFailed extends Data.TaggedError("CommandFailed")<{ readonly reason: string }> {
  override get message(): string {
    return this.reason
  }
}

/** A token from the command line as shown in a message: quoted, with control characters escaped. */
export const shown = (token: string): string =>
  /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(token) || token === "" ? JSON.stringify(token) : `'${token}'`

const suggest = (suggestions: ReadonlyArray<string>): string =>
  suggestions.length > 0 ? ` (did you mean ${suggestions.join(" or ")}?)` : ""

/** One line describing a parse error of effect/cli. */
export const describeCliError = (error: CliError.CliError): string => {
  switch (error._tag) {
    case "UnrecognizedOption":
      return `unknown flag ${/^-+[\w-]*$/.test(error.option) ? error.option : shown(error.option)}${suggest(error.suggestions)}`
    case "UnknownSubcommand":
      return `unknown command ${shown(error.subcommand)}${suggest(error.suggestions)}`
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
