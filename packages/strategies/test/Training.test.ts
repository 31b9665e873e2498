import { describe, expect, it } from "@effect/vitest"
import { type PolicyShape, rollout } from "@eto/core"
import { loadSync } from "@eto/envs/webshop/index"
import { Effect } from "effect"
import { dialogueOf, type ModelSettings, REPEATED_OBSERVATION, viewPolicy } from "../src/Training"

const env = loadSync()

const settings = (maxObservationChars: number | undefined): ModelSettings => ({
  nLayer: 1,
  nEmbd: 32,
  nHead: 2,
  nPositions: 256,
  vocabSize: 400,
  engine: "cpu",
  maxReplyTokens: 24,
  maxObservationChars,
  instructionPrompt: "none",
  thoughts: "drop",
  noRepeatNgram: 0,
  windows: "turn",
  repeatedObservations: "keep"
})

describe("the model view of WebShop", () => {
  it.effect("trains on product clicks by position label and plays them back as ASIN clicks", () =>
    Effect.gen(function*() {
      const tasks = (yield* env.tasks("train")).slice(0, 5)
      const expert = yield* rollout(env, env.expert(1), tasks, { source: { kind: "expert" } })
      const m = settings(400)
      for (const e of expert) {
        const agent = dialogueOf(env, m, e.initialObservation, e.turns).turns.map((t) => t.agent)
        const productClick = e.turns.findIndex((t) => /^click\[[A-Z0-9]{10}\]$/.test(t.action))
        expect(productClick).toBeGreaterThan(0)
        expect(agent[productClick]).toMatch(/^Thought: \nAction: click\[item \d+\]$/)
        expect(agent.join("\n")).not.toMatch(/[A-Z0-9]{10}/)
      }
      // A policy that answers in the view's labels acts on the environment's ASINs.
      const replay = new Map(expert.map((e) => [e.task.id, dialogueOf(env, m, e.initialObservation, e.turns).turns.map((t) => t.agent)]))
      const scripted: PolicyShape = {
        name: "scripted",
        act: (requests) => Effect.succeed(requests.map((r) => replay.get(r.task.id)![r.turns.length]!))
      }
      const played = yield* rollout(env, viewPolicy(env, scripted, m), tasks, { source: { kind: "policy", name: "scripted" } })
      expect(played.map((p) => p.reward)).toEqual(expert.map((e) => e.reward))
      expect(played.map((p) => p.turns.map((t) => t.action))).toEqual(expert.map((e) => e.turns.map((t) => t.action)))
    }))

  it.effect("marks a page that repeats the one before it, in training data and prompts alike", () =>
    Effect.gen(function*() {
      const tasks = (yield* env.tasks("train")).slice(0, 20)
      const expert = yield* rollout(env, env.expert(1), tasks, { source: { kind: "expert" } })
      const m: ModelSettings = { ...settings(400), thoughts: "none", repeatedObservations: "mark" }
      let marked = 0
      for (const e of expert) {
        const kept = dialogueOf(env, { ...m, repeatedObservations: "keep" }, e.initialObservation, e.turns).turns
        const seen = dialogueOf(env, m, e.initialObservation, e.turns).turns
        seen.forEach((t, i) => {
          if (t.env === `Observation: ${REPEATED_OBSERVATION}`) {
            marked++
            expect(kept[i]!.env).toBe(kept[i - 1]!.env)
          } else expect(t.env).toBe(kept[i]!.env)
        })
      }
      // Selecting an option shows the same product page again.
      expect(marked).toBeGreaterThan(10)
      // The policy is prompted with the same marks, and its actions still reach the environment.
      const prompts: Array<ReadonlyArray<string>> = []
      const replay = new Map(expert.map((e) => [e.task.id, dialogueOf(env, m, e.initialObservation, e.turns).turns.map((t) => t.agent)]))
      const scripted: PolicyShape = {
        name: "scripted",
        act: (requests) => {
          for (const r of requests) prompts.push(r.turns.map((t) => t.observation))
          return Effect.succeed(requests.map((r) => replay.get(r.task.id)![r.turns.length]!))
        }
      }
      const played = yield* rollout(env, viewPolicy(env, scripted, m), tasks, { source: { kind: "policy", name: "scripted" } })
      expect(played.map((p) => p.reward)).toEqual(expert.map((e) => e.reward))
      expect(prompts.flat().filter((o) => o === REPEATED_OBSERVATION).length).toBeGreaterThan(10)
    }))

  it("writes replies as the settings say: ReAct, an empty thought, or the action alone", () => {
    const turns = [{ thought: "look for a mug", action: "search[red mug]", observation: "Back to Search", reward: 0 }]
    const agent = (thoughts: ModelSettings["thoughts"]) =>
      dialogueOf(env, { ...settings(400), thoughts }, "WebShop [SEP] Instruction: [SEP] a mug [SEP] Search", turns).turns[0]!.agent
    expect(agent("keep")).toBe("Thought: look for a mug\nAction: search[red mug]")
    expect(agent("drop")).toBe("Thought: \nAction: search[red mug]")
    expect(agent("none")).toBe("Action: search[red mug]")
  })

  it("keeps ASINs where the model sees whole pages", () => {
    const e = { initialObservation: "WebShop [SEP] Instruction: [SEP] a mug [SEP] Search", turns: [] }
    const page = "Back to Search [SEP] Page 1 (Total results: 50) [SEP] Next > [SEP] B000000001 [SEP] Red mug [SEP] $9.99"
    const turns = [
      { thought: "", action: "search[mug]", observation: page, reward: 0 },
      { thought: "", action: "click[B000000001]", observation: "Back to Search", reward: 0 }
    ]
    expect(dialogueOf(env, settings(undefined), e.initialObservation, turns).turns[1]!.agent).toContain("click[B000000001]")
    expect(dialogueOf(env, settings(400), e.initialObservation, turns).turns[1]!.agent).toContain("click[item 1]")
  })
})
