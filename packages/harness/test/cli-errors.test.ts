import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { cli, spawnCli, tempDir } from "./support"

/** A usage or input error: non-zero code, nothing on stdout, exactly one line on stderr. */
const expectOneLine = (r: { code: number; stdout: string; stderr: string }, code: number, text: string) => {
  expect(r.code).toBe(code)
  expect(r.stdout).toBe("")
  const lines = r.stderr.trimEnd().split("\n")
  expect(lines).toHaveLength(1)
  expect(lines[0]).toContain(text)
  expect(r.stderr).not.toMatch(/\bat .*\.ts:\d+/)
}

describe("eto: bad command lines", () => {
  it.effect("unknown flag", () =>
    Effect.gen(function*() {
      expectOneLine(yield* cli(["eval", "--env", "webshop", "--policy", "expert", "--bogus"]), 2, "eto eval: unknown flag --bogus")
      expectOneLine(yield* cli(["replay", "--frobnicate", "x"]), 2, "eto replay: unknown flag --frobnicate")
    }))

  it.effect("missing required flag", () =>
    Effect.gen(function*() {
      expectOneLine(yield* cli(["eval", "--env", "webshop"]), 2, "eto eval: missing required flag --policy")
      expectOneLine(yield* cli(["replay", "--env", "webshop", "--task", "x"]), 2, "missing required flag --actions")
      expectOneLine(yield* cli(["play"]), 2, "eto play: missing required flag --env")
    }))

  it.effect("bad flag values", () =>
    Effect.gen(function*() {
      expectOneLine(yield* cli(["eval", "--env", "webshop", "--policy", "expert", "--limit", "many"]), 2, "--limit")
      expectOneLine(yield* cli(["eval", "--env", "webshop", "--policy", "expert", "--limit", "0"]), 1, "--limit must be at least 1")
      expectOneLine(yield* cli(["eval", "--env", "webshop", "--policy", "expert", "--batch", "-2"]), 1, "--batch must be at least 1")
    }))

  it.effect("unknown command", () =>
    Effect.gen(function*() {
      expectOneLine(yield* cli(["evaluate"]), 2, "unknown command 'evaluate'")
    }))

  it.effect("unknown environment", () =>
    Effect.gen(function*() {
      expectOneLine(yield* cli(["eval", "--env", "nethack", "--policy", "expert"]), 1, "eto: unknown environment 'nethack'")
      expectOneLine(yield* cli(["play", "--env", "nethack"]), 1, "unknown environment 'nethack'")
    }))

  it.effect("missing data directory names the file it needed", () =>
    Effect.gen(function*() {
      expectOneLine(
        yield* cli(["eval", "--env", "webshop", "--policy", "expert", "--data-dir", "/nonexistent/eto-data"]),
        1,
        "eto: /nonexistent/eto-data/webshop/"
      )
    }))

  it.effect("bad --set syntax", () =>
    Effect.gen(function*() {
      expectOneLine(
        yield* cli(["eval", "--env", "webshop", "--policy", "expert", "--set", "noequals"]),
        1,
        "bad --set 'noequals': expected name=value"
      )
    }))

  it.effect("missing or malformed actions file names the file and line", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const missing = path.join(dir, "nope.txt")
      expectOneLine(yield* cli(["replay", "--env", "webshop", "--task", "x", "--actions", missing]), 1, `${missing}: file not found`)
      const bad = path.join(dir, "bad.jsonl")
      fs.writeFileSync(bad, `${JSON.stringify({ output: "Thought: a\nAction: search[x]" })}\n{"outptu": "typo"}\n`)
      expectOneLine(yield* cli(["replay", "--env", "webshop", "--task", "x", "--actions", bad]), 1, `${bad}:2: bad record`)
      const mixed = path.join(dir, "mixed.txt")
      fs.writeFileSync(mixed, "search[x]\nclick[y]\n{\"output\": \"Action: z\"}\n")
      expectOneLine(yield* cli(["replay", "--env", "webshop", "--task", "x", "--actions", mixed]), 1, `${mixed}:3:`)
    }))

  it.effect("--help works for every command", () =>
    Effect.gen(function*() {
      for (const command of [[], ["eval"], ["replay"], ["play"], ["envs"], ["webshop"], ["webshop", "explain"]]) {
        const r = yield* cli([...command, "--help"])
        expect(r.code).toBe(0)
        expect(r.stderr).toBe("")
        expect(r.stdout).toContain("USAGE")
        expect(r.stdout).toContain(["eto", ...command].join(" "))
      }
      const evalHelp = (yield* cli(["eval", "--help"])).stdout
      for (const flag of ["--env", "--policy", "--split", "--limit", "--seed", "--json", "--batch", "--set", "--out", "--export-conversations"]) {
        expect(evalHelp).toContain(flag)
      }
    }))

  it("a real process exits non-zero with one line on failure", () => {
    const bad = spawnCli(["eval", "--env", "webshop", "--policy"])
    expectOneLine(bad, 2, "eto eval: missing value for flag --policy")
    const unknown = spawnCli(["replay", "--env", "nethack", "--task", "t", "--actions", "/nonexistent/actions.txt"])
    expectOneLine(unknown, 1, "/nonexistent/actions.txt: file not found")
  })
})
