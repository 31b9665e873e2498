/**
 * The conversation a prompted model is sent, in ETO's "conversation" layout:
 *
 *   user       the environment's instruction prompt
 *   assistant  OK
 *   user / assistant ...   the one-shot example: its first observation, then
 *                          each reply and the observation it got
 *   user       the task's first observation
 *   assistant / user ...   each earlier reply and its observation
 *
 * Replies are written in the canonical form "Thought: ...\nAction: ..." from
 * the recorded turns, and observations as "Observation: ...", exactly as the
 * checkpoint policy and the training data show them, so every policy sees
 * the same history.
 */
import { formatReply, type Turn } from "@eto/core"

export interface ChatMessage {
  readonly role: "system" | "user" | "assistant"
  readonly content: string
}

/** A solved episode shown before the task (the one-shot example). */
export interface Example {
  readonly initialObservation: string
  readonly turns: ReadonlyArray<Pick<Turn, "thought" | "action" | "observation">>
}

/** ETO's stop strings for prompted models: a reply ends before it invents the next observation. */
export const ETO_STOP: ReadonlyArray<string> = ["\nObservation:", "\nTask:", "\n---"]

/** An observation as the agent is shown it (format errors and prefixed texts as they are). */
export const observationText = (o: string): string =>
  o.startsWith("Observation:") || o.startsWith("Invalid format") ? o : `Observation: ${o}`

const turnMessages = (turns: Example["turns"], keepLastObservation: boolean): Array<ChatMessage> =>
  turns.flatMap((t, i) => [
    { role: "assistant" as const, content: formatReply(t.thought, t.action) },
    ...(i < turns.length - 1 || keepLastObservation ? [{ role: "user" as const, content: observationText(t.observation) }] : [])
  ])

/** The messages asking for the next reply of an episode. */
export const etoConversation = (
  instruction: string,
  example: Example | undefined,
  initialObservation: string,
  turns: ReadonlyArray<Turn>
): Array<ChatMessage> => [
  { role: "user", content: instruction },
  { role: "assistant", content: "OK" },
  ...(example === undefined ? [] : [{ role: "user" as const, content: example.initialObservation }, ...turnMessages(example.turns, false)]),
  { role: "user", content: initialObservation },
  ...turnMessages(turns, true)
]
