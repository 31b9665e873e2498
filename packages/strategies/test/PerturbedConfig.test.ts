/**
 * The `expert` setting of an experiment: decoded with one-line errors,
 * defaults filled in, absent from every smoke configuration, and without it
 * the expert and SFT phases keep the keys they had before it existed; with it
 * the SFT agent trains on the expert data plus a perturbed-episodes phase,
 * and `search: listed` has ALFWorld's listed-search expert play the expert
 * data (refused in one line where an environment has no such form).
 */
import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Random } from "@eto/core"
import { loadData } from "@eto/envs/alfworld/Data"
import { makeEnvironment } from "@eto/envs/alfworld/index"
import { Effect, Layer, Result } from "effect"
import { rollout } from "@eto/core"
import { decodeConfig, type ExperimentConfig, loadConfig, lookAroundOf, perturbationOf, scaleLimits, searchOf } from "../src/Config"
import { EXPERT_SEED, runExperiment, sftDataOf, type StrategyTable, validate } from "../src/Experiment"
import { type ExpertManifest, expertSpec, type PerturbedManifest, readTrajectories } from "../src/Phases"
import { layerRunStore, type PhaseOutput, RunReporter, specKey, textReporter } from "../src/Runner"
import { sftTraining } from "../src/strategies/Common"
import { modelSettings } from "../src/Training"
import { sftSpec } from "../src/training/Sft"
import { countingEnv, fixedCountPolicy } from "./fixtures/CountingEnv"

const decode = (json: unknown) => decodeConfig(JSON.stringify(json), "x.json")
const base = { name: "p", env: "alfworld", scale: "smoke", seeds: [1], strategies: [{ _tag: "sft" }] }

describe("the expert setting", () => {
  it("decodes with defaults, 0 or absent meaning none, and names the field of a bad value", () => {
    expect(perturbationOf(Result.getOrThrow(decode(base)))).toBeUndefined()
    expect(perturbationOf(Result.getOrThrow(decode({ ...base, expert: { perturbedEpisodes: 0 } })))).toBeUndefined()
    expect(perturbationOf(Result.getOrThrow(decode({ ...base, expert: { perturbedEpisodes: 2 } })))).toEqual({
      episodes: 2,
      mistakeRate: 0.2,
      maxMistakes: 2,
      keepUnsolved: false
    })
    expect(perturbationOf(Result.getOrThrow(decode({ ...base, expert: { perturbedEpisodes: 1, mistakeRate: 0.5, maxMistakes: 3, keepUnsolved: true } }))))
      .toEqual({ episodes: 1, mistakeRate: 0.5, maxMistakes: 3, keepUnsolved: true })
    // lookAround on its own: no perturbed episodes; off unless true
    const looking = Result.getOrThrow(decode({ ...base, expert: { lookAround: true } }))
    expect([perturbationOf(looking), lookAroundOf(looking)]).toEqual([undefined, true])
    expect(lookAroundOf(Result.getOrThrow(decode({ ...base, expert: { lookAround: false, perturbedEpisodes: 1 } })))).toBe(false)
    expect(lookAroundOf(Result.getOrThrow(decode(base)))).toBe(false)
    expect(searchOf(Result.getOrThrow(decode(base)))).toBeUndefined()
    expect(searchOf(Result.getOrThrow(decode({ ...base, expert: { search: "listed" } })))).toBe("listed")
    for (const [expert, field] of [
      [{ perturbedEpisodes: -1 }, "expert.perturbedEpisodes"],
      [{ perturbedEpisodes: 1.5 }, "expert.perturbedEpisodes"],
      [{ perturbedEpisodes: 1, mistakeRate: 0 }, "expert.mistakeRate"],
      [{ perturbedEpisodes: 1, mistakeRate: 1.2 }, "expert.mistakeRate"],
      [{ perturbedEpisodes: 1, maxMistakes: 0 }, "expert.maxMistakes"],
      [{ mistakeRate: 0.1 }, "expert.perturbedEpisodes"],
      [{ lookAround: true, keepUnsolved: true }, "expert.perturbedEpisodes"],
      [{ lookAround: "yes" }, "expert.lookAround"],
      [{ search: "random" }, "expert.search"]
    ] as const) {
      const r = decode({ ...base, expert })
      expect(Result.isFailure(r)).toBe(true)
      const message = Result.isFailure(r) ? r.failure.message : ""
      expect(message).toContain(field)
      expect(message).toContain("x.json")
      expect(message).not.toContain("\n")
    }
  })

  it.effect("is absent from every smoke configuration (their committed baselines predate it)", () =>
    Effect.gen(function*() {
      const dir = path.join(__dirname, "..", "src", "configs")
      for (const f of fs.readdirSync(dir).filter((x) => x.endsWith("-smoke.json"))) {
        const c = yield* loadConfig(path.join(dir, f))
        expect(perturbationOf(c), f).toBeUndefined()
        expect(lookAroundOf(c), f).toBe(false)
        expect(searchOf(c), f).toBeUndefined()
      }
    }))

  it.effect("leaves the expert and SFT phase keys of an existing configuration as they were", () =>
    Effect.gen(function*() {
      // alfworld-ci as committed when its runs were made: expert phase 09a15053ad81b041 and,
      // for seed 2, SFT phase 3e29506a7bbaee3d (keys of the finished runs of that configuration)
      const config = Result.getOrThrow(decode({
        name: "alfworld-ci",
        env: "alfworld",
        scale: "ci",
        evalSplits: ["seen", "unseen"],
        limits: { trainTasks: 600, exploreTasks: 20, testTasks: 25 },
        seeds: [1, 2],
        model: { nLayer: 3, nEmbd: 96, nHead: 4, nPositions: 512, vocabSize: 1024, maxReplyTokens: 20, instructionPrompt: "none", thoughts: "none", windows: "episode", stateNotes: "env" },
        strategies: [{ _tag: "sft", lr: 0.003, epochs: 6, batchSize: 16, warmup: 0.05 }],
        engine: "native"
      }))
      const env = makeEnvironment(Effect.runSync(loadData(undefined, (id) => Random.hashString(id) % 400 === 0)))
      const spec = expertSpec(env, { split: "train", limit: scaleLimits(config).trainTasks, seed: EXPERT_SEED })
      expect(specKey(spec)).toBe("09a15053ad81b041")
      expect(specKey(expertSpec(env, { split: "train", limit: 600, seed: EXPERT_SEED, lookAround: false }))).toBe("09a15053ad81b041")
      expect(specKey(expertSpec(env, { split: "train", limit: 600, seed: EXPERT_SEED, lookAround: true }))).not.toBe("09a15053ad81b041")
      expect(specKey(expertSpec(env, { split: "train", limit: 600, seed: EXPERT_SEED, search: undefined }))).toBe("09a15053ad81b041")
      expect(specKey(expertSpec(env, { split: "train", limit: 600, seed: EXPERT_SEED, search: "listed" }))).not.toBe("09a15053ad81b041")
      const expert: PhaseOutput<ExpertManifest> = {
        phase: "expert",
        key: specKey(spec),
        dir: "",
        manifest: { file: "trajectories.jsonl", trajectories: 600, split: "train", successes: 600, avgReward: 1 },
        reused: true,
        wallSeconds: 0
      }
      // no perturbed episodes asked for: no phase runs (no run store is provided) and the data is the expert's alone
      const data = yield* (sftDataOf(config, env, expert, 600) as Effect.Effect<ReadonlyArray<PhaseOutput<{ readonly file: string }>>>)
      expect(data).toEqual([expert])
      const ctx = { config } as Parameters<typeof sftTraining>[0]
      expect(specKey(sftSpec(env, modelSettings(config), data, { training: sftTraining(ctx), seed: 2 }))).toBe("3e29506a7bbaee3d")
    }))
})

describe("an experiment with perturbed expert episodes", () => {
  const env = countingEnv()
  const seen: Array<ReadonlyArray<PhaseOutput<{ readonly file: string }>>> = []
  const table: StrategyTable = {
    sft: {
      run: (ctx) => {
        seen.push(ctx.sftData)
        return Effect.map(ctx.evaluate({ name: "sft", policy: fixedCountPolicy(2) }), (evaluations) => ({ evaluations }))
      }
    }
  }
  const config = (extra: object): ExperimentConfig =>
    Result.getOrThrow(decode({ name: "c", env: "webshop", scale: "smoke", evalSplits: ["test"], seeds: [1], strategies: [{ _tag: "sft" }], ...extra }))
  const provide = (root: string) =>
    Effect.provide(Layer.mergeAll(layerRunStore(root), Layer.succeed(RunReporter, textReporter(() => {}, { intervalMs: 0 }))))

  it.effect("trains the SFT agent on the expert data, then the perturbed episodes; the expert phase is unchanged", () =>
    Effect.gen(function*() {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), "eto-perturbed-"))
      seen.length = 0
      yield* runExperiment(config({}), env, table).pipe(provide(root))
      yield* runExperiment(config({ expert: { perturbedEpisodes: 2, mistakeRate: 0.5 } }), env, table).pipe(provide(root))
      const [plain, perturbed] = seen
      expect(plain!.map((d) => d.phase)).toEqual(["expert"])
      expect(perturbed!.map((d) => d.phase)).toEqual(["expert", "expert-perturbed"])
      expect(perturbed![0]!.key).toBe(plain![0]!.key)
      expect(perturbed![0]!.reused).toBe(true)
      const m = perturbed![1]!.manifest as PerturbedManifest
      expect(m.played).toBe(2 * (plain![0]!.manifest as ExpertManifest).trajectories)
      expect(m.injected.valid + m.injected.repeat + m.injected.earlier).toBeGreaterThan(0)
    }))
})

describe("expert.search: listed", () => {
  const env = makeEnvironment(Effect.runSync(loadData(undefined, (id) => Random.hashString(id) % 400 === 0)))
  const config = (expert: object) =>
    Result.getOrThrow(decode({ ...base, limits: { trainTasks: 6 }, evalSplits: ["seen"], expert }))
  const table: StrategyTable = { sft: { run: () => Effect.succeed({ evaluations: [] }) } }
  const provide = (root: string) =>
    Effect.provide(Layer.mergeAll(layerRunStore(root), Layer.succeed(RunReporter, textReporter(() => {}, { intervalMs: 0 }))))

  it.effect("has the listed-search expert play the expert data and the perturbed episodes", () =>
    Effect.gen(function*() {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), "eto-listed-"))
      const seen: Array<ReadonlyArray<PhaseOutput<{ readonly file: string }>>> = []
      const recording: StrategyTable = { sft: { run: (ctx) => Effect.sync(() => (seen.push(ctx.sftData), { evaluations: [] })) } }
      yield* runExperiment(config({ search: "listed", perturbedEpisodes: 1 }), env, recording).pipe(provide(root))
      const [data] = seen
      expect(data!.map((d) => d.phase)).toEqual(["expert", "expert-perturbed"])
      const played = yield* readTrajectories(data![0]! as PhaseOutput<ExpertManifest>)
      const tasks = played.map((t) => t.task)
      const direct = yield* rollout(env, env.listedSearchExpert!(EXPERT_SEED), tasks, { source: { kind: "expert" } })
      expect(played.map((t) => t.turns.map((u) => u.action))).toEqual(direct.map((t) => t.turns.map((u) => u.action)))
      const seeded = yield* rollout(env, env.expert(EXPERT_SEED), tasks, { source: { kind: "expert" } })
      expect(played.map((t) => t.turns.map((u) => u.action))).not.toEqual(seeded.map((t) => t.turns.map((u) => u.action)))
      expect(played.every((t) => t.success)).toBe(true)
      const perturbed = yield* readTrajectories(data![1]! as PhaseOutput<ExpertManifest>)
      expect(perturbed.length).toBeGreaterThan(0)
      expect(perturbed.every((t) => t.success)).toBe(true)
    }))

  it("is refused in one line for an environment whose expert has no listed search", () => {
    const countingConfig = (expert: object) =>
      Result.getOrThrow(decode({ name: "c", env: "webshop", scale: "smoke", evalSplits: ["test"], seeds: [1], strategies: [{ _tag: "sft" }], expert }))
    const r = validate(countingConfig({ search: "listed" }), countingEnv(), table)
    expect(Result.isFailure(r)).toBe(true)
    const message = Result.isFailure(r) ? r.failure.message : ""
    expect(message).toContain("expert.search")
    expect(message).toContain("alfworld")
    expect(message).not.toContain("\n")
    expect(Result.isSuccess(validate(countingConfig({}), countingEnv(), table))).toBe(true)
  })
})
