import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { NodeServices } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import * as Io from "../Io"
import { runCli } from "../Main"
import { MAIN, type MainRow, toCsv } from "../report/Csv"
import { compareTables } from "./compare"

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "eto-compare-"))

/** Rows of main.csv: each method's reward per seed. */
const rows = (env: MainRow["env"], split: string, perMethod: Record<string, ReadonlyArray<number>>): Array<MainRow> =>
  Object.entries(perMethod).flatMap(([method, rewards]) =>
    rewards.map((avg_reward, i) => ({
      env,
      method,
      split,
      avg_reward,
      success_rate: avg_reward / 2,
      tasks: 200,
      mean_steps: 5,
      seed: i + 1,
      wall_seconds: 60
    }))
  )

const write = (name: string, content: ReadonlyArray<MainRow>): string => {
  const file = path.join(dir, name)
  fs.writeFileSync(file, toCsv(MAIN, content))
  return file
}

const cli = (args: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const io = Io.memory()
    const code = yield* runCli(args).pipe(Effect.provide(Layer.mergeAll(io.layer, NodeServices.layer)))
    return { code, out: io.stdout(), err: io.stderr() }
  })

const OLD = rows("webshop", "test", { SFT: [60, 61, 62], ETO: [66, 67, 68], RFT: [62, 63, 64] })

describe("eto compare", () => {
  it.effect("passes when every method stays within its interval, and prints the table", () =>
    Effect.gen(function*() {
      const oldFile = write("old.csv", OLD)
      // SFT falls by 1.5 (interval ±3.5), ETO rises by 5, RFT unchanged.
      const newFile = write("new-ok.csv", rows("webshop", "test", { SFT: [59, 59.5, 60], ETO: [71, 72, 73], RFT: [62, 63, 64] }))
      const { code, out } = yield* cli(["compare", oldFile, newFile])
      expect(code).toBe(0)
      const lines = out.trim().split("\n")
      expect(lines[0]).toMatch(/^env\s+split\s+method\s+old\s+new\s+change\s+tolerance\s+status$/)
      expect(lines.find((l) => l.includes(" SFT "))).toMatch(/61\.0 ± 2\.5 \(n=3\)\s+59\.5 ± 1\.2 \(n=3\)\s+-1\.5\s+2\.8\s+ok$/)
      expect(lines.find((l) => l.includes(" ETO "))).toMatch(/\+5\.0\s+3\.5\s+improved$/)
      expect(lines[lines.length - 1]).toBe("no regression (1 improved, 2 unchanged)")
    }))

  it.effect("exits 1 and names the method whose reward fell beyond its interval", () =>
    Effect.gen(function*() {
      const oldFile = write("old.csv", OLD)
      const newFile = write("new-bad.csv", rows("webshop", "test", { SFT: [60, 61, 62], ETO: [60, 61, 62], RFT: [62, 63, 64] }))
      const { code, out, err } = yield* cli(["compare", oldFile, newFile])
      expect(code).toBe(1)
      expect(out).toMatch(/ETO\s+67\.0 ± 2\.5 \(n=3\)\s+61\.0 ± 2\.5 \(n=3\)\s+-6\.0\s+3\.5\s+REGRESSED/)
      expect(err).toBe("eto: 1 regression(s): ETO on webshop/test\n")
    }))

  it.effect("uses the fallback tolerance when each file has one seed", () =>
    Effect.gen(function*() {
      const oldFile = write("old-1.csv", rows("sciworld", "dev", { SFT: [50], ETO: [60] }))
      const newFile = write("new-1.csv", rows("sciworld", "dev", { SFT: [48.5], ETO: [57] }))
      const strict = yield* cli(["compare", oldFile, newFile])
      // SFT -1.5 is within the default 2 points; ETO -3 is not.
      expect(strict.code).toBe(1)
      expect(strict.out).toMatch(/SFT\s+50\.0 \(n=1\)\s+48\.5 \(n=1\)\s+-1\.5\s+2\.0 \(1 seed\)\s+ok/)
      expect(strict.err).toContain("ETO on sciworld/dev")
      const loose = yield* cli(["compare", oldFile, newFile, "--tolerance", "5"])
      expect(loose.code).toBe(0)
    }))

  it.effect("reports unreadable input as one line naming the file", () =>
    Effect.gen(function*() {
      const oldFile = write("old.csv", OLD)
      const bad = path.join(dir, "bad.csv")
      fs.writeFileSync(bad, "env,method,split,avg_reward,success_rate,tasks,mean_steps,seed,wall_seconds\nwebshop,SFT,test,high,30,200,5,1,60\n")
      const r = yield* cli(["compare", oldFile, bad])
      expect(r.code).toBe(1)
      expect(r.err).toMatch(new RegExp(`^eto: ${bad.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:2: bad row: .*avg_reward.*\\n$`))
      const missing = yield* cli(["compare", oldFile, path.join(dir, "nope.csv")])
      expect(missing.err).toBe(`eto: ${path.join(dir, "nope.csv")}: file not found\n`)
      const usage = yield* cli(["compare", oldFile])
      expect(usage.code).toBe(2)
    }))

  it("lists methods only in one file without failing on them", () => {
    const r = compareTables(rows("webshop", "test", { SFT: [60, 61], PPO: [50, 52] }), rows("webshop", "test", { SFT: [60, 61], ETO: [70] }))
    expect(r.map((c) => [c.method, c.status])).toEqual([["SFT", "ok"], ["PPO", "missing"], ["ETO", "new"]])
    // Old has an interval (two seeds), new has one seed: the old half-width alone is the tolerance.
    const mixed = compareTables(rows("webshop", "test", { SFT: [60, 62] }), rows("webshop", "test", { SFT: [40] }))
    expect(mixed[0]!.toleranceFrom).toBe("interval")
    expect(mixed[0]!.tolerance).toBeCloseTo(12.706, 3)
    expect(mixed[0]!.status).toBe("regressed")
  })
})
