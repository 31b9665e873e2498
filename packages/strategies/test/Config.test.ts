import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Exit, Result } from "effect"
import { checkLabels, decodeConfig, loadConfig, resolveStrategy, scaleLimits, withOverrides } from "../src/Config"

const configsDir = path.join(__dirname, "..", "src", "configs")

describe("experiment configs", () => {
  it.effect("every shipped config decodes and has unique strategy labels", () =>
    Effect.gen(function*() {
      const files = fs.readdirSync(configsDir).filter((f) => f.endsWith(".json"))
      expect(files.length).toBeGreaterThanOrEqual(5)
      for (const f of files) {
        const c = yield* loadConfig(path.join(configsDir, f))
        expect(c.name).toBe(f.replace(/\.json$/, ""))
        expect(Result.isSuccess(checkLabels(c))).toBe(true)
      }
      const levels = yield* loadConfig(path.join(configsDir, "webshop-levels.json"))
      expect(Result.getOrThrow(checkLabels(levels)).map((s) => s.label)).toEqual([
        "SFT",
        "ETO",
        "ETO (step, lr 1e-6, beta 0.1)",
        "ETO (step, lr 1e-7, beta 0.5)",
        "ETO (mixture)"
      ])
    }))

  it("fills omitted hyper-parameters with the paper's values for the environment", () => {
    const eto = { _tag: "eto" } as const
    const web = resolveStrategy(eto, "webshop")
    const alf = resolveStrategy(eto, "alfworld")
    expect(web).toMatchObject({ beta: 0.1, iterations: 2, level: "trajectory", truncationMargin: 5, explorationTemperature: 0 })
    expect(web._tag === "eto" && web.training).toEqual({ lr: 1e-6, batchSize: 32, epochs: 3, warmup: 0 })
    expect(alf).toMatchObject({ beta: 0.5, iterations: 1 })
    expect(resolveStrategy({ _tag: "sft" }, "sciworld")).toEqual({
      _tag: "sft",
      label: "SFT",
      training: { lr: 1e-5, batchSize: 64, epochs: 3, warmup: 0.03 }
    })
    expect(resolveStrategy({ _tag: "best-of-n" }, "webshop")).toMatchObject({ n: 10 })
    expect(resolveStrategy({ _tag: "self-play", method: "rft+eto" }, "webshop")).toMatchObject({ temperature: 1, label: "Self-play RFT+ETO", minReward: undefined })
    expect(resolveStrategy({ _tag: "self-play", method: "rft", minReward: 0.5, tasks: 100 }, "webshop")).toMatchObject({ minReward: 0.5, tasks: 100 })
    expect(resolveStrategy({ _tag: "rft" }, "webshop")).toMatchObject({ minReward: undefined })
    expect(resolveStrategy({ _tag: "base" }, "webshop")).toEqual({ _tag: "base", label: "Untuned", samples: 4, tasks: undefined, training: { epochs: 2 } })
    expect(resolveStrategy({ _tag: "base", samples: 8, tasks: 100, epochs: 3, lr: 0.002 }, "webshop")).toMatchObject({ samples: 8, tasks: 100, training: { epochs: 3, lr: 0.002 } })
    expect(resolveStrategy({ _tag: "eto", lr: 3e-6, beta: 0.2 }, "webshop")).toMatchObject({ beta: 0.2, training: { lr: 3e-6 } })
  })

  it("names the file and the field of a bad config", () => {
    const bad = (text: string) => {
      const r = decodeConfig(text, "cfg.json")
      if (Result.isSuccess(r)) throw new Error("expected a failure")
      return r.failure.message
    }
    expect(bad("{ not json")).toMatch(/^cfg\.json: invalid JSON/)
    const base = { name: "x", env: "webshop", scale: "ci", seeds: [1], strategies: [{ _tag: "sft" }] }
    expect(bad(JSON.stringify({ ...base, env: "minecraft" }))).toMatch(/^cfg\.json: bad experiment config: env: Expected "webshop" \| "alfworld" \| "sciworld"$/)
    expect(bad(JSON.stringify({ ...base, seeds: [] }))).toContain("config: seeds")
    expect(bad(JSON.stringify({ ...base, strategies: [{ _tag: "eto", beta: -1 }] }))).toContain("strategies[0].beta: Expected a value greater than 0")
    expect(bad(JSON.stringify({ ...base, strategies: [{ _tag: "dagger" }] }))).toContain("strategies[0]: Expected an object with _tag \"base\" | \"random\"")
    expect(bad(JSON.stringify({ ...base, strategies: [{ _tag: "rft", minReward: 1.5 }] }))).toContain("strategies[0].minReward: Expected a value between 0 and 1")
    expect(bad(JSON.stringify({ ...base, name: "has space" }))).toContain("config: name: Expected a string matching")
  })

  it.effect("reports a missing file by path", () =>
    Effect.gen(function*() {
      const file = path.join(os.tmpdir(), "eto-no-such-config.json")
      const exit = yield* Effect.exit(loadConfig(file))
      expect(Exit.isFailure(exit) && String(exit.cause)).toContain(`${file}: file not found`)
    }))

  it("applies scale presets, limits and command-line overrides", () => {
    const c = Result.getOrThrow(decodeConfig(
      JSON.stringify({ name: "x", env: "webshop", scale: "ci", limits: { testTasks: 7 }, seeds: [1], strategies: [{ _tag: "sft" }] }),
      "x"
    ))
    expect(scaleLimits(c)).toEqual({ trainTasks: 200, testTasks: 7 })
    const o = Result.getOrThrow(withOverrides(c, { seeds: [4, 5], scale: "paper" }))
    expect(o.seeds).toEqual([4, 5])
    expect(scaleLimits(o)).toEqual({ trainTasks: undefined, testTasks: 7 })
    const r = withOverrides(c, { seeds: [1.5] })
    expect(Result.isFailure(r) && r.failure.message).toBe("--seeds: 1.5 is not an integer")
    const dup = Result.getOrThrow(decodeConfig(
      JSON.stringify({ name: "x", env: "webshop", scale: "ci", seeds: [1], strategies: [{ _tag: "eto" }, { _tag: "eto", beta: 0.3 }] }),
      "x"
    ))
    const labels = checkLabels(dup)
    expect(Result.isFailure(labels) && labels.failure.message).toContain("two strategies are labelled 'ETO'")
  })
})
