import { describe, expect, it } from "@effect/vitest"
import { Console, Data, Effect } from "effect"
import { CliError, Command, Flag } from "effect/cli"
import { cliWith } from "./support"

class Occupied extends Data.TaggedError("Occupied")<{ readonly path: string }> {
  override get [CliError.userMessage]() {
    return `${this.path} is taken`
  }
}

const probe = Command.make("probe", { mode: Flag.String("mode") }, ({ mode }) =>
  Effect.gen(function*() {
    yield* Console.log("logged", 42)
    switch (mode) {
      case "user":
        return yield* new CliError.UserError({ cause: "disk\nfull" })
      case "annotated":
        return yield* new Occupied({ path: "out.csv" })
      case "defect":
        return yield* Effect.die(new Error("broken invariant"))
    }
  }))

describe("runCommand: how outcomes become exit codes and lines", () => {
  it.effect("success: exit 0, Console output goes through Io", () =>
    Effect.gen(function*() {
      const r = yield* cliWith(probe, ["--mode", "fine"])
      expect(r).toEqual({ code: 0, stdout: "logged 42\n", stderr: "" })
    }))

  it.effect("a UserError or an error with a user message: one line, exit 1", () =>
    Effect.gen(function*() {
      const user = yield* cliWith(probe, ["--mode", "user"])
      expect(user.code).toBe(1)
      expect(user.stderr).toBe("eto: disk full\n")
      const annotated = yield* cliWith(probe, ["--mode", "annotated"])
      expect(annotated.code).toBe(1)
      expect(annotated.stderr).toBe("eto: out.csv is taken\n")
    }))

  it.effect("a defect: exit 70 with the cause", () =>
    Effect.gen(function*() {
      const r = yield* cliWith(probe, ["--mode", "defect"])
      expect(r.code).toBe(70)
      expect(r.stderr).toMatch(/^eto: internal error\n/)
      expect(r.stderr).toContain("broken invariant")
    }))
})
