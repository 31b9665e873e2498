/**
 * `expert.lookAround` on real ScienceWorld tasks: an experiment's expert data
 * and perturbed expert episodes are played by the looking expert (a `look
 * around` first and after every teleport) with the plain expert's rewards,
 * step exploration replays those trajectories as its prefixes, the phase
 * keys say so, sciworld-smoke's expert key is what its finished runs had when
 * the setting is unset, and an environment without a look-around form is
 * refused in one line before any work.
 */
import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import type { Trajectory } from "@eto/core"
import { loadSync } from "@eto/envs/sciworld/index"
import { Effect, Layer, Result } from "effect"
import { decodeConfig, type ExperimentConfig, loadConfig, scaleLimits } from "../src/Config"
import { EXPERT_SEED, runExperiment, type StrategyContext, type StrategyTable, validate } from "../src/Experiment"
import { expertSpec, readStepExplorations, readTrajectories, stepExplore } from "../src/Phases"
import { layerRunStore, type PhaseOutput, RunReporter, specKey, textReporter } from "../src/Runner"
import { countingEnv } from "./fixtures/CountingEnv"

const env = loadSync()
const LOOK = "look around"
const teleported = (observation: string) => /^You teleport to the /.test(observation.trim())
const marked = (t: Trajectory) => t.turns.flatMap((u, i) => (u.loss === false ? [i] : []))

/** Every teleport but an episode's last turn is followed by a look around. */
const looksAfterTeleports = (t: Trajectory): boolean =>
  t.turns.every((u, k) => !teleported(u.observation) || k + 1 === t.turns.length || t.turns[k + 1]!.action === LOOK)

const configOf = (expert: object | undefined): ExperimentConfig =>
  Result.getOrThrow(decodeConfig(
    JSON.stringify({
      name: "look",
      env: "sciworld",
      scale: "smoke",
      limits: { trainTasks: 5 },
      seeds: [1],
      strategies: [{ _tag: "sft" }],
      ...(expert === undefined ? {} : { expert })
    }),
    "look.json"
  ))

const provide = (root: string) =>
  Effect.provide(Layer.mergeAll(layerRunStore(root), Layer.succeed(RunReporter, textReporter(() => {}, { intervalMs: 0 }))))

describe("expert.lookAround", () => {
  it.effect("leaves sciworld-smoke's expert key as its finished runs had it; set, the key changes", () =>
    Effect.gen(function*() {
      const c = yield* loadConfig(path.join(__dirname, "..", "src", "configs", "sciworld-smoke.json"))
      const options = { split: "train", limit: scaleLimits(c).trainTasks, seed: EXPERT_SEED }
      expect(specKey(expertSpec(env, options))).toBe("1716dd550644f232")
      expect(specKey(expertSpec(env, { ...options, lookAround: false }))).toBe("1716dd550644f232")
      expect(specKey(expertSpec(env, { ...options, lookAround: true }))).not.toBe("1716dd550644f232")
    }))

  it.effect("plays the expert data, the perturbed episodes and step exploration's prefixes with looks, at the plain expert's rewards", () =>
    Effect.gen(function*() {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), "eto-look-"))
      const contexts: Array<StrategyContext> = []
      const table: StrategyTable = {
        sft: {
          run: (ctx) => {
            contexts.push(ctx)
            return Effect.succeed({ evaluations: [] })
          }
        }
      }
      const perturbed = { perturbedEpisodes: 1, mistakeRate: 0.3 }
      yield* runExperiment(configOf(perturbed), env, table).pipe(provide(root))
      yield* runExperiment(configOf({ ...perturbed, lookAround: true }), env, table).pipe(provide(root))
      const [plainCtx, lookCtx] = contexts
      expect(lookCtx!.expert.key).not.toBe(plainCtx!.expert.key)
      expect(lookCtx!.sftData[1]!.key).not.toBe(plainCtx!.sftData[1]!.key)

      const plain = yield* readTrajectories(plainCtx!.expert)
      const looking = yield* readTrajectories(lookCtx!.expert)
      expect(looking).toHaveLength(5)
      expect(new Set(looking.map((t) => t.task.id.split("/")[0])).size).toBeGreaterThanOrEqual(4)
      looking.forEach((t, i) => {
        const p = plain[i]!
        expect(t.task.id).toBe(p.task.id)
        expect(t.reward, t.task.id).toBe(p.reward)
        expect(t.turns[0]!.action).toBe(LOOK)
        expect(looksAfterTeleports(t), t.task.id).toBe(true)
        expect(t.turns.filter((u) => u.action !== LOOK).map((u) => u.action)).toEqual(p.turns.filter((u) => u.action !== LOOK).map((u) => u.action))
      })
      expect(looking.every((t) => t.success)).toBe(true)
      expect(looking.filter((t) => t.turns.some((u) => teleported(u.observation))).length).toBeGreaterThan(2)
      expect(plain.some((t) => !looksAfterTeleports(t))).toBe(true)

      // the perturbed episodes: looks are added around the perturbed expert, so no wrong action replaces one
      const wrong = yield* readTrajectories(lookCtx!.sftData[1]!)
      expect(wrong.length).toBeGreaterThan(0)
      expect(wrong.some((t) => marked(t).length > 0)).toBe(true)
      for (const t of wrong) {
        expect(t.success).toBe(true)
        expect(t.turns[0]!.action).toBe(LOOK)
        expect(looksAfterTeleports(t), t.task.id).toBe(true)
        for (const i of marked(t)) expect(i === 0 || teleported(t.turns[i - 1]!.observation), `${t.task.id} turn ${i}`).toBe(false)
      }

      // step exploration replays the looking expert's first t-1 turns, and the expert (of the same seed) solves on from there
      const steps = yield* readStepExplorations(
        yield* stepExplore(env, { name: "expert", policy: env.expert(EXPERT_SEED) }, lookCtx!.expert, { seed: 3 }).pipe(provide(root))
      )
      expect(steps).toHaveLength(5)
      steps.forEach((r, i) => {
        expect(r.trajectory.turns.slice(0, r.t - 1)).toEqual(looking[i]!.turns.slice(0, r.t - 1))
        expect(r.trajectory.reward, r.trajectory.task.id).toBe(looking[i]!.reward)
      })
    }))

  it("is refused in one line for an environment whose expert cannot look around", () => {
    const countingConfig = (expert: object) =>
      Result.getOrThrow(decodeConfig(
        JSON.stringify({ name: "c", env: "webshop", scale: "smoke", evalSplits: ["test"], seeds: [1], strategies: [{ _tag: "sft" }], expert }),
        "c.json"
      ))
    const table: StrategyTable = { sft: { run: () => Effect.succeed({ evaluations: [] }) } }
    const r = validate(countingConfig({ lookAround: true }), countingEnv(), table)
    expect(Result.isFailure(r)).toBe(true)
    const message = Result.isFailure(r) ? r.failure.message : ""
    expect(message).toContain("expert.lookAround")
    expect(message).toContain("webshop")
    expect(message).toContain("sciworld")
    expect(message).not.toContain("\n")
    expect(Result.isSuccess(validate(countingConfig({ lookAround: false }), countingEnv(), table))).toBe(true)
  })
})
