/**
 * Interchange with the ETO / FastChat data formats:
 * - SFT: `{ id, conversations: [{ from: "human" | "gpt", value }], reward }`
 * - DPO: `{ id, prompt, chosen, rejected }`, where `prompt` is the shared
 *   conversation and `chosen` / `rejected` its two continuations.
 *
 * - TRL (the layout TRL's SFT and DPO trainers read, for training elsewhere):
 *   SFT `{ messages: [{ role: "user" | "assistant", content }] }`, DPO
 *   `{ prompt, chosen, rejected }` as lists of such messages.
 *
 * A conversation starts with the environment's instruction prompt (human), "OK"
 * (gpt), then the task's first observation (human); agent turns are
 * "Thought: ...\nAction: ..." and environment turns "Observation: ...".
 * In the TRL layout human is `user` and gpt is `assistant`, turn for turn.
 *
 * A reply that carries no loss (`Turn.loss: false`, a deliberate mistake in a
 * perturbed expert episode) is written with `"loss": false` on its gpt
 * message, as AgentInstruct marks untrained messages; reading keeps it. TRL's
 * conversational layout has no per-message switch, so the TRL export writes
 * such a reply as an ordinary assistant message (TRL would train on it).
 */
import { Schema } from "effect"
import { FORMAT_ERROR_OBSERVATION, formatReply, parseReply } from "./ReAct"
import type { EnvName, PreferencePair, Task, Trajectory, TrajectorySource, Turn } from "./Schemas"

export const Message = Schema.Struct({
  from: Schema.Literals(["human", "gpt"]),
  value: Schema.String,
  /** `false` on a gpt message: context only, no loss on it (AgentInstruct's per-message `loss`); absent or null: trained. */
  loss: Schema.optionalKey(Schema.NullOr(Schema.Boolean))
})
export type Message = typeof Message.Type

export const ConversationRecord = Schema.Struct({
  id: Schema.Union([Schema.String, Schema.Number]),
  conversations: Schema.Array(Message),
  reward: Schema.optionalKey(Schema.NullOr(Schema.Number))
})
export type ConversationRecord = typeof ConversationRecord.Type

export const DpoRecord = Schema.Struct({
  id: Schema.Union([Schema.String, Schema.Number]),
  prompt: Schema.Array(Message),
  chosen: Schema.Array(Message),
  rejected: Schema.Array(Message)
})
export type DpoRecord = typeof DpoRecord.Type

const OBSERVATION_PREFIX = "Observation: "

const observationMessage = (observation: string): Message => ({
  from: "human",
  value: observation === FORMAT_ERROR_OBSERVATION || observation.startsWith(OBSERVATION_PREFIX)
    ? observation
    : `${OBSERVATION_PREFIX}${observation}`
})

/** The messages of a run of turns; the last observation is kept only when asked. */
export const turnsToMessages = (turns: ReadonlyArray<Turn>, keepLastObservation: boolean): Array<Message> => {
  const out: Array<Message> = []
  turns.forEach((t, i) => {
    out.push({ from: "gpt", value: formatReply(t.thought, t.action), ...(t.loss === false ? { loss: false } : {}) })
    if (i < turns.length - 1 || keepLastObservation) out.push(observationMessage(t.observation))
  })
  return out
}

const header = (instructionPrompt: string, initialObservation: string): Array<Message> => [
  { from: "human", value: instructionPrompt },
  { from: "gpt", value: "OK" },
  { from: "human", value: initialObservation }
]

export const trajectoryToConversation = (t: Trajectory, instructionPrompt: string): ConversationRecord => ({
  id: t.task.id,
  conversations: [...header(instructionPrompt, t.initialObservation), ...turnsToMessages(t.turns, false)],
  reward: t.reward
})

export const pairToDpo = (p: PreferencePair, instructionPrompt: string): DpoRecord => ({
  id: p.task.id,
  prompt: [
    ...header(instructionPrompt, p.initialObservation),
    ...turnsToMessages(p.prefix, true)
  ],
  chosen: turnsToMessages(p.chosen, false),
  rejected: turnsToMessages(p.rejected, false)
})

export const TrlMessage = Schema.Struct({ role: Schema.Literals(["system", "user", "assistant"]), content: Schema.String })
export type TrlMessage = typeof TrlMessage.Type

/** SFT data for TRL's SFTTrainer (conversational `messages`). */
export const TrlSftRecord = Schema.Struct({ messages: Schema.Array(TrlMessage) })
export type TrlSftRecord = typeof TrlSftRecord.Type

/**
 * A preference pair for TRL's DPOTrainer (conversational `prompt` / `chosen` /
 * `rejected`): the prompt ends with a user turn, each continuation starts with
 * the assistant's.
 */
export const TrlPreferenceRecord = Schema.Struct({
  prompt: Schema.Array(TrlMessage),
  chosen: Schema.Array(TrlMessage),
  rejected: Schema.Array(TrlMessage)
})
export type TrlPreferenceRecord = typeof TrlPreferenceRecord.Type

export const toTrlMessages = (messages: ReadonlyArray<Message>): Array<TrlMessage> =>
  messages.map((m) => ({ role: m.from === "human" ? "user" : "assistant", content: m.value }))

export const conversationToTrl = (record: ConversationRecord): TrlSftRecord => ({ messages: toTrlMessages(record.conversations) })

export const dpoToTrl = (record: DpoRecord): TrlPreferenceRecord => ({
  prompt: toTrlMessages(record.prompt),
  chosen: toTrlMessages(record.chosen),
  rejected: toTrlMessages(record.rejected)
})

export const trajectoryToTrl = (t: Trajectory, instructionPrompt: string): TrlSftRecord =>
  conversationToTrl(trajectoryToConversation(t, instructionPrompt))

export const pairToTrl = (p: PreferencePair, instructionPrompt: string): TrlPreferenceRecord => dpoToTrl(pairToDpo(p, instructionPrompt))

const stripObservation = (value: string): string =>
  value.startsWith(OBSERVATION_PREFIX) ? value.slice(OBSERVATION_PREFIX.length).replace(/^\n/, "") : value.replace(/^Observation:\n?/, "")

/** Splits the messages after the header into turns. */
export const messagesToTurns = (messages: ReadonlyArray<Message>): Array<Turn> => {
  const turns: Array<Turn> = []
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!
    if (m.from !== "gpt") continue
    const parsed = parseReply(m.value)
    const next = messages[i + 1]
    turns.push({
      thought: parsed?.thought ?? m.value.trim(),
      action: parsed?.action ?? "",
      observation: next && next.from === "human" ? stripObservation(next.value) : "",
      reward: 0,
      ...(m.loss === false ? { loss: false } : {})
    })
  }
  return turns
}

/**
 * Reads a conversation record into a trajectory. The header is recognised by
 * the "OK" reply; `task` supplies what the record does not carry.
 */
export const conversationToTrajectory = (
  record: ConversationRecord,
  env: EnvName,
  options: { task?: Task; source?: TrajectorySource } = {}
): Trajectory => {
  const msgs = record.conversations
  let start = 0
  if (msgs.length >= 2 && msgs[0]!.from === "human" && msgs[1]!.from === "gpt" && msgs[1]!.value.trim() === "OK") start = 2
  const first = msgs[start]
  const initialObservation = first && first.from === "human" ? first.value : ""
  const turns = messagesToTurns(msgs.slice(first && first.from === "human" ? start + 1 : start))
  const reward = record.reward ?? 0
  if (turns.length > 0) turns[turns.length - 1] = { ...turns[turns.length - 1]!, reward }
  const task: Task = options.task ?? { id: String(record.id), env, split: "unknown", instruction: initialObservation, metadata: {} }
  return {
    task,
    initialObservation,
    turns,
    reward,
    success: reward >= 1,
    steps: turns.length,
    source: options.source ?? { kind: "expert" }
  }
}
