import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { randomPolicy, type Task } from "@eto/core"
import { Effect, Exit, Layer, Result } from "effect"
import * as Pairs from "../src/Pairs"
import {
  buildPairs,
  buildSelfPlayPairs,
  evaluate,
  expertData,
  explore,
  readPairs,
  readStepExplorations,
  readTrajectories,
  selectTasks,
  stepExplore
} from "../src/Phases"
import { layerRunStore, RunReporter, textReporter } from "../src/Runner"
import { countingEnv, fixedCountPolicy } from "./fixtures/CountingEnv"

const provide = (root: string, lines: Array<string> = []) =>
  Effect.provide(Layer.mergeAll(layerRunStore(root), Layer.succeed(RunReporter, textReporter((l) => lines.push(l), { intervalMs: 0 }))))

const tempRuns = () => fs.mkdtempSync(path.join(os.tmpdir(), "eto-phases-"))

describe("selectTasks", () => {
  it("spreads a limited selection over the whole split", () => {
    const tasks = Array.from({ length: 10 }, (_, i) => ({ id: `t${i}` }) as Task)
    expect(selectTasks(tasks, 3).map((t) => t.id)).toEqual(["t0", "t3", "t6"])
    expect(selectTasks(tasks, undefined)).toHaveLength(10)
    expect(selectTasks(tasks, 50)).toHaveLength(10)
  })
})

describe("shared phases on a real (small) environment", () => {
  const env = countingEnv()

  it.effect("expert data, exploration, trajectory pairs and evaluation, each reused on rerun", () =>
    Effect.gen(function*() {
      const root = tempRuns()
      const lines: Array<string> = []
      const run = Effect.gen(function*() {
        const expert = yield* expertData(env, { split: "train", limit: 6, seed: 1 })
        const agent = { name: "count-to-2", policy: fixedCountPolicy(2) }
        const explored = yield* explore(env, agent, { split: "train", limit: 6, seed: 1 })
        const pairs = yield* buildPairs("trajectory", { expert, explorations: explored })
        const evaluated = yield* evaluate(env, agent, { split: "test", seed: 1 })
        return { expert, explored, pairs, evaluated }
      })
      const first = yield* run.pipe(provide(root, lines))
      expect(first.expert.manifest).toMatchObject({ trajectories: 6, successes: 6, avgReward: 1, split: "train" })
      const experts = yield* readTrajectories(first.expert)
      // Goals of the spread selection: tasks 0, 1, 2, 4, 5, 6 of [1, 2, 3, 4, 2, 3, 5, 1].
      expect(experts.map((t) => t.task.metadata.goal)).toEqual([1, 2, 3, 2, 3, 5])
      expect(experts.map((t) => t.steps)).toEqual([2, 3, 4, 3, 4, 6])

      const explorations = yield* readTrajectories(first.explored)
      expect(explorations.map((t) => t.reward)).toEqual([0.75, 1, 0.75, 1, 0.75, 0.25])
      // Goal-2 tasks tie with the expert (both 1.0): dropped; the other four pair up.
      expect(first.pairs.manifest).toMatchObject({ level: "trajectory", pairs: 4, considered: 6, ties: 2, flipped: 0 })
      const pairs = yield* readPairs(first.pairs)
      const direct = Result.getOrThrow(Pairs.trajectoryPairs(experts, explorations))
      expect(pairs).toEqual(direct.pairs)

      expect(first.evaluated.manifest.summary).toMatchObject({ env: "webshop", split: "test", policy: "count-to-2", tasks: 3, seed: 1 })
      // Goals 2, 4, 3: rewards 1, 0.5, 0.75.
      expect(first.evaluated.manifest.summary.avgReward).toBeCloseTo(0.75, 12)
      expect(first.evaluated.manifest.summary.successRate).toBeCloseTo(1 / 3, 12)
      expect(lines.filter((l) => / done in /.test(l))).toHaveLength(4)
      expect(lines.some((l) => /^phase expert: 6\/6 \(100%\)/.test(l))).toBe(true)

      const again = yield* run.pipe(provide(root))
      expect([again.expert.reused, again.explored.reused, again.pairs.reused, again.evaluated.reused]).toEqual([true, true, true, true])
      expect(again.evaluated.manifest.summary).toEqual(first.evaluated.manifest.summary)
    }))

  it.effect("a different policy setting re-runs exploration and everything after it, not the expert data", () =>
    Effect.gen(function*() {
      const root = tempRuns()
      const chain = (k: number) =>
        Effect.gen(function*() {
          const expert = yield* expertData(env, { split: "train", limit: 4, seed: 1 })
          const explored = yield* explore(env, { name: "counter", policy: fixedCountPolicy(k), settings: { k } }, {
            split: "train",
            limit: 4,
            seed: 1
          })
          const pairs = yield* buildPairs("trajectory", { expert, explorations: explored })
          return [expert, explored, pairs] as const
        }).pipe(provide(root))
      const a = yield* chain(2)
      const b = yield* chain(3)
      expect([b[0].reused, b[1].reused, b[2].reused]).toEqual([true, false, false])
      expect(b[1].key).not.toBe(a[1].key)
      expect(b[2].key).not.toBe(a[2].key)
    }))

  it.effect("step-level exploration replays the expert prefix, and step and mixture pairs build from it", () =>
    Effect.gen(function*() {
      const root = tempRuns()
      const { steps, mixture, records, experts } = yield* Effect.gen(function*() {
        const expert = yield* expertData(env, { split: "train", seed: 1 })
        const agent = { name: "count-to-1", policy: fixedCountPolicy(1) }
        const explored = yield* explore(env, agent, { split: "train", seed: 1 })
        const stepped = yield* stepExplore(env, agent, expert, { seed: 7, batchSize: 3 })
        const records = yield* readStepExplorations(stepped)
        const experts = yield* readTrajectories(expert)
        const steps = yield* buildPairs("step", { expert, stepExplorations: stepped })
        const mixture = yield* buildPairs("mixture", { expert, explorations: explored, stepExplorations: stepped })
        return { steps, mixture, records, experts }
      }).pipe(provide(root))
      expect(records).toHaveLength(8)
      records.forEach((r, i) => {
        const e = experts[i]!
        expect(r.t).toBeGreaterThanOrEqual(1)
        expect(r.t).toBeLessThanOrEqual(e.turns.length)
        expect(r.trajectory.turns.slice(0, r.t - 1).map((x) => x.action)).toEqual(e.turns.slice(0, r.t - 1).map((x) => x.action))
        expect(r.trajectory.turns.slice(0, r.t - 1).map((x) => x.observation)).toEqual(e.turns.slice(0, r.t - 1).map((x) => x.observation))
      })
      const direct = Result.getOrThrow(Pairs.stepPairs(experts, records))
      expect(steps.manifest.pairs).toBe(direct.pairs.length)
      expect(steps.manifest.pairs).toBeGreaterThan(0)
      const stepPairs = yield* readPairs(steps).pipe(provide(root))
      for (const p of stepPairs) {
        expect(p.level).toBe("step")
        expect(p.chosen).toHaveLength(1)
        expect(p.chosenReward).toBeGreaterThan(p.rejectedReward)
      }
      expect(mixture.manifest.level).toBe("mixture")
      expect(mixture.manifest.pairs).toBeGreaterThan(steps.manifest.pairs)
    }))

  it.effect("self-play pairs from seeded random samples", () =>
    Effect.gen(function*() {
      const root = tempRuns()
      const out = yield* Effect.gen(function*() {
        const explored = yield* explore(env, { name: "random", policy: randomPolicy(3), settings: { seed: 3 } }, {
          split: "train",
          samples: 4,
          seed: 3
        })
        return yield* buildSelfPlayPairs(explored)
      }).pipe(provide(root))
      expect(out.manifest.level).toBe("self-play")
      expect(out.manifest.considered).toBe(8)
      expect(out.manifest.pairs + out.manifest.ties).toBe(8)
      const pairs = yield* readPairs(out)
      for (const p of pairs) expect(p.chosenReward).toBeGreaterThan(p.rejectedReward)
    }))

  it.effect("refuses step-level pairs without step explorations", () =>
    Effect.gen(function*() {
      const root = tempRuns()
      const exit = yield* Effect.exit(Effect.gen(function*() {
        const expert = yield* expertData(env, { split: "test", seed: 1 })
        return yield* buildPairs("step", { expert })
      }).pipe(provide(root)))
      expect(Exit.isFailure(exit) && String(exit.cause)).toContain("step-level pairs need step explorations")
    }))
})
