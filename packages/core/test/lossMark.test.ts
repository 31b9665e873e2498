/**
 * A reply marked `loss: false` (context only) survives the trajectory file
 * and the ETO / FastChat conversation format; unmarked turns gain no field.
 */
import { describe, expect, it } from "@effect/vitest"
import { Schema } from "effect"
import { ConversationRecord, conversationToTrajectory, trajectoryToConversation, trajectoryToTrl } from "../src/Conversations"
import { type Trajectory, Trajectory as TrajectorySchema } from "../src/Schemas"

const trajectory: Trajectory = {
  task: { id: "t1", env: "alfworld", split: "train", instruction: "put a mug in the desk", metadata: {} },
  initialObservation: "You are in the middle of a room.",
  turns: [
    { thought: "Find the mug.", action: "go to desk 1", observation: "On the desk 1, you see a mug 1.", reward: 0 },
    { thought: "Take it.", action: "go to desk 1", observation: "Nothing happens.", reward: 0, loss: false },
    { thought: "Take it.", action: "take mug 1 from desk 1", observation: "You pick up the mug 1 from the desk 1.", reward: 0 }
  ],
  reward: 0,
  success: false,
  steps: 3,
  source: { kind: "expert" }
}

describe("context-only replies", () => {
  it("round-trip through the trajectory schema, and unmarked turns stay without the field", () => {
    const encoded = Schema.encodeSync(TrajectorySchema)(trajectory)
    expect(Schema.decodeUnknownSync(TrajectorySchema)(JSON.parse(JSON.stringify(encoded)))).toEqual(trajectory)
    expect(Object.keys(encoded.turns[0]!)).not.toContain("loss")
  })

  it("are written as gpt messages with loss: false and read back; TRL messages carry no mark", () => {
    const record = trajectoryToConversation(trajectory, "Interact with a household.")
    const gpt = record.conversations.filter((m) => m.from === "gpt")
    expect(gpt.map((m) => m.loss)).toEqual([undefined, undefined, false, undefined])
    expect(Schema.decodeUnknownSync(ConversationRecord)(JSON.parse(JSON.stringify(record)))).toEqual(record)
    const back = conversationToTrajectory(record, "alfworld")
    expect(back.turns.map((t) => t.loss)).toEqual([undefined, false, undefined])
    expect(trajectoryToTrl(trajectory, "x").messages.every((m) => Object.keys(m).sort().join() === "content,role")).toBe(true)
  })
})
