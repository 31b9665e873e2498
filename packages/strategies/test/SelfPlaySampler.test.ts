/**
 * Self-play with a remote sampler: the `sampler` setting decodes with
 * one-line errors; without it every phase of a self-play experiment keeps
 * the key it had before the setting existed; with it the episodes come from
 * a model behind an OpenAI-compatible API (a server playing the counting
 * environment over HTTP) while the local untuned model is what RFT and DPO
 * train; a server that refuses or cannot be reached fails the strategy with
 * one line before any local training.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Result } from "effect"
import { type CompletionMarker } from "../src/RunStore"
import { decodeConfig, type ExperimentConfig, loadConfig, resolveStrategy } from "../src/Config"
import { type Outcome, runExperiment, type StrategyTable } from "../src/Experiment"
import { layerRunStore, RunReporter, textReporter } from "../src/Runner"
import { base } from "../src/strategies/Base"
import { selfPlay } from "../src/strategies/SelfPlay"
import { countingChatServer } from "./fixtures/CountingChatServer"
import { countingEnv } from "./fixtures/CountingEnv"

const env = countingEnv()
const table: StrategyTable = { base, "self-play": selfPlay }

const decode = (json: unknown) => decodeConfig(JSON.stringify(json), "x.json")

/** A tiny self-play experiment on the counting environment. */
const experiment = (strategies: ReadonlyArray<object>): ExperimentConfig =>
  Result.getOrThrow(decode({
    name: "self-play-tiny",
    env: "webshop",
    scale: "smoke",
    evalSplits: ["test"],
    seeds: [1],
    engine: "cpu",
    model: { nLayer: 1, nEmbd: 16, nHead: 2, nPositions: 96, vocabSize: 280, maxReplyTokens: 24, instructionPrompt: "none", thoughts: "none" },
    strategies
  }))

const LOCAL = [
  { _tag: "base", samples: 4, epochs: 30, batchSize: 8, lr: 0.02 },
  { _tag: "self-play", method: "rft", samples: 4, epochs: 1, batchSize: 8, lr: 0.01 },
  { _tag: "self-play", method: "eto", samples: 4, epochs: 1, batchSize: 8 },
  { _tag: "self-play", method: "rft+eto", epochs: 1, batchSize: 8 }
]

/** Every finished phase under `root` as `phase/key`, sorted. */
const phases = (root: string): Array<string> =>
  fs.readdirSync(root).filter((p) => fs.statSync(path.join(root, p)).isDirectory()).flatMap((p) =>
    fs.readdirSync(path.join(root, p)).filter((k) => fs.existsSync(path.join(root, p, k, "DONE.json"))).map((k) => `${p}/${k}`)
  ).sort()

const run = (config: ExperimentConfig, root: string, lines: Array<string> = []) =>
  runExperiment(config, env, table).pipe(
    Effect.provide(Layer.mergeAll(layerRunStore(root), Layer.succeed(RunReporter, textReporter((l) => lines.push(l), { intervalMs: 0 }))))
  ) as Effect.Effect<Array<Outcome>, { readonly message: string }>

/** The completion markers of the finished `phase` directories under `root`. */
const markers = (root: string, phase: string): Array<CompletionMarker> =>
  phases(root).filter((p) => p.startsWith(`${phase}/`)).map((p) => JSON.parse(fs.readFileSync(path.join(root, p, "DONE.json"), "utf8")))

const tempRuns = () => fs.mkdtempSync(path.join(os.tmpdir(), "eto-self-play-"))

/** The phases of LOCAL as they were keyed before the sampler setting existed. */
const LOCAL_PHASES = [
  "dataset/3bf3d2bb22ede085",
  "evaluate/0ff60147d40618d5",
  "evaluate/1d9ee98c5b78ba6a",
  "evaluate/85182fdce0a7b882",
  "evaluate/e4f8b4e5afbe3b15",
  "expert/f9bb9fd594eedde9",
  "explore/9c257cca42943cf9",
  "explore/b69b8b9dee600354",
  "explore/cb9edd3cf53940d3",
  "pairs/05459f8a727ce862",
  "pairs/44d92ec75f0214b8",
  "train-dpo/70fbd7ecec418d92",
  "train-dpo/e703e5d06f6f8051",
  "train-sft/c7f5d479392b880c",
  "train-sft/d53f299ce91f3146"
]

describe("self-play without a sampler", () => {
  it.effect("keeps every phase key it had before the sampler setting existed", () =>
    Effect.gen(function*() {
      const root = tempRuns()
      const lines: Array<string> = []
      yield* run(experiment(LOCAL), root, lines)
      // Both training stages ran (one kept trajectory for RFT, pairs for both ETO stages), so every kind of phase is covered.
      expect(lines.filter((l) => /RFT stage keeps [1-9]/.test(l))).toHaveLength(2)
      expect(lines.filter((l) => /ETO stage has [1-9]\d* pairs/.test(l))).toHaveLength(2)
      expect(phases(root)).toEqual(LOCAL_PHASES)
    }), 120_000)
})

describe("the sampler setting", () => {
  const entry = (sampler: unknown) => ({ name: "s", env: "webshop", scale: "smoke", seeds: [1], strategies: [{ _tag: "self-play", method: "rft", sampler }] })

  it("decodes with the prompted entry's defaults and names the field of a bad value in one line", () => {
    const c = Result.getOrThrow(decode(entry({ model: "openai:gpt-4o-mini" })))
    expect(resolveStrategy(c.strategies[0]!, "webshop")).toMatchObject({
      label: "Self-play RFT (openai:gpt-4o-mini samples)",
      temperature: 1,
      sampler: { model: "openai:gpt-4o-mini", baseUrl: undefined, shots: 1, maxTokens: undefined, concurrency: 8 }
    })
    const full = { model: "openai:m", baseUrl: "http://127.0.0.1:8000/v1", shots: 0, maxTokens: 64, concurrency: 2 }
    expect(resolveStrategy(Result.getOrThrow(decode(entry(full))).strategies[0]!, "webshop")).toMatchObject({ sampler: full })
    // Unset: the resolved strategy is what it was, with no sampler key at all.
    expect(Object.keys(resolveStrategy({ _tag: "self-play", method: "eto" }, "webshop"))).not.toContain("sampler")
    for (const [sampler, field] of [
      [{ model: "gpt-4o" }, "sampler.model"],
      [{}, "sampler.model"],
      [{ model: "openai:m", baseUrl: "localhost 8000" }, "sampler.baseUrl"],
      [{ model: "openai:m", shots: 2 }, "sampler.shots"],
      [{ model: "openai:m", concurrency: 0 }, "sampler.concurrency"],
      ["openai:m", "sampler"]
    ] as const) {
      const r = decode(entry(sampler))
      expect(Result.isFailure(r), JSON.stringify(sampler)).toBe(true)
      const message = Result.isFailure(r) ? r.failure.message : ""
      expect(message).toContain(field)
      expect(message).toContain("x.json")
      expect(message).not.toContain("\n")
    }
  })

  it.effect("is absent from every shipped configuration but the remote example, which names it on every self-play entry", () =>
    Effect.gen(function*() {
      const dir = path.join(__dirname, "..", "src", "configs")
      for (const f of fs.readdirSync(dir).filter((x) => x.endsWith(".json"))) {
        const c = yield* loadConfig(path.join(dir, f))
        const samplers = c.strategies.filter((s) => s._tag === "self-play").map((s) => s.sampler)
        if (f === "webshop-self-play-remote.json") {
          expect(samplers.length, f).toBe(3)
          for (const s of samplers) expect(s?.model, f).toBe("openai:tiny")
        } else {
          expect(samplers.every((s) => s === undefined), f).toBe(true)
        }
      }
    }))
})

describe("self-play with a remote sampler", () => {
  const SAMPLER = { model: "openai:counter" }
  // Four training tasks with distinct goals (1, 3, 2, 5), so no two tasks open with the same conversation.
  const remote = (url: string) => experiment([
    LOCAL[0]!,
    { _tag: "self-play", method: "rft", samples: 2, tasks: 4, epochs: 1, batchSize: 8, lr: 0.01, sampler: { ...SAMPLER, baseUrl: url } },
    { _tag: "self-play", method: "eto", samples: 2, tasks: 4, epochs: 1, batchSize: 8, sampler: { ...SAMPLER, baseUrl: url } },
    { _tag: "self-play", method: "rft+eto", epochs: 1, batchSize: 8, sampler: { ...SAMPLER, baseUrl: url } }
  ])

  it.live("samples from the remote model and trains the local untuned model on its episodes", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* countingChatServer("counter")
      const root = tempRuns()
      const lines: Array<string> = []
      const outcomes = yield* run(remote(server.url), root, lines)
      // Each task's two samples: one counts to the goal (reward 1), one submits at 0 (less).
      expect(outcomes.map((o) => [o.label, o.data])).toEqual([
        ["Untuned", undefined],
        ["Self-play RFT (openai:counter samples)", { trajectories: 4 }],
        ["Self-play ETO (openai:counter samples)", { pairs: 4 }],
        ["Self-play RFT+ETO (openai:counter samples)", { trajectories: 4, pairs: expect.any(Number) }]
      ])
      expect(lines.filter((l) => l.includes("RFT stage keeps 4 of 8 samples (successful; sample reward 68.8, 4 successful)"))).toHaveLength(2)
      expect(lines).toContain("Self-play ETO (openai:counter samples) seed 1: ETO stage has 4 pairs from 4 tasks (0 ties; sample reward 68.8)")
      // The server was asked for the model by name, with the key from the environment.
      expect(new Set(server.calls.map((c) => c.model))).toEqual(new Set(["counter"]))
      expect(new Set(server.calls.map((c) => c.authorization))).toEqual(new Set([`Bearer ${process.env.OPENAI_API_KEY ?? "none"}`]))
      // One remote sampling phase, shared by the three entries, keyed by the model, the server and the settings (never the key).
      const remoteExplores = markers(root, "explore").filter((m) => JSON.stringify(m.config).includes("openai:counter"))
      expect(remoteExplores).toHaveLength(1)
      expect(remoteExplores[0]!.upstream).toEqual({})
      expect(remoteExplores[0]!.config).toMatchObject({
        subset: 4,
        samples: 2,
        policy: { name: "openai:counter", settings: { baseURL: server.url, shots: 1, temperature: 1, maxTokens: null, seed: 1 } }
      })
      // What is trained is the local untuned model, the same one (same phase) as without a sampler.
      const untuned = markers(root, "train-sft").filter((m) => m.upstream.init === undefined)
      expect(untuned).toHaveLength(1)
      expect(LOCAL_PHASES).toContain(`train-sft/${untuned[0]!.key}`)
      const rft = markers(root, "train-sft").filter((m) => m.upstream.init !== undefined)
      expect(rft.map((m) => m.upstream.init)).toEqual([untuned[0]!.key])
      // ETO alone: DPO from the untuned model against its frozen copy; RFT+ETO: from the RFT agent, on its own samples.
      const dpo = markers(root, "train-dpo")
      expect(dpo.map((m) => m.upstream.policy).sort()).toEqual([untuned[0]!.key, rft[0]!.key].sort())
      const own = markers(root, "explore").filter((m) => m.upstream.policy === rft[0]!.key)
      expect(own).toHaveLength(1)
      // A rerun asks the server nothing.
      const asked = server.calls.length
      const again = yield* run(remote(server.url), root)
      expect(server.calls.length).toBe(asked)
      expect(again.map((o) => o.evaluations)).toEqual(outcomes.map((o) => o.evaluations))
    })), 120_000)

  it.live("fails in one line naming the strategy, before any local training, on 401, an unknown model, an unreachable server and a missing key", () =>
    Effect.scoped(Effect.gen(function*() {
      const refused = yield* countingChatServer("counter", 401)
      const other = yield* countingChatServer("another")
      const closed = yield* Effect.scoped(Effect.map(countingChatServer("counter"), (s) => s.url))
      for (const [url, expected] of [
        [refused.url, /^Self-play ETO \(openai:counter samples\): sampler openai:counter at http:\S+: 401 Incorrect API key provided\. \(check OPENAI_API_KEY\)$/],
        [other.url, /^Self-play ETO \(openai:counter samples\): sampler openai:counter at http:\S+: 404 The model 'counter' does not exist \(is the model name right/],
        [closed, /^Self-play ETO \(openai:counter samples\): sampler openai:counter at http:\S+: cannot connect/]
      ] as const) {
        const root = tempRuns()
        const config = experiment([{ _tag: "self-play", method: "eto", samples: 2, sampler: { ...SAMPLER, baseUrl: url } }])
        const error = yield* Effect.flip(run(config, root))
        expect(error.message).toMatch(expected)
        expect(error.message).not.toContain("\n")
        expect(phases(root).filter((p) => p.startsWith("train-"))).toEqual([])
      }
      // The public API without a key: refused before any request.
      const saved = { key: process.env.OPENAI_API_KEY, url: process.env.OPENAI_BASE_URL }
      delete process.env.OPENAI_API_KEY
      delete process.env.OPENAI_BASE_URL
      const noKey = yield* Effect.flip(run(experiment([{ _tag: "self-play", method: "rft", sampler: { model: "openai:gpt-4o-mini" } }]), tempRuns())).pipe(
        Effect.ensuring(Effect.sync(() => {
          if (saved.key !== undefined) process.env.OPENAI_API_KEY = saved.key
          if (saved.url !== undefined) process.env.OPENAI_BASE_URL = saved.url
        }))
      )
      expect(noKey.message).toMatch(/^Self-play RFT \(openai:gpt-4o-mini samples\): sampler openai:gpt-4o-mini: OPENAI_API_KEY is not set/)
      // A task's requests go out together, so a few were in flight when the first failed; none was retried.
      expect(refused.calls.length).toBeLessThanOrEqual(8)
      expect(other.calls.length).toBeLessThanOrEqual(8)
    })), 120_000)
})
