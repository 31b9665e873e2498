/**
 * The `model.observationView` setting: decoded with a one-line error naming
 * the field, and without it (or with "default") the model part of every
 * training phase key stays as it was; with
 * "structured" ScienceWorld's room listings reach the model in the structured
 * view, in training and prompting alike, and the key says so. An environment
 * without a structured view keeps its own.
 */
import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { type Turn } from "@eto/core"
import { loadSync } from "@eto/envs/sciworld/index"
import { structuredObservation } from "@eto/envs/sciworld/ModelView"
import { Effect, Result } from "effect"
import { decodeConfig, type ExperimentConfig, loadConfig } from "../src/Config"
import { dialogueOf, modelSettings, trainingModelKey, viewPolicy } from "../src/Training"
import { countingEnv } from "./fixtures/CountingEnv"
import { recorder } from "./fixtures/Recorder"

const env = loadSync()
const configs = path.join(__dirname, "..", "src", "configs")
const withView = (c: ExperimentConfig, observationView?: "default" | "structured"): ExperimentConfig => ({
  ...c,
  model: { ...c.model, ...(observationView === undefined ? {} : { observationView }) }
})

// The ci model of ScienceWorld before the structured view existed (its keys must not move).
const legacyCi: ExperimentConfig = Result.getOrThrow(decodeConfig(JSON.stringify({
  name: "legacy-ci",
  env: "sciworld",
  scale: "ci",
  seeds: [1],
  strategies: [{ _tag: "sft" }],
  model: { nLayer: 3, nEmbd: 96, nHead: 4, nPositions: 384, vocabSize: 1024, maxReplyTokens: 40, maxObservationChars: 400, instructionPrompt: "none", thoughts: "none" }
}), "legacy-ci.json"))

describe("the observationView setting", () => {
  it("names the field of a bad value", () => {
    const r = decodeConfig(JSON.stringify({ name: "v", env: "sciworld", scale: "smoke", seeds: [1], strategies: [{ _tag: "sft" }], model: { observationView: "rooms" } }), "x.json")
    expect(Result.isFailure(r)).toBe(true)
    const message = Result.isFailure(r) ? r.failure.message : ""
    expect(message).toContain("model.observationView")
    expect(message).toContain("x.json")
    expect(message).not.toContain("\n")
  })

  it.effect("'default' keeps the key of every shipped configuration that does not set it", () =>
    Effect.gen(function*() {
      for (const f of fs.readdirSync(configs).filter((x) => x.endsWith(".json"))) {
        const c = yield* loadConfig(path.join(configs, f))
        if (c.env !== "sciworld" || c.model?.observationView !== undefined) continue
        expect(trainingModelKey(env, modelSettings(withView(c, "default"))), f).toEqual(trainingModelKey(env, modelSettings(c)))
      }
    }))

  it.effect("leaves the model key of the earlier sciworld-ci model as it was", () =>
    Effect.gen(function*() {
      const c = legacyCi
      expect(trainingModelKey(env, modelSettings(c))).toEqual({
        nLayer: 3,
        nEmbd: 96,
        nHead: 4,
        nPositions: 384,
        vocabSize: 1024,
        engine: "auto",
        maxObservationChars: 400,
        instructionPrompt: "none",
        thoughts: "none"
      })
      expect(trainingModelKey(env, modelSettings(withView(c, "structured")))).toEqual({
        ...trainingModelKey(env, modelSettings(c)),
        observationView: "structured-1"
      })
      // An environment without a structured view keeps its own (the counting environment: the cut).
      const counting = countingEnv()
      expect(trainingModelKey(counting, modelSettings(withView(c, "structured")))).toEqual(trainingModelKey(counting, modelSettings(c)))
    }))

  it.effect("shows ScienceWorld's room listings structured, in training and prompting alike", () =>
    Effect.gen(function*() {
      const c = legacyCi
      const plain = modelSettings(c), structured = modelSettings(withView(c, "structured"))
      const task = env.tasksSync("seen")[0]!
      const episode = env.resetSync(task.id)
      const turns: Array<Turn> = ["look around", "teleport to kitchen", "look around", "pick up metal pot"].map((action) => ({
        thought: "",
        action,
        ...episode.step(action)
      }))
      const listing = turns[2]!.observation
      expect(listing.length).toBeGreaterThan(400)
      const view = structuredObservation(listing, 400)
      expect(view.startsWith("Room: kitchen. Here: ")).toBe(true)
      const withStructure = dialogueOf(env, structured, episode.initialObservation, turns).turns
      const withCut = dialogueOf(env, plain, episode.initialObservation, turns).turns
      expect(withStructure[2]!.env).toBe(`Observation: ${view}`)
      expect(withCut[2]!.env).toBe(`Observation: ${listing.slice(0, 400)}`)
      // Short replies pass unchanged in both views.
      expect(withStructure[1]!.env).toBe(withCut[1]!.env)
      const { policy: recording, seen } = recorder("Action: look around")
      yield* viewPolicy(env, recording, structured).act([{ task, initialObservation: episode.initialObservation, turns }])
      expect(seen[0]!.map((t) => `Observation: ${t.observation}`)).toEqual(withStructure.map((t, i) => t.env ?? `Observation: ${structuredObservation(turns[i]!.observation, 400)}`))
    }))
})
