import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Exit, Result } from "effect"
import type { Results } from "./Aggregate"
import { checkClaims, compareCells, difference } from "./Claims"
import {
  CONTRASTIVE_LEVELS,
  type ContrastiveLevelRow,
  ITERATIONS,
  type IterationRow,
  MAIN,
  mainRow,
  type MainRow,
  parseCsv,
  readCsv,
  SELF_PLAY,
  type SelfPlayRow,
  toCsv,
  writeCsv
} from "./Csv"
import { readResults, renderReport, writeReport } from "./Markdown"
import { decodePaperTables, loadPaperTables, paperColumn, paperDir, paperValue } from "./Paper"
import { barChart, lineChart, niceTicks } from "./Svg"
import type { EvaluationSummary } from "@eto/core"
import { Config, type Experiment, Stats } from "@eto/strategies"
import { resultsFromOutcomes, writeResultTables } from "./Outcomes"

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "eto-report-"))
const SEEDS = [1, 2, 3]
/** Seed-to-seed spread of ±1 point around each value. */
const wobble = (seed: number) => seed - 2

const mainRows = (cells: ReadonlyArray<[MainRow["env"], string, string, number, number?]>): Array<MainRow> =>
  cells.flatMap(([env, split, method, reward, steps]) =>
    SEEDS.map((seed) => ({
      env,
      method,
      split,
      avg_reward: reward + wobble(seed),
      success_rate: reward / 2,
      tasks: 50,
      mean_steps: (steps ?? 10) + wobble(seed) * 0.1,
      seed,
      wall_seconds: 30 + seed
    }))
  )

const iterationRows = (env: IterationRow["env"], split: string, values: ReadonlyArray<number>): Array<IterationRow> =>
  values.flatMap((v, iteration) =>
    SEEDS.map((seed) => ({ env, method: "ETO", iteration, split, seed, avg_reward: v + wobble(seed), success_rate: v / 2, tasks: 40 }))
  )

const levelRows: Array<ContrastiveLevelRow> = (
  [["SFT", "none", null, null, 63], ["ETO", "trajectory", 1e-6, 0.1, 67], ["ETO (step)", "step", 1e-6, 0.1, 10], [
    "ETO (step, stable)",
    "step",
    1e-7,
    0.5,
    61
  ], ["ETO (mixture)", "mixture", 1e-6, 0.1, 60]] as const
).flatMap(([method, level, lr, beta, v]) =>
  SEEDS.map((seed) => ({ env: "webshop" as const, method, level, lr, beta, split: "test", seed, avg_reward: v + wobble(seed), success_rate: v / 2, tasks: 50 }))
)

const selfPlayRows: Array<SelfPlayRow> = (
  [["untuned", 18, null, null], ["Self-play RFT", 48, 30, null], ["Self-play ETO", 12, null, 20], ["Self-play RFT+ETO", 55, 30, 25]] as const
).flatMap(([method, v, trajectories, pairs]) =>
  SEEDS.map((seed) => ({
    env: "webshop" as const,
    method,
    with_bc: false,
    split: "test",
    seed,
    avg_reward: v + wobble(seed),
    success_rate: v / 3,
    tasks: 50,
    trajectories: trajectories === null ? null : trajectories + seed,
    pairs
  }))
)

describe("CSV tables", () => {
  it.effect("write x100 rows with csv-stringify and read them back through the schemas", () =>
    Effect.gen(function*() {
      const dir = tmp()
      const row = mainRow(
        { env: "webshop", split: "test", policy: "sft", tasks: 200, avgReward: 0.6312345, successRate: 0.33, meanSteps: 4.9, seed: 7, wallSeconds: 12.5 },
        "SFT, run \"a\""
      )
      expect(row).toMatchObject({ avg_reward: 63.1235, success_rate: 33, tasks: 200, seed: 7 })
      yield* writeCsv(path.join(dir, "main.csv"), MAIN, [row])
      const text = fs.readFileSync(path.join(dir, "main.csv"), "utf8")
      expect(text.split("\n")[0]).toBe("env,method,split,avg_reward,success_rate,tasks,mean_steps,seed,wall_seconds")
      expect(text).toContain("\"SFT, run \"\"a\"\"\"")
      expect(yield* readCsv(path.join(dir, "main.csv"), MAIN)).toEqual([row])

      yield* writeCsv(path.join(dir, "contrastive_levels.csv"), CONTRASTIVE_LEVELS, levelRows)
      const levels = yield* readCsv(path.join(dir, "contrastive_levels.csv"), CONTRASTIVE_LEVELS)
      expect(levels).toEqual(levelRows)
      expect(levels[0]!.lr).toBeNull()
      yield* writeCsv(path.join(dir, "self_play.csv"), SELF_PLAY, selfPlayRows)
      expect(yield* readCsv(path.join(dir, "self_play.csv"), SELF_PLAY)).toEqual(selfPlayRows)
      const its = iterationRows("alfworld", "valid_seen", [60, 62])
      yield* writeCsv(path.join(dir, "iterations.csv"), ITERATIONS, its)
      expect(yield* readCsv(path.join(dir, "iterations.csv"), ITERATIONS)).toEqual(its)
    }))

  it("names the file and line of a bad row, and missing columns", () => {
    const good = toCsv(MAIN, mainRows([["webshop", "test", "SFT", 60]]))
    const bad = good.replace(/\n(webshop,SFT,test,)60/, "\n$1sixty")
    const r = parseCsv(MAIN, bad, "old.csv")
    expect(Result.isFailure(r) && r.failure.message).toMatch(/^old\.csv:3: bad row: .*avg_reward/)
    const missing = parseCsv(MAIN, "env,method\nwebshop,SFT\n", "x.csv")
    expect(Result.isFailure(missing) && missing.failure.message).toContain("x.csv:1: missing column(s) split, avg_reward")
    const envBad = parseCsv(MAIN, good.replace("\nwebshop,", "\nminecraft,"), "y.csv")
    expect(Result.isFailure(envBad) && envBad.failure.message).toMatch(/^y\.csv:2: bad row/)
  })
})

describe("paper tables", () => {
  it.effect("decode the shared tables.json and answer lookups", () =>
    Effect.gen(function*() {
      const paper = yield* loadPaperTables()
      expect(paper.columns).toEqual(["webshop", "sciworld_seen", "sciworld_unseen", "alfworld_seen", "alfworld_unseen"])
      expect(paperValue(paper, "avg_reward", "ETO", "webshop")).toBe(67.4)
      expect(paperValue(paper, "success_rate", "SFT", "sciworld_unseen")).toBe(73.5)
      expect(paperValue(paper, "avg_reward", "Expert", "webshop")).toBeUndefined()
      expect(paper.claims.length).toBeGreaterThan(0)
      expect(paperColumn("sciworld", "seen")).toBe("sciworld_seen")
      expect(paperColumn("sciworld", "dev")).toBeUndefined()
      expect(paperColumn("alfworld", "unseen")).toBe("alfworld_unseen")
      expect(paperColumn("alfworld", "valid_unseen")).toBe("alfworld_unseen")
      expect(paperColumn("webshop", "dev")).toBeUndefined()
    }))

  it.effect("fail with the file name when the file is missing or malformed", () =>
    Effect.gen(function*() {
      const dir = tmp()
      const exit = yield* Effect.exit(loadPaperTables(dir))
      expect(Exit.isFailure(exit) && String(exit.cause)).toContain(`${path.join(dir, "tables.json")}: file not found`)
      const text = fs.readFileSync(path.join(paperDir(), "tables.json"), "utf8")
      const json = JSON.parse(text)
      json.table2_average_reward["GPT-4"] = [1, 2]
      const r = decodePaperTables(JSON.stringify(json), "t.json")
      expect(Result.isFailure(r) && r.failure.message).toContain("table2_average_reward[\"GPT-4\"] has 2 values for 5 columns")
      delete json.claims
      const r2 = decodePaperTables(JSON.stringify(json), "t.json")
      expect(Result.isFailure(r2) && r2.failure.message).toContain("unexpected structure")
    }))
})

describe("claim verdicts", () => {
  const m = (xs: Array<number>) => Stats.meanCi(xs)

  it("compare means by their 95% intervals", () => {
    expect(compareCells("A", m([70, 71, 72]), "B", m([60, 61, 62])).verdict).toBe("holds")
    expect(compareCells("A", m([60, 61, 62]), "B", m([70, 71, 72])).verdict).toBe("does not hold")
    expect(compareCells("A", m([60, 65, 70]), "B", m([58, 62, 66])).verdict).toBe("inconclusive")
    expect(compareCells("A", m([70]), "B", m([60])).evidence).toContain("one seed")
    expect(compareCells("A", undefined, "B", m([60, 61])).evidence).toContain("no data")
    // Separated, but by less than a required gap.
    expect(compareCells("A", m([65, 66, 67]), "B", m([60, 61, 62]), { minGap: 10 }).verdict).toBe("does not hold")
    expect(compareCells("A steps", m([5, 5.1, 5.2]), "B steps", m([8, 8.1, 8.2]), { lowerIsBetter: true }).verdict).toBe("holds")
    const d = difference(m([10, 11, 12]), m([1, 2, 3]))
    expect(d.mean).toBeCloseTo(9, 10)
    expect(d.halfWidth).toBeCloseTo(Math.SQRT2 * m([10, 11, 12]).halfWidth!, 10)
  })

  it.effect("checks each claim of tables.json that concerns an environment", () =>
    Effect.gen(function*() {
      const paper = yield* loadPaperTables()
      const results: Results = {
        main: mainRows([
          ["webshop", "test", "SFT", 63],
          ["webshop", "test", "Best-of-N", 64],
          ["webshop", "test", "RFT", 58],
          ["webshop", "test", "PPO", 50],
          ["webshop", "test", "ETO", 70],
          ["sciworld", "seen", "SFT", 67, 14],
          ["sciworld", "seen", "ETO", 74, 11],
          ["sciworld", "unseen", "SFT", 53, 14],
          ["sciworld", "unseen", "ETO", 66, 12],
          ["alfworld", "valid_seen", "SFT", 60],
          ["alfworld", "valid_seen", "PPO", 22],
          ["alfworld", "valid_seen", "ETO", 55],
          ["alfworld", "valid_unseen", "SFT", 67],
          ["alfworld", "valid_unseen", "PPO", 29],
          ["alfworld", "valid_unseen", "ETO", 72]
        ]),
        iterations: [...iterationRows("webshop", "test", [63, 66, 70, 64]), ...iterationRows("sciworld", "seen", [67, 70, 73, 80])],
        levels: levelRows,
        selfPlay: selfPlayRows
      }
      const verdicts = (env: "webshop" | "sciworld" | "alfworld") =>
        Object.fromEntries(checkClaims(paper.claims, results, env).map((c) => [c.claim.slice(0, 24), c.verdict]))
      expect(verdicts("webshop")).toEqual({
        "ETO beats SFT on every d": "holds",
        "ETO beats Best-of-N, RFT": "holds",
        "Iterations help for 1-2 ": "holds",
        "Trajectory-wise contrast": "holds",
        "Without behavioural clon": "holds"
      })
      expect(verdicts("sciworld")).toEqual({
        "ETO beats SFT on every d": "holds",
        // No Best-of-N / RFT / PPO rows on ScienceWorld.
        "ETO beats Best-of-N, RFT": "inconclusive",
        // Gains 13 and 7, each ± 3.5: the difference 6 ± 5.0 is above 0.
        "ETO's gain over SFT is l": "holds",
        // Keeps rising at iteration 3.
        "Iterations help for 1-2 ": "does not hold",
        "ETO reaches higher rewar": "holds"
      })
      expect(verdicts("alfworld")).toEqual({
        // ETO below SFT on seen.
        "ETO beats SFT on every d": "does not hold",
        // PPO is clearly below, Best-of-N and RFT were not run.
        "ETO beats Best-of-N, RFT": "inconclusive",
        "PPO is unstable with bin": "holds",
        "Iterations help for 1-2 ": "inconclusive"
      })
      const gain = checkClaims(paper.claims, results, "sciworld").find((c) => c.claim.startsWith("ETO's gain"))!
      expect(gain.checks[0]!.evidence).toMatch(/^gain unseen 13\.0 ± 3\.5 − gain seen 7\.0 ± 3\.5 = 6\.0 ± 5\.0: holds$/)
      expect(gain.verdict).toBe("holds")
    }))

  it.effect("a claim with one seed per method is inconclusive, with the numbers shown", () =>
    Effect.gen(function*() {
      const paper = yield* loadPaperTables()
      const one = mainRows([["webshop", "test", "SFT", 60], ["webshop", "test", "ETO", 70]]).filter((r) => r.seed === 1)
      const [first] = checkClaims(paper.claims, { main: one, iterations: [], levels: [], selfPlay: [] }, "webshop")
      expect(first!.verdict).toBe("inconclusive")
      expect(first!.checks[0]!.evidence).toBe("WebShop: ETO 69.0 > SFT 59.0: one seed, no interval")
    }))
})

describe("SVG charts", () => {
  it("nice ticks cover the range with round steps", () => {
    expect(niceTicks(0, 100)).toEqual([0, 20, 40, 60, 80, 100])
    expect(niceTicks(0, 67.4)).toEqual([0, 20, 40, 60, 80])
    expect(niceTicks(0.5, 3.2)).toEqual([0, 1, 2, 3, 4])
    expect(niceTicks(0.2, 0.9)).toEqual([0.2, 0.4, 0.6, 0.8, 1])
    expect(niceTicks(5, 5).length).toBeGreaterThan(1)
  })

  it("draw axes, ticks, labels, legend, bars, lines and whiskers", () => {
    const bars = barChart({
      title: "Main <table>",
      yLabel: "Average reward (x100)",
      groups: ["WebShop", "ScienceWorld seen"],
      series: ["SFT", "ETO"],
      values: [[{ y: 60, low: 58, high: 62 }, { y: 67 }], [undefined, { y: 70 }]],
      yMin: 0,
      yMax: 100
    })
    expect(bars.startsWith("<svg xmlns=\"http://www.w3.org/2000/svg\"")).toBe(true)
    expect(bars).toContain("Main &lt;table&gt;")
    expect(bars.match(/<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="[\d.]+" fill="#/g)).toHaveLength(1 + 3 + 2) // background, 3 bars, 2 legend boxes
    for (const t of ["0", "20", "100", "WebShop", "ScienceWorld seen", "SFT", "ETO", "Average reward (x100)"]) expect(bars).toContain(`>${t}</text>`)
    expect(bars.match(/<path d="M[^"]*V/g)).toHaveLength(1) // one whisker
    const line = lineChart({
      title: "ETO over iterations",
      xLabel: "ETO iteration",
      yLabel: "Average reward",
      series: [{ name: "WebShop", points: [{ x: 0, y: 60 }, { x: 1, y: 65, low: 63, high: 67 }, { x: 2, y: 62 }] }],
      integerX: true
    })
    expect(line).toContain(">ETO iteration</text>")
    for (const t of ["0", "1", "2"]) expect(line).toContain(`>${t}</text>`)
    expect(line.match(/<circle /g)).toHaveLength(3)
    expect(line).toMatch(/<path d="M[\d.]+ [\d.]+L[\d.]+ [\d.]+L[\d.]+ [\d.]+" fill="none"/)
  })
})

describe("Markdown report", () => {
  it.effect("puts our means ± CI beside the paper's numbers, embeds the plots and checks the claims", () =>
    Effect.gen(function*() {
      const dir = tmp()
      yield* writeCsv(path.join(dir, "main.csv"), MAIN, mainRows([["webshop", "test", "SFT", 55], ["webshop", "test", "ETO", 61, 8]]))
      yield* writeCsv(path.join(dir, "iterations.csv"), ITERATIONS, iterationRows("webshop", "test", [55, 59, 61, 57]))
      yield* writeCsv(path.join(dir, "contrastive_levels.csv"), CONTRASTIVE_LEVELS, levelRows)
      yield* writeCsv(path.join(dir, "self_play.csv"), SELF_PLAY, selfPlayRows)
      const results = yield* readResults(dir)
      const paper = yield* loadPaperTables()
      const files = yield* writeReport(path.join(dir, "out"), results, paper)
      expect(files.map((f) => path.relative(dir, f)).sort()).toEqual(
        ["out/plots/iterations.svg", "out/plots/main-paper.svg", "out/plots/main.svg", "out/report.md"].sort()
      )
      const md = fs.readFileSync(path.join(dir, "out", "report.md"), "utf8")
      // 55 ± t(0.975, 2) * 1 / sqrt(3) = 55.0 ± 2.5
      expect(md).toContain("| SFT | test (WebShop) | 55.0 ± 2.5 | 63.1 | 27.5 ± 0.0 | 33.0 | 10.0 ± 0.2 | 3 |")
      expect(md).toContain("| ETO | test (WebShop) | 61.0 ± 2.5 | 67.4 |")
      expect(md).toContain("![Average reward, ours](plots/main.svg)")
      expect(md).toContain("| WebShop | ETO (step, stable) | step | 1e-7 | 0.5 | test (WebShop) | 61.0 ± 2.5 | 62.8 | 3 |")
      expect(md).toContain("| WebShop | untuned | no | test (WebShop) | 18.0 ± 2.5 | 17.9 | — | 3 |")
      expect(md).toContain("| WebShop | Self-play RFT+ETO | no | test (WebShop) | 55.0 ± 2.5 | 51.2 | 31, 32, 33 trajectories; 25, 25, 25 pairs | 3 |")
      expect(md).toContain("- **holds**: ETO beats SFT on every dataset")
      expect(md).toContain("  - WebShop: ETO 61.0 ± 2.5 > SFT 55.0 ± 2.5: holds")
      expect(md).not.toContain("### ScienceWorld")
      expect(renderReport({ main: [], iterations: [], levels: [], selfPlay: [] }, paper)).toContain("No results yet.")
    }))
})

describe("experiment outcomes to tables", () => {
  const summary = (split: string, seed: number, avgReward: number): EvaluationSummary => ({
    env: "webshop",
    split,
    policy: "p",
    tasks: 20,
    avgReward,
    successRate: avgReward / 2,
    meanSteps: 6,
    seed,
    wallSeconds: 3
  })
  const resolve = (s: Parameters<typeof Config.resolveStrategy>[0]) => Config.resolveStrategy(s, "webshop")
  const outcome = (s: Config.ResolvedStrategy, seed: number, reward: number, iterations?: Array<number>): Experiment.Outcome => ({
    label: s.label,
    strategy: s,
    seed,
    evaluations: [summary("test", seed, reward)],
    ...(iterations ? { iterations: iterations.map((r, iteration) => ({ iteration, evaluations: [summary("test", seed, r)] })) } : {})
  })

  it.effect("fills main, iterations, levels and self-play tables and they read back", () =>
    Effect.gen(function*() {
      const sft = resolve({ _tag: "sft" })
      const eto = resolve({ _tag: "eto" })
      const step = resolve({ _tag: "eto", level: "step", lr: 1e-7, beta: 0.5 })
      const untuned = resolve({ _tag: "base" })
      const sp = resolve({ _tag: "self-play", method: "rft+eto" })
      const outcomes = [1, 2].flatMap((seed) => [
        outcome(sft, seed, 0.6),
        outcome(eto, seed, 0.66, [0.6, 0.64, 0.66]),
        outcome(step, seed, 0.62),
        outcome(untuned, seed, 0.18),
        outcome(sp, seed, 0.5)
      ])
      const r = resultsFromOutcomes(outcomes)
      expect(r.main.map((x) => x.method)).toEqual(["SFT", "ETO", "ETO (step)", "Untuned", "Self-play RFT+ETO", "SFT", "ETO", "ETO (step)", "Untuned", "Self-play RFT+ETO"])
      expect(r.main[1]).toMatchObject({ avg_reward: 66, success_rate: 33, seed: 1, split: "test", tasks: 20 })
      expect(r.iterations.map((x) => [x.seed, x.iteration, x.avg_reward])).toEqual([[1, 0, 60], [1, 1, 64], [1, 2, 66], [2, 0, 60], [2, 1, 64], [2, 2, 66]])
      expect(r.levels.filter((x) => x.seed === 1).map((x) => [x.method, x.level, x.lr, x.beta])).toEqual([
        ["SFT", "none", null, null],
        ["ETO", "trajectory", 1e-6, 0.1],
        ["ETO (step)", "step", 1e-7, 0.5]
      ])
      expect(r.selfPlay.filter((x) => x.seed === 1).map((x) => [x.method, x.with_bc])).toEqual([
        ["SFT", true],
        ["ETO", true],
        ["untuned", false],
        ["RFT+ETO", false]
      ])
      const dir = tmp()
      const files = yield* writeResultTables(dir, r)
      expect(files.map((f) => path.basename(f))).toEqual(["main.csv", "iterations.csv", "contrastive_levels.csv", "self_play.csv"])
      expect(yield* readResults(dir)).toEqual(r)
      // Without level or self-play strategies only main and iterations are written.
      const plain = resultsFromOutcomes(outcomes.filter((o) => o.strategy === sft || o.strategy === eto))
      expect([plain.levels, plain.selfPlay]).toEqual([[], []])
    }))
})
