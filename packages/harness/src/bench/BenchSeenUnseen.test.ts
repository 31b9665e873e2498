import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect } from "effect"
import { Paths } from "@eto/core"
import { compareTables } from "../commands/compare"
import { MAIN, readCsv } from "../report/Csv"
import { runBench } from "./Bench"

/**
 * The smoke-scale ALFWorld and ScienceWorld experiments end to end: every
 * strategy on the seen and unseen splits, tables and report written, and no
 * method below the committed smoke results.
 */
for (const env of ["alfworld", "sciworld"] as const) {
  describe(`bench ${env} --scale smoke`, () => {
    it.effect("runs every strategy on seen and unseen and matches the committed smoke results", () =>
      Effect.gen(function*() {
        const root = fs.mkdtempSync(path.join(os.tmpdir(), `eto-bench-${env}-`))
        const options = {
          env,
          scale: "smoke" as const,
          runsDir: path.join(root, "runs"),
          resultsDir: path.join(root, "results"),
          reportsDir: path.join(root, "reports"),
          log: () => {}
        }
        const run = yield* runBench(options)
        expect(new Set(run.outcomes.map((o) => o.strategy._tag)).size).toBe(8)
        const rows = run.results.main
        expect(rows).toHaveLength(26)
        expect([...new Set(rows.map((r) => r.split))].sort()).toEqual(["seen", "unseen"])
        for (const row of rows) {
          expect(row.tasks).toBe(8)
          // ScienceWorld's reward is negative after a failing focus, as in the original.
          expect(Number.isFinite(row.avg_reward) && row.avg_reward >= -100 && row.avg_reward <= 100).toBe(true)
          expect(row.mean_steps).toBeGreaterThan(0)
        }
        const report = fs.readFileSync(path.join(options.reportsDir, `${env}.md`), "utf8")
        expect(report).toContain("## Claims check")
        expect(report).toContain("unseen")
        expect(fs.existsSync(path.join(options.reportsDir, "figures", `${env}-main.svg`))).toBe(true)

        const committed = yield* readCsv(path.join(Paths.repoRoot(), "results", env, "smoke", "main.csv"), MAIN)
        const regressions = compareTables(committed, rows).filter((c) => c.status === "regressed" || c.status === "missing")
        expect(regressions.map((c) => `${c.method}: ${c.change}`)).toEqual([])
        fs.rmSync(root, { recursive: true, force: true })
      }), 240_000)
  })
}
