import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect } from "effect"
import { Paths } from "@eto/core"
import { compareTables } from "../commands/compare"
import { MAIN, readCsv } from "../report/Csv"
import { readResults } from "../report/Markdown"
import { configFileFor, runBench } from "./Bench"

/**
 * The smoke-scale WebShop experiment end to end: every strategy trains and
 * evaluates on a tiny model, and the tables and report are written.
 */
describe("bench webshop --scale smoke", () => {
  it.effect("runs every strategy and writes finite results, a report and figures; a rerun reuses every phase", () =>
    Effect.gen(function*() {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), "eto-bench-"))
      const lines: Array<string> = []
      const options = {
        env: "webshop" as const,
        scale: "smoke" as const,
        runsDir: path.join(root, "runs"),
        resultsDir: path.join(root, "results"),
        reportsDir: path.join(root, "reports"),
        log: (l: string) => lines.push(l)
      }
      const first = yield* runBench(options)
      const labels = first.outcomes.map((o) => o.label)
      expect(labels).toEqual([
        "Random",
        "Untuned",
        "SFT",
        "Best-of-N",
        "RFT",
        "PPO",
        "ETO",
        "ETO (step)",
        "ETO (step, low lr)",
        "ETO (mixture)",
        "Self-play RFT",
        "Self-play ETO",
        "Self-play RFT+ETO"
      ])
      const kinds = new Set(first.outcomes.map((o) => o.strategy._tag))
      expect([...kinds].sort()).toEqual(["base", "best-of-n", "eto", "ppo", "random", "rft", "self-play", "sft"])
      const levels = new Set(first.outcomes.flatMap((o) => (o.strategy._tag === "eto" ? [o.strategy.level] : [])))
      expect([...levels].sort()).toEqual(["mixture", "step", "trajectory"])

      const r = yield* readResults(options.resultsDir)
      expect(r.main).toHaveLength(13)
      for (const row of r.main) {
        expect(row.tasks).toBe(8)
        expect(Number.isFinite(row.avg_reward) && row.avg_reward >= 0 && row.avg_reward <= 100).toBe(true)
        expect(Number.isFinite(row.success_rate)).toBe(true)
        expect(row.mean_steps).toBeGreaterThan(0)
      }
      expect(r.iterations.map((x) => x.iteration)).toEqual([0, 1, 2])
      expect(r.levels.map((x) => x.level).sort()).toEqual(["mixture", "none", "step", "step", "trajectory"])
      expect(r.selfPlay.filter((x) => !x.with_bc).map((x) => x.method).sort()).toEqual(["ETO", "RFT", "RFT+ETO", "untuned"])

      const report = fs.readFileSync(path.join(options.reportsDir, "webshop.md"), "utf8")
      expect(report).toContain("## Claims check")
      expect(report).toMatch(/\*\*(holds|does not hold|inconclusive)\*\*: ETO beats SFT on every dataset/)
      expect(fs.existsSync(path.join(options.reportsDir, "figures", "webshop-iterations.svg"))).toBe(true)
      expect(fs.existsSync(path.join(options.reportsDir, "figures", "webshop-main.svg"))).toBe(true)
      expect(lines.filter((l) => / done in /.test(l)).length).toBeGreaterThan(20)

      // No method fell below the committed smoke results (results/webshop/smoke/main.csv).
      const committed = yield* readCsv(path.join(Paths.repoRoot(), "results", "webshop", "smoke", "main.csv"), MAIN)
      const regressions = compareTables(committed, r.main).filter((c) => c.status === "regressed" || c.status === "missing")
      expect(regressions.map((c) => `${c.method}: ${c.change}`)).toEqual([])

      const rerun: Array<string> = []
      const again = yield* runBench({ ...options, log: (l) => rerun.push(l) })
      expect(rerun.filter((l) => / done in /.test(l))).toEqual([])
      expect(again.results.main.map((x) => x.avg_reward)).toEqual(first.results.main.map((x) => x.avg_reward))
      fs.rmSync(root, { recursive: true, force: true })
    }), 240_000)

  it("names one configuration file per scale", () => {
    for (const scale of ["smoke", "ci", "paper"] as const) expect(fs.existsSync(configFileFor("webshop", scale))).toBe(true)
  })
})
