/**
 * From API requests to token prompts, the way the checkpoint is prompted in
 * process (Render.ts):
 * - chat: system (or developer) messages are the instruction; the rest is a
 *   FastChat conversation (user = environment, assistant = agent), read with
 *   the "instruction / OK / first observation" header when present. The
 *   prompt is the rendered history ending in an open agent turn, fitted to
 *   the context minus the reply budget. As in the checkpoint policy, a reply
 *   gets at most a quarter of the context, 96 tokens unless `max_tokens`
 *   says otherwise.
 * - completions: the text itself, its end kept when it is too long.
 */
import { Conversations } from "@eto/core"
import { Generate, Render, Tokenizer } from "@eto/policy"
import type { ChatMessage } from "./Api"

const text = (m: ChatMessage): string => (typeof m.content === "string" ? m.content : m.content.map((p) => p.text).join(""))

export const chatDialogue = (messages: ReadonlyArray<ChatMessage>): Render.Dialogue => {
  const system = messages.filter((m) => m.role === "system" || m.role === "developer").map(text)
  const rest: Array<Conversations.Message> = messages
    .filter((m) => m.role === "user" || m.role === "assistant")
    .map((m) => ({ from: m.role === "user" ? "human" : "gpt", value: text(m) }))
  const d = Render.fromMessages(rest)
  const instruction = [...system, d.instruction].filter((s) => s !== "").join("\n\n")
  return { ...d, instruction }
}

/** The reply budget of a chat request. */
export const chatBudget = (nPositions: number, maxTokens: number | undefined): number =>
  Math.max(1, Math.min(maxTokens ?? Generate.defaultSampling().maxTokens, Math.floor(nPositions / 4)))

export const chatPrompt = (tokenizer: Tokenizer.Tokenizer, nPositions: number, messages: ReadonlyArray<ChatMessage>, budget: number): Int32Array =>
  Render.renderPrompt(tokenizer, chatDialogue(messages), nPositions - budget)

/** The reply budget of a completion request (OpenAI's default is 16), leaving at least one prompt token. */
export const completionBudget = (nPositions: number, maxTokens: number | undefined): number =>
  Math.max(1, Math.min(maxTokens ?? 16, nPositions - 1))

export const completionPrompt = (tokenizer: Tokenizer.Tokenizer, nPositions: number, prompt: string, budget: number): Int32Array => {
  const ids = tokenizer.encode(prompt)
  if (ids.length === 0) return Int32Array.of(tokenizer.special(Tokenizer.SPECIAL.eot))
  return Int32Array.from(ids.slice(Math.max(0, ids.length - (nPositions - budget))))
}
