/**
 * Running the command line: parses the arguments, runs the chosen command and
 * turns every outcome into an exit code.
 * - 0: success (including `--help` and `--version`);
 * - 1: the command failed (unknown task, bad file, ...): one line on stderr;
 * - 2: the command line itself is wrong (unknown flag, missing flag, ...): one line on stderr.
 * Defects (bugs) print their stack and exit with 70.
 */
import { Cause, Effect, Exit, Layer } from "effect"
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

const presenter = (io: IoShape): CliOutput.Presenter => {
  const formatter = CliOutput.defaultFormatter({ colors: false })
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

/** Runs the command line with `args` (without the program name) and returns the exit code. */
export const runCli = (args: ReadonlyArray<string>): Effect.Effect<number, never, Io | NodeServices.NodeServices> =>
  Effect.gen(function*() {
    const io = yield* Io
    const exit = yield* Command.runWith(rootCommand, { version: VERSION, renderErrors: true })(args).pipe(
      Effect.provideService(CliOutput.Presenter, presenter(io)),
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
        return EXIT_USAGE
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

/** The services a command line run needs in a node process. */
export const layerNode = Layer.mergeAll(NodeServices.layer, IoModule.layerNode)
