/**
 * The command line's flags: command paths of the real `eto` tree, each with
 * its own flags (read from the command definitions) given random, boundary
 * and mistyped values, in `--flag value` and `--flag=value` forms, mixed with
 * unknown flags, stray words, `--help` and repeats. Contract: the exit code
 * is 0, 1 or 2, never the internal-error 70; a failure prints one line on
 * standard error, without stack traces or internal dumps, that names what
 * was wrong (a flag, an argument, a command, a file or a value given).
 *
 * Commands run in this process against an empty data directory, inside a
 * scratch working directory, with every path-valued flag pointing into it,
 * so no command can do real work or write outside it. `serve` (a server that
 * runs until stopped) is left out.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { rootCommand } from "@eto/harness/Cli"
import * as Io from "@eto/harness/Io"
import { layerNode, runCli } from "@eto/harness/Main"
import { Duration, Effect } from "effect"
import fc from "fast-check"
import { nastyText } from "./Inputs"
import { expectOneLine, expectThat, type FuzzTarget } from "./Target"

/** Commands that run until stopped: not fuzzed here. */
const LONG_RUNNING = new Set(["serve"])

interface FlagInfo {
  readonly name: string
  readonly type: string
  readonly choices: ReadonlyArray<string>
}

interface CommandInfo {
  readonly path: ReadonlyArray<string>
  readonly flags: ReadonlyArray<FlagInfo>
  readonly arguments: number
}

/** The command tree, read from the effect/cli definitions (internal shape; fails loudly if it changes). */
export const commandTree = (): Array<CommandInfo> => {
  const out: Array<CommandInfo> = []
  const single = (n: any): any => (n?._tag === "Single" ? n : n?.param !== undefined ? single(n.param) : undefined)
  const walk = (c: any, at: Array<string>) => {
    if (c?.config === undefined || !Array.isArray(c.config.flags)) throw new Error(`cannot read the command tree at '${at.join(" ")}'`)
    const flags = c.config.flags.map(single).filter((s: any) => s?.kind === "flag").map((s: any): FlagInfo => ({
      name: s.name,
      type: s.primitiveType?._tag ?? "String",
      choices: s.primitiveType?.choiceKeys ?? []
    }))
    out.push({ path: at, flags, arguments: (c.config.arguments ?? []).length })
    for (const group of c.subcommands ?? []) {
      for (const sub of group.commands) if (!LONG_RUNNING.has(sub.name)) walk(sub, [...at, sub.name])
    }
  }
  walk(rootCommand, [])
  return out
}

/** Flags whose value is a file or directory. */
const PATH_FLAG = /^(out|data|data-dir|checkpoint|actions|config|runs|results|reports|input|init|instruction-file|export-conversations)$/

const NUMBERS = ["0", "1", "-1", "2", "16", "1.5", "-0", "1e3", "1e309", "NaN", "Infinity", "0x10", " 3", "", "9007199254740993", "one"]
const WORDS = ["webshop", "alfworld", "sciworld", "expert", "random", "checkpoint:", "openai:gpt-x", "train", "test", "seen", "unseen", "dev", "smoke", "ci", "paper", "cpu", "tfjs", "auto", "max_steps=3", "seed=x", "=", "a=b=c"]

/** Tokens that are safe as paths or words: nothing absolute, nothing climbing out of the scratch directory. */
const safe = (t: string): string => (t.startsWith("/") || t.startsWith("~") || t.includes("..") ? `x${t.replaceAll("..", "_")}` : t)

export const cliFlags: FuzzTarget<ReadonlyArray<string>> = {
  name: "cli-flags",
  contract: "exit 0/1/2 (never 70); a failure is one line naming what was wrong",
  prepare: async () => {
    const tree = commandTree()
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "eto-fuzz-cli-"))
    const pool = ["missing.jsonl", "missing-dir", "garbage.jsonl", "empty.csv", "data", "out/sub"].map((p) => path.join(scratch, p))
    /** The scratch directory as every input finds it, whatever the inputs before wrote there. */
    const resetScratch = () => {
      for (const name of fs.readdirSync(scratch)) fs.rmSync(path.join(scratch, name), { recursive: true, force: true })
      fs.writeFileSync(path.join(scratch, "garbage.jsonl"), "{\"not\": \"a record\"}\nnot json\n")
      fs.writeFileSync(path.join(scratch, "empty.csv"), "")
      fs.mkdirSync(path.join(scratch, "data"))
    }
    const savedEnv = { ...process.env }
    const savedCwd = process.cwd()
    process.env.ETO_DATA_DIR = path.join(scratch, "data")
    process.env.ETO_RUNS_DIR = path.join(scratch, "runs")
    for (const k of Object.keys(process.env)) if (/^OPENAI|API_KEY/.test(k)) delete process.env[k]
    process.chdir(scratch)

    const valueFor = (f: FlagInfo): fc.Arbitrary<string> =>
      PATH_FLAG.test(f.name) ? fc.oneof(fc.constantFrom(...pool), nastyText.map(safe))
      : f.type === "Int" || f.type === "Finite" || f.type === "Float" ? fc.oneof(fc.constantFrom(...NUMBERS), fc.integer().map(String), fc.double().map(String))
      : f.type === "Boolean" ? fc.constantFrom("true", "false", "yes", "maybe", "")
      : f.type === "Choice" ? fc.oneof(fc.constantFrom(...f.choices), nastyText)
      : fc.oneof(fc.constantFrom(...WORDS), nastyText.map(safe), fc.constantFrom(...pool))
    const flagToken = (cmd: CommandInfo): fc.Arbitrary<ReadonlyArray<string>> =>
      cmd.flags.length === 0 ? fc.constant([]) : fc.constantFrom(...cmd.flags).chain((f) =>
        f.type === "Boolean"
          ? fc.oneof(fc.constant([`--${f.name}`]), valueFor(f).map((v) => [`--${f.name}=${v}`]))
          : fc.oneof(valueFor(f).map((v) => [`--${f.name}`, v]), valueFor(f).map((v) => [`--${f.name}=${v}`]), fc.constant([`--${f.name}`]))
      )
    const other: fc.Arbitrary<ReadonlyArray<string>> = fc.oneof(
      fc.string({ minLength: 1, maxLength: 8 }).map((s) => [`--${safe(s)}`]),
      fc.oneof(nastyText, fc.constantFrom(...WORDS)).map((s) => [safe(s)]),
      fc.constantFrom(["--help"], ["-h"], ["--version"], ["--"], ["-"], ["--json"])
    )
    /** A value the flag accepts, so that the command's own checks run. */
    const plausible = (f: FlagInfo): fc.Arbitrary<ReadonlyArray<string>> =>
      f.type === "Boolean" ? fc.constant([`--${f.name}`])
      : f.type === "Int" ? fc.constantFrom("0", "1", "2", "16", "-3").map((v) => [`--${f.name}`, v])
      : f.type === "Finite" || f.type === "Float" ? fc.constantFrom("0", "0.5", "1", "-1", "100").map((v) => [`--${f.name}`, v])
      : f.type === "Choice" ? fc.constantFrom(...f.choices).map((v) => [`--${f.name}`, v])
      : PATH_FLAG.test(f.name) ? fc.constantFrom(...pool).map((v) => [`--${f.name}`, v])
      : fc.constantFrom(...WORDS).map((v) => [`--${f.name}`, v])
    const wellFormed = (cmd: CommandInfo): fc.Arbitrary<ReadonlyArray<ReadonlyArray<string>>> =>
      fc.tuple(
        fc.subarray([...cmd.flags]).chain((fs) => fc.tuple(...fs.map(plausible))),
        fc.array(fc.constantFrom(...WORDS, ...pool), { maxLength: cmd.arguments, minLength: cmd.arguments }).map((ws) => ws.map((w) => [w])),
        fc.array(fc.oneof(flagToken(cmd), other), { maxLength: 1 })
      ).map(([flags, args, extra]) => [...flags, ...args, ...extra])
    const argv: fc.Arbitrary<ReadonlyArray<string>> = fc.constantFrom(...tree).chain((cmd) =>
      fc.oneof(
        fc.array(fc.oneof({ arbitrary: flagToken(cmd), weight: 5 }, { arbitrary: other, weight: 1 }), { maxLength: 6 }),
        wellFormed(cmd)
      ).map((parts) => [...cmd.path, ...parts.flat()])
    )
    const run = (args: ReadonlyArray<string>) =>
      Effect.gen(function*() {
        const io = Io.memory()
        const code = yield* runCli(args).pipe(
          // The memory streams shadow the process's; the node layer brings the platform services.
          Effect.provide(io.layer),
          Effect.provide(layerNode),
          Effect.timeout(Duration.seconds(30))
        )
        return { code, stdout: io.stdout(), stderr: io.stderr() }
      })
    return {
      arbitrary: argv,
      dispose: () => {
        process.chdir(savedCwd)
        for (const k of Object.keys(process.env)) if (!(k in savedEnv)) delete process.env[k]
        Object.assign(process.env, savedEnv)
        fs.rmSync(scratch, { recursive: true, force: true })
      },
      check: async (args) => {
        resetScratch()
        const exit = await Effect.runPromiseExit(run(args))
        expectThat(exit._tag === "Success", () => `did not finish within 30 s: ${JSON.stringify(args)}`)
        const r = (exit as { value: { code: number; stdout: string; stderr: string } }).value
        expectThat(r.code === 0 || r.code === 1 || r.code === 2, () => `exit ${r.code} for ${JSON.stringify(args)}: ${r.stderr.slice(0, 600)}`)
        if (r.code === 0) return "ok"
        // A bare command group (`eto policy`) shows its help and exits 2.
        if (r.code === 2 && r.stderr === "" && /USAGE/.test(r.stdout)) return "help"
        const lines = r.stderr.trimEnd().split("\n")
        expectThat(lines.length === 1, () => `${lines.length} lines on stderr for ${JSON.stringify(args)}: ${r.stderr.slice(0, 600)}`)
        expectOneLine(lines[0]!, "error")
        const names = /--[a-z]|<[^>]+>|unknown command|'[^']*'|"[^"]*"|\/|webshop|alfworld|sciworld/.test(lines[0]!) ||
          args.flatMap((a) => [a, a.slice(a.indexOf("=") + 1)]).some((a) => (a.length >= 2 && lines[0]!.includes(a)) || lines[0]!.includes(` ${a}: `))
        expectThat(names, () => `names nothing: ${lines[0]} for ${JSON.stringify(args)}`)
        return r.code === 1 ? "failed" : "usage"
      }
    }
  }
}
