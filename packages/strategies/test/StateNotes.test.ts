import { describe, expect, it } from "@effect/vitest"
import { Random, rollout } from "@eto/core"
import { loadData } from "@eto/envs/alfworld/Data"
import { makeEnvironment } from "@eto/envs/alfworld/index"
import { Effect } from "effect"
import { recorder } from "./fixtures/Recorder"
import { dialogueOf, type ModelSettings, modelSettings, trainingModelKey, viewPolicy } from "../src/Training"

const env = makeEnvironment(Effect.runSync(loadData(undefined, (id) => Random.hashString(`state-notes|${id}`) % 20 === 0)))

const settings = (stateNotes: "none" | "env"): ModelSettings =>
  modelSettings({
    name: "state-notes",
    env: "alfworld",
    scale: "smoke",
    seeds: [1],
    strategies: [{ _tag: "sft" }],
    model: { instructionPrompt: "none", thoughts: "none", windows: "episode", stateNotes }
  })

describe("state notes in the model view (ALFWorld)", () => {
  it.effect("follow every observation in training and prompting alike, and key the training phases", () =>
    Effect.gen(function*() {
      const tasks = (yield* env.tasks("seen")).slice(0, 4)
      const expert = yield* rollout(env, env.expert(3), tasks, { source: { kind: "expert" } })
      const plain = settings("none"), noted = settings("env")
      expect(trainingModelKey(env, noted)).not.toEqual(trainingModelKey(env, plain))
      for (const e of expert) {
        const without = dialogueOf(env, plain, e.initialObservation, e.turns).turns
        const withNotes = dialogueOf(env, noted, e.initialObservation, e.turns).turns
        withNotes.forEach((t, i) => {
          if (t.env === undefined) return
          expect(t.env.startsWith(`${without[i]!.env}\nTask: ${e.task.instruction} At: `)).toBe(true)
        })
        expect(withNotes.map((t) => t.agent)).toEqual(without.map((t) => t.agent))
      }
      // A prompt carries the same notes as the training episode with that history.
      const { policy: recording, seen } = recorder("Action: look")
      const e = expert[0]!
      yield* viewPolicy(env, recording, noted).act([{ task: e.task, initialObservation: e.initialObservation, turns: e.turns }])
      const training = dialogueOf(env, noted, e.initialObservation, [...e.turns, { thought: "", action: "look", observation: "", reward: 0 }]).turns
      expect(seen[0]!.map((t) => `Observation: ${t.observation}`)).toEqual(training.slice(0, e.turns.length).map((t) => t.env))
    }))
})
