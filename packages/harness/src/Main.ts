/**
 * Running the command line: parses the arguments, runs the chosen command and
 * turns every outcome into an exit code.
 * - 0: success (including `--help` and `--version`);
 * - 1: the command failed (unknown task, bad file, ...): one line on stderr;
 * - 2: the command line itself is wrong (unknown flag, missing flag, ...): one line on stderr.
 * Defects (bugs) print their stack and exit with 70.
 */
import { format } from "node:util"
import { Cause, Console, Effect, Exit, Layer } from "effect"
import { CliError, CliOutput, Command } from "effect/cli"
import * as NodeServices from "@effect/platform-node/NodeServices"
import { rootCommand, VERSION } from "./Cli"
import { describeCliError, describeFailure } from "./Errors"
import { Io, type IoShape } from "./Io"
import * as IoModule from "./Io"

export const EXIT_OK = 0
export const EXIT_FAILED = 1
export const EXIT_USAGE = 2
export const EXIT_DEFECT = 70

/** effect/cli's formatter, with errors of handlers rendered as one line. */
const formatter: CliOutput.Formatter = {
  ...CliOutput.defaultFormatter({ colors: false }),
  formatError: (error) => `eto: ${describeFailure(error)}`
}

/** `Console` routed through `Io`, so whatever a command logs lands where its output goes. */
const ioConsole = (io: IoShape): Console.Console => {
  const out = (...args: ReadonlyArray<unknown>) => io.writeOut(`${format(...args)}\n`)
  const err = (...args: ReadonlyArray<unknown>) => io.writeErr(`${format(...args)}\n`)
  return { ...globalThis.console, log: out, info: out, error: err, warn: err, debug: err, trace: err }
}

const presenter = (io: IoShape): CliOutput.Presenter => {
  return {
    present: (event) =>
      Effect.sync(() => {
        switch (event._tag) {
          case "Help":
            io.writeOut(`${formatter.formatHelpDoc(event.helpDoc)}\n`)
            return
          case "Version":
            io.writeOut(`${formatter.formatVersion(event.name, event.version)}\n`)
            return
          case "InvalidInvocation": {
            const command = event.commandPath.join(" ")
            const first = event.errors[0]
            const what = first === undefined ? "invalid command line" : describeCliError(first)
            io.writeErr(`${command}: ${what} (see '${command} --help')\n`)
            return
          }
        }
      })
  }
}

/**
 * Runs `command` as the root of a command line with `args` (without the
 * program name) and returns the exit code.
 */
export const runCommand = <Name extends string, Input, ContextInput, E>(
  command: Command.Command<Name, Input, ContextInput, E, Io>,
  args: ReadonlyArray<string>
): Effect.Effect<number, never, Io | NodeServices.NodeServices> =>
  Effect.gen(function*() {
    const io = yield* Io
    const exit = yield* Command.runWith(command, { version: VERSION, renderErrors: true })(args).pipe(
      Effect.provideService(CliOutput.Presenter, presenter(io)),
      Effect.provideService(CliOutput.Formatter, formatter),
      Effect.provideService(Console.Console, ioConsole(io)),
      Effect.exit
    )
    if (Exit.isSuccess(exit)) return EXIT_OK
    const cause = exit.cause
    const failure = Cause.findErrorOption(cause)
    if (failure._tag === "Some") {
      const error = failure.value
      if (CliError.isCliError(error)) {
        // Parse errors were already printed by the presenter; a bare group
        // (`eto`, `eto webshop`) shows its help and counts as a usage error.
        // A handler's `CliError.UserError` was printed through the formatter.
        return error._tag === "UserError" ? EXIT_FAILED : EXIT_USAGE
      }
      if (typeof error === "object" && error !== null && CliError.getUserMessage(error) !== undefined) {
        // Errors carrying `CliError.userMessage` were printed through the formatter.
        return EXIT_FAILED
      }
      io.writeErr(`eto: ${describeFailure(error)}\n`)
      return EXIT_FAILED
    }
    if (Cause.hasInterruptsOnly(cause)) {
      io.writeErr("eto: interrupted\n")
      return 130
    }
    io.writeErr(`eto: internal error\n${Cause.pretty(cause)}\n`)
    return EXIT_DEFECT
  })

/** Runs the `eto` command line with `args` (without the program name) and returns the exit code. */
export const runCli = (args: ReadonlyArray<string>): Effect.Effect<number, never, Io | NodeServices.NodeServices> =>
  runCommand(rootCommand, args)

/** The services a command line run needs in a node process. */
export const layerNode = Layer.mergeAll(NodeServices.layer, IoModule.layerNode)
