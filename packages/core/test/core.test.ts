import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Exit, Schema } from "effect"
import { Conversations, Jsonl, parseReply, Random, Trajectory, type Trajectory as T } from "../src/index"

const traj: T = {
  task: { id: "t1", env: "webshop", split: "test", instruction: "buy a red shoe", metadata: { asin: "B0" } },
  initialObservation: "WebShop [SEP] Instruction: [SEP] buy a red shoe [SEP] Search",
  turns: [
    { thought: "I should search.", action: "search[red shoe]", observation: "page 1", reward: 0 },
    { thought: "Buy it.", action: "click[Buy Now]", observation: "done", reward: 1 }
  ],
  reward: 1,
  success: true,
  steps: 2,
  source: { kind: "expert" }
}

describe("ReAct", () => {
  it("takes everything after the first 'Action: ' as the action", () => {
    expect(parseReply("Thought: hmm\nAction: click[a]\nmore")).toEqual({ thought: "hmm", action: "click[a]\nmore" })
    expect(parseReply("Thought: no action here")).toBeUndefined()
  })
})

describe("Jsonl", () => {
  it.effect("round-trips trajectories and names the bad line", () =>
    Effect.gen(function*() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "eto-core-"))
      const file = path.join(dir, "t.jsonl")
      yield* Jsonl.writeJsonl(Trajectory, file, [traj, traj])
      const back = yield* Jsonl.readJsonl(Trajectory, file)
      expect(back).toEqual([traj, traj])
      fs.appendFileSync(file, "{\"task\": 3}\n")
      const exit = yield* Effect.exit(Jsonl.readJsonl(Trajectory, file))
      expect(Exit.isFailure(exit)).toBe(true)
      if (Exit.isFailure(exit)) expect(String(exit.cause)).toContain("t.jsonl:3")
    }))
})

describe("Conversations", () => {
  it("exports and re-imports the FastChat format", () => {
    const rec = Conversations.trajectoryToConversation(traj, "You are shopping.")
    expect(rec.conversations.map((m) => m.from)).toEqual(["human", "gpt", "human", "gpt", "human", "gpt"])
    expect(rec.conversations[3]!.value).toBe("Thought: I should search.\nAction: search[red shoe]")
    expect(rec.conversations[4]!.value).toBe("Observation: page 1")
    Schema.decodeUnknownSync(Conversations.ConversationRecord)(rec)
    const back = Conversations.conversationToTrajectory(rec, "webshop", { task: traj.task })
    expect(back.turns.map((t) => t.action)).toEqual(["search[red shoe]", "click[Buy Now]"])
    expect(back.initialObservation).toBe(traj.initialObservation)
    expect(back.reward).toBe(1)
  })
})

describe("Random", () => {
  it("is deterministic per seed and differs across seeds", () => {
    const a = Random.make(7), b = Random.make(7), c = Random.make(8)
    const xs = [a.next(), a.next(), a.next()]
    expect([b.next(), b.next(), b.next()]).toEqual(xs)
    expect(c.next()).not.toBe(xs[0])
    const counts = [0, 0, 0, 0]
    const r = Random.make(1)
    for (let i = 0; i < 4000; i++) counts[r.int(4)]!++
    for (const k of counts) expect(k).toBeGreaterThan(850)
  })
})
