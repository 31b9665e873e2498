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
import { decodeConfig, type ExperimentConfig } from "../src/Config"
import { type Outcome, runExperiment, type StrategyTable } from "../src/Experiment"
import { layerRunStore, RunReporter, textReporter } from "../src/Runner"
import { base } from "../src/strategies/Base"
import { selfPlay } from "../src/strategies/SelfPlay"
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
