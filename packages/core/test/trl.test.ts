import { describe, expect, it } from "@effect/vitest"
import { Schema } from "effect"
import { Conversations, FORMAT_ERROR_OBSERVATION, type PreferencePair, type Trajectory, type Turn } from "../src/index"

const task = { id: "g1", env: "webshop" as const, split: "train", instruction: "buy a red shoe", metadata: {} }
const turn = (thought: string, action: string, observation: string, reward = 0): Turn => ({ thought, action, observation, reward })
const expert = [turn("Search first.", "search[red shoe]", "results"), turn("This one.", "click[B01]", "item page"), turn("Buy.", "click[Buy Now]", "done", 1)]
const explored = [turn("Search.", "search[shoe]", "results"), turn("", "", FORMAT_ERROR_OBSERVATION), turn("Buy.", "click[Buy Now]", "done", 0.3)]

const trajectoryPair: PreferencePair = {
  level: "trajectory", task, initialObservation: "WebShop [SEP] buy a red shoe [SEP] Search",
  prefix: [], chosen: expert, rejected: explored, chosenReward: 1, rejectedReward: 0.3
}
const stepPair: PreferencePair = { ...trajectoryPair, level: "step", prefix: expert.slice(0, 1), chosen: expert.slice(1), rejected: explored.slice(1) }

const roles = (ms: ReadonlyArray<Conversations.TrlMessage>) => ms.map((m) => m.role)

describe("TRL layouts", () => {
  it("a trajectory-level pair: prompt up to the first observation, whole continuations", () => {
    const r = Conversations.pairToTrl(trajectoryPair, "You shop.")
    expect(Schema.is(Conversations.TrlPreferenceRecord)(r)).toBe(true)
    expect(Object.keys(r)).toEqual(["prompt", "chosen", "rejected"])
    expect(r.prompt).toEqual([
      { role: "user", content: "You shop." },
      { role: "assistant", content: "OK" },
      { role: "user", content: "WebShop [SEP] buy a red shoe [SEP] Search" }
    ])
    expect(roles(r.chosen)).toEqual(["assistant", "user", "assistant", "user", "assistant"])
    expect(r.chosen[0]).toEqual({ role: "assistant", content: "Thought: Search first.\nAction: search[red shoe]" })
    expect(r.chosen[1]).toEqual({ role: "user", content: "Observation: results" })
    // A format error is shown as the harness showed it.
    expect(r.rejected[3]).toEqual({ role: "user", content: FORMAT_ERROR_OBSERVATION })
    expect(r.rejected.at(-1)).toEqual({ role: "assistant", content: "Thought: Buy.\nAction: click[Buy Now]" })
  })

  it("a step-level pair: the shared expert prefix ends the prompt with its observation", () => {
    const r = Conversations.pairToTrl(stepPair, "You shop.")
    expect(roles(r.prompt)).toEqual(["user", "assistant", "user", "assistant", "user"])
    expect(r.prompt.at(-1)).toEqual({ role: "user", content: "Observation: results" })
    expect(r.chosen[0]!.content).toBe("Thought: This one.\nAction: click[B01]")
    expect(r.rejected[0]!.role).toBe("assistant")
    // The same content as ETO's DPO record, role for role.
    const eto = Conversations.pairToDpo(stepPair, "You shop.")
    expect(r.prompt.map((m) => m.content)).toEqual(eto.prompt.map((m) => m.value))
    expect(Conversations.dpoToTrl(eto)).toEqual(r)
  })

  it("SFT data as messages, the FastChat conversation turn for turn", () => {
    const t: Trajectory = { task, initialObservation: "start", turns: expert, reward: 1, success: true, steps: 3, source: { kind: "expert" } }
    const r = Conversations.trajectoryToTrl(t, "You shop.")
    const fastchat = Conversations.trajectoryToConversation(t, "You shop.")
    expect(Object.keys(r)).toEqual(["messages"])
    expect(r.messages.map((m) => m.content)).toEqual(fastchat.conversations.map((m) => m.value))
    expect(roles(r.messages)).toEqual(fastchat.conversations.map((m) => (m.from === "human" ? "user" : "assistant")))
    expect(r.messages.at(-1)!.role).toBe("assistant")
  })
})
