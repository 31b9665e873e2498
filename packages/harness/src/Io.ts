/**
 * The terminal as a service: what the commands print and read. The node layer
 * talks to the real process streams; `Io.memory` captures output and feeds
 * scripted input, so commands can run in-process (tests, other tools).
 */
import * as readline from "node:readline"
import { Context, Effect, Layer } from "effect"

export interface IoShape {
  /** Writes raw text to standard output. */
  readonly writeOut: (text: string) => void
  /** Writes raw text to standard error. */
  readonly writeErr: (text: string) => void
  /** Whether standard error is an interactive terminal (progress bars redraw only then). */
  readonly stderrIsTTY: boolean
  /** Whether standard input is an interactive terminal (prompts are shown only then). */
  readonly stdinIsTTY: boolean
  /** The next line of standard input without its line break; `undefined` at end of input. */
  readonly readLine: Effect.Effect<string | undefined>
}

export class Io extends Context.Service<Io, IoShape>()("@eto/harness/Io") {}

/** Prints one line to standard output. */
export const println = (text: string): Effect.Effect<void, never, Io> =>
  Io.useSync((io) => io.writeOut(`${text}\n`))

/** Prints one line to standard error. */
export const eprintln = (text: string): Effect.Effect<void, never, Io> =>
  Io.useSync((io) => io.writeErr(`${text}\n`))

/** The process's own streams. Standard input is opened on first read and closed with the layer. */
export const layerNode: Layer.Layer<Io> = Layer.effect(
  Io,
  Effect.gen(function*() {
    let lines: AsyncIterator<string> | undefined
    let rl: readline.Interface | undefined
    yield* Effect.addFinalizer(() => Effect.sync(() => rl?.close()))
    return {
      writeOut: (text) => void process.stdout.write(text),
      writeErr: (text) => void process.stderr.write(text),
      stderrIsTTY: process.stderr.isTTY === true,
      stdinIsTTY: process.stdin.isTTY === true,
      readLine: Effect.promise(async () => {
        if (lines === undefined) {
          rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false })
          lines = rl[Symbol.asyncIterator]()
        }
        const next = await lines.next()
        return next.done === true ? undefined : next.value
      })
    }
  })
)

export interface MemoryIo {
  readonly layer: Layer.Layer<Io>
  /** Everything written to standard output so far. */
  stdout(): string
  /** Everything written to standard error so far. */
  stderr(): string
}

/** Captured output and scripted input (one element per line). */
export const memory = (input: ReadonlyArray<string> = [], options: { stderrIsTTY?: boolean } = {}): MemoryIo => {
  let out = ""
  let err = ""
  let next = 0
  const shape: IoShape = {
    writeOut: (text) => {
      out += text
    },
    writeErr: (text) => {
      err += text
    },
    stderrIsTTY: options.stderrIsTTY ?? false,
    stdinIsTTY: false,
    readLine: Effect.sync(() => (next < input.length ? input[next++] : undefined))
  }
  return { layer: Layer.succeed(Io, shape), stdout: () => out, stderr: () => err }
}
