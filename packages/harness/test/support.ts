/**
 * Running the CLI in tests: in-process through `runCli` with captured output,
 * or as a real process (for exit codes and piped standard input).
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Layer } from "effect"
import type { Command } from "effect/cli"
import * as NodeServices from "@effect/platform-node/NodeServices"
import { Paths } from "@eto/core"
import * as Io from "../src/Io"
import { runCli, runCommand } from "../src/Main"

export interface CliRun {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** Runs `eto <args>` in this process, with `input` as standard input lines. */
export const cli = (args: ReadonlyArray<string>, input: ReadonlyArray<string> = []): Effect.Effect<CliRun> =>
  Effect.gen(function*() {
    const io = Io.memory(input)
    const code = yield* runCli(args).pipe(Effect.provide(Layer.merge(NodeServices.layer, io.layer)))
    return { code, stdout: io.stdout(), stderr: io.stderr() }
  })

/** Runs any command as the root of a command line, in this process. */
export const cliWith = <Name extends string, Input, ContextInput, E>(
  command: Command.Command<Name, Input, ContextInput, E, Io.Io>,
  args: ReadonlyArray<string>
): Effect.Effect<CliRun> =>
  Effect.gen(function*() {
    const io = Io.memory()
    const code = yield* runCommand(command, args).pipe(Effect.provide(Layer.merge(NodeServices.layer, io.layer)))
    return { code, stdout: io.stdout(), stderr: io.stderr() }
  })

const root = Paths.repoRoot()
const bin = path.join(root, "packages", "harness", "src", "bin.ts")

/** Runs `eto <args>` as a child process with `stdin` piped in. */
export const spawnCli = (args: ReadonlyArray<string>, stdin = ""): CliRun => {
  const r = spawnSync(process.execPath, ["--import", "tsx", bin, ...args], {
    cwd: root,
    input: stdin,
    encoding: "utf8",
    timeout: 60_000
  })
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
}

export const tempDir = (): string => fs.mkdtempSync(path.join(os.tmpdir(), "eto-cli-"))
