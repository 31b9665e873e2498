import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Exit, Layer, Result } from "effect"
import { decodeConfig } from "../src/Config"
import { runExperiment, type StrategyTable, validate } from "../src/Experiment"
import { buildPairs, explore } from "../src/Phases"
import { layerRunStore, RunReporter, textReporter } from "../src/Runner"
import { countingEnv, fixedCountPolicy } from "./fixtures/CountingEnv"

const env = countingEnv()

/**
 * Strategies for exercising the orchestration on the counting game: fixed
 * counting policies stand in for trained checkpoints, and the iterative one
 * walks through the real exploration and pair phases between iterations.
 */
const table: StrategyTable = {
  base: { run: (ctx) => Effect.map(ctx.evaluate({ name: "untuned", policy: fixedCountPolicy(0) }), (evaluations) => ({ evaluations })) },
  sft: { run: (ctx) => Effect.map(ctx.evaluate({ name: "sft", policy: fixedCountPolicy(2) }), (evaluations) => ({ evaluations })) },
  eto: {
    run: (ctx) =>
      Effect.gen(function*() {
        const iterations = [{ iteration: 0, evaluations: yield* ctx.evaluate({ name: "sft", policy: fixedCountPolicy(2) }) }]
        for (let i = 1; i <= ctx.strategy.iterations; i++) {
          const current = { name: `count-${1 + i}`, policy: fixedCountPolicy(1 + i) }
          const explored = yield* explore(ctx.env, current, { split: "train", limit: ctx.trainTasks, seed: ctx.seed })
          yield* buildPairs("trajectory", { expert: ctx.expert, explorations: explored })
          iterations.push({ iteration: i, evaluations: yield* ctx.evaluate({ name: `count-${2 + i}`, policy: fixedCountPolicy(2 + i) }) })
        }
        return { evaluations: iterations[iterations.length - 1]!.evaluations, iterations }
      })
  }
}

const config = Result.getOrThrow(decodeConfig(
  JSON.stringify({
    name: "counting",
    env: "webshop",
    scale: "smoke",
    evalSplits: ["test", "train"],
    seeds: [1, 2],
    strategies: [{ _tag: "base" }, { _tag: "sft" }, { _tag: "eto", iterations: 2 }]
  }),
  "counting.json"
))

const provide = (root: string, lines: Array<string>) =>
  Effect.provide(Layer.mergeAll(layerRunStore(root), Layer.succeed(RunReporter, textReporter((l) => lines.push(l), { intervalMs: 0 }))))

describe("runExperiment", () => {
  it.effect("runs every strategy for every seed and reuses all phases on a rerun", () =>
    Effect.gen(function*() {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), "eto-exp-"))
      const lines: Array<string> = []
      const outcomes = yield* runExperiment(config, env, table).pipe(provide(root, lines))
      expect(outcomes.map((o) => `${o.label}/${o.seed}`)).toEqual(["Untuned/1", "SFT/1", "ETO/1", "Untuned/2", "SFT/2", "ETO/2"])
      const eto = outcomes[2]!
      expect(eto.iterations!.map((i) => i.iteration)).toEqual([0, 1, 2])
      expect(eto.evaluations.map((e) => e.split)).toEqual(["test", "train"])
      // Test goals 2, 4, 3: counting to 2 scores (1 + 0.5 + 0.75) / 3.
      expect(outcomes[1]!.evaluations[0]!.avgReward).toBeCloseTo(0.75, 12)
      // Counting to 4 (ETO after two iterations): (0.5 + 1 + 0.75) / 3.
      expect(eto.evaluations[0]!.avgReward).toBeCloseTo(0.75, 12)
      expect(eto.iterations![1]!.evaluations[0]!.avgReward).toBeCloseTo((0.75 + 0.75 + 1) / 3, 12)
      expect(lines.filter((l) => /^SFT seed 2: webshop\/test avg reward 75\.0, success 33\.3, 3 tasks$/.test(l))).toHaveLength(1)

      const rerun: Array<string> = []
      const again = yield* runExperiment(config, env, table).pipe(provide(root, rerun))
      expect(again.map((o) => o.evaluations)).toEqual(outcomes.map((o) => o.evaluations))
      expect(rerun.filter((l) => / done in /.test(l))).toEqual([])
      expect(rerun.filter((l) => / reused /.test(l)).length).toBeGreaterThan(10)
    }))

  it("refuses a configuration it cannot run, before any work", () => {
    const reason = (c: unknown, t: StrategyTable = table) => {
      const r = validate(Result.getOrThrow(decodeConfig(JSON.stringify(c), "c.json")), env, t)
      return Result.isFailure(r) ? r.failure.message : "ok"
    }
    const base = { name: "c", env: "webshop", scale: "smoke", seeds: [1], strategies: [{ _tag: "sft" }] }
    expect(reason(base)).toBe("ok")
    expect(reason({ ...base, strategies: [{ _tag: "ppo" }, { _tag: "rft" }] })).toBe("no implementation for strategy kind(s): ppo, rft")
    expect(reason({ ...base, evalSplits: ["seen"] })).toBe("webshop has no split seen (known: train, test)")
    expect(reason({ ...base, env: "alfworld" })).toBe("config c is for alfworld, the environment given is webshop")
  })

  it.effect("fails with the validation message", () =>
    Effect.gen(function*() {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), "eto-exp-"))
      const exit = yield* Effect.exit(runExperiment(config, env, { sft: table.sft! }).pipe(provide(root, [])))
      expect(Exit.isFailure(exit) && String(exit.cause)).toContain("no implementation for strategy kind(s): base, eto")
      expect(fs.readdirSync(root)).toEqual([])
    }))
})

describe("runExperiment and killed runs", () => {
  it.effect("removes unfinished directories of dead processes before it starts", () =>
    Effect.gen(function*() {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), "eto-exp-"))
      fs.mkdirSync(path.join(root, "explore", ".partial-0123456789abcdef-999999999-0a0b"), { recursive: true })
      const lines: Array<string> = []
      yield* runExperiment({ ...config, seeds: [1], strategies: [{ _tag: "sft" }] }, env, table).pipe(provide(root, lines))
      expect(lines[0]).toBe("removed 1 unfinished phase directory left by earlier runs")
      expect(fs.readdirSync(path.join(root, "explore"))).toEqual([])
    }))
})
