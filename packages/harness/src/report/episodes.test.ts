import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import type { EvaluationSummary, Trajectory } from "@eto/core"
import { Config, type Experiment } from "@eto/strategies"
import { Effect, Exit } from "effect"
import { MAIN, writeCsv } from "./Csv"
import { collectEpisodes, EPISODES, kindOf, readEpisodes } from "./Episodes"
import { readResults, renderReport } from "./Markdown"
import { loadPaperTables } from "./Paper"

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "eto-episodes-"))

const trajectory = (id: string, reward: number): Trajectory => ({
  task: { id, env: "webshop", split: "test", instruction: "buy a lamp", metadata: {} },
  initialObservation: "WebShop",
  turns: [{ thought: "", action: "search[lamp]", observation: "results", reward: 0 }, { thought: "", action: "click[buy now]", observation: "done", reward }],
  reward,
  success: reward === 1,
  steps: 2,
  source: { kind: "policy", name: "p" }
})

const summary = (policy: string, seed: number, avgReward: number): EvaluationSummary => ({
  env: "webshop",
  split: "test",
  policy,
  tasks: 2,
  avgReward,
  successRate: 0,
  meanSteps: 2,
  seed,
  wallSeconds: 0.5
})

/** An evaluation phase directory as the run store leaves it. */
const writePhase = (runs: string, phase: string, key: string, s: EvaluationSummary, ts: ReadonlyArray<Trajectory>) => {
  const dir = path.join(runs, phase, key)
  fs.mkdirSync(dir, { recursive: true })
  fs.writeFileSync(path.join(dir, "manifest.json"), JSON.stringify({ file: "trajectories.jsonl", summary: s }))
  fs.writeFileSync(path.join(dir, "trajectories.jsonl"), ts.map((t) => JSON.stringify(t)).join("\n") + "\n")
}

describe("per-episode outcomes", () => {
  const resolve = (s: Parameters<typeof Config.resolveStrategy>[0]) => Config.resolveStrategy(s, "webshop")

  it.effect("are collected from the evaluation phases a run used, final and per iteration", () =>
    Effect.gen(function*() {
      const runs = tmp()
      const sftEval = summary("sft", 1, 0.3), etoIt1 = summary("eto-1", 1, 0.4), bon = summary("bon", 1, 0.5)
      writePhase(runs, "evaluate", "a", sftEval, [trajectory("B1:0", 0.25), trajectory("B2:", 0.35)])
      writePhase(runs, "evaluate", "b", etoIt1, [trajectory("B1:0", 0.5), trajectory("B2:", 0.3)])
      writePhase(runs, "best-of-n", "c", bon, [trajectory("B1:0", 1), trajectory("B2:", 0)])
      const eto = resolve({ _tag: "eto", iterations: 1 })
      const outcomes: Array<Experiment.Outcome> = [
        { label: "SFT", strategy: resolve({ _tag: "sft" }), seed: 1, evaluations: [sftEval] },
        { label: "ETO", strategy: eto, seed: 1, evaluations: [etoIt1], iterations: [{ iteration: 0, evaluations: [sftEval] }, { iteration: 1, evaluations: [etoIt1] }] },
        { label: "Best-of-N", strategy: resolve({ _tag: "best-of-n" }), seed: 1, evaluations: [bon] }
      ]
      const phases = [{ phase: "evaluate", key: "a" }, { phase: "evaluate", key: "b" }, { phase: "best-of-n", key: "c" }, { phase: "train-sft", key: "x" }]
      const rows = yield* collectEpisodes({ outcomes, runsDir: runs, phases })
      expect(rows.map((r) => [r.method, r.kind, r.iteration, r.task, r.reward])).toEqual([
        ["SFT", "sft", null, "B1:0", 25],
        ["SFT", "sft", null, "B2:", 35],
        ["ETO", "eto:trajectory", null, "B1:0", 50],
        ["ETO", "eto:trajectory", null, "B2:", 30],
        ["ETO", "eto:trajectory", 0, "B1:0", 25],
        ["ETO", "eto:trajectory", 0, "B2:", 35],
        ["ETO", "eto:trajectory", 1, "B1:0", 50],
        ["ETO", "eto:trajectory", 1, "B2:", 30],
        ["Best-of-N", "best-of-n", null, "B1:0", 100],
        ["Best-of-N", "best-of-n", null, "B2:", 0]
      ])
      expect(rows[8]).toMatchObject({ success: true, steps: 2, seed: 1, split: "test", env: "webshop" })
      // Written and read back through the schema.
      const dir = tmp()
      yield* writeCsv(path.join(dir, EPISODES.file), EPISODES, rows)
      expect(fs.readFileSync(path.join(dir, EPISODES.file), "utf8").split("\n")[0]).toBe("env,method,kind,iteration,split,seed,task,reward,success,steps")
      expect(yield* readEpisodes(path.join(dir, EPISODES.file))).toEqual(rows)
      // An evaluation no phase of the run holds is an error naming it.
      const missing = yield* Effect.exit(collectEpisodes({ outcomes: [{ ...outcomes[0]!, evaluations: [summary("gone", 2, 0)] }], runsDir: runs, phases }))
      expect(Exit.isFailure(missing) && String(missing.cause)).toContain("no evaluation phase holds gone seed 2 on test")
    }))

  it("name strategies by kind, with the ETO level and the self-play method", () => {
    expect(kindOf(resolve({ _tag: "eto-step" }))).toBe("eto:step")
    expect(kindOf(resolve({ _tag: "self-play", method: "rft+eto" }))).toBe("self-play:rft+eto")
    expect(kindOf(resolve({ _tag: "base" }))).toBe("base")
  })

  it.effect("make the report's claims check paired when the results folder has them", () =>
    Effect.gen(function*() {
      const dir = tmp()
      const paper = yield* loadPaperTables()
      const rows = [1, 2].flatMap((seed) =>
        ["SFT", "ETO"].flatMap((method) =>
          Array.from({ length: 30 }, (_, g) => ({
            env: "webshop" as const,
            method,
            kind: method.toLowerCase(),
            iteration: null,
            split: "test",
            seed,
            task: `B${g}:`,
            reward: 30 + (g % 7) * 5 + (method === "ETO" ? 4 : 0) + seed,
            success: false,
            steps: 4
          }))))
      yield* writeCsv(path.join(dir, EPISODES.file), EPISODES, rows)
      const mean = (m: string, seed: number) => rows.filter((r) => r.method === m && r.seed === seed).reduce((a, r) => a + r.reward, 0) / 30
      yield* writeCsv(path.join(dir, "main.csv"), MAIN, [1, 2].flatMap((seed) =>
        ["SFT", "ETO"].map((method) => ({ env: "webshop" as const, method, split: "test", seed, avg_reward: mean(method, seed), success_rate: 0, tasks: 30, mean_steps: 4, wall_seconds: 1 }))))
      const results = yield* readResults(dir)
      expect(results.episodes).toHaveLength(120)
      const md = renderReport(results, paper)
      expect(md).toContain("Every comparison is paired")
      expect(md).toContain("10,000 seeded resamples")
      expect(md).toContain("  - WebShop: ETO − SFT: +4.0 [95% CI +4.0, +4.0], paired over 30 goals × 2 seeds")
      // Without episodes.csv the report says its comparisons are not paired.
      fs.rmSync(path.join(dir, EPISODES.file))
      expect(renderReport(yield* readResults(dir), paper)).toContain("No per-episode outcomes were stored")
    }))
})
