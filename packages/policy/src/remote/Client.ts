/**
 * The chat-completions call of a prompted model, through the official
 * `openai` client: it retries 408/409/429/5xx answers and timeouts with
 * exponential backoff and honours `Retry-After` (and `retry-after-ms`).
 * Replies are decoded with a schema; a failure becomes one line naming the
 * model, the server and what went wrong.
 */
import OpenAI from "openai"
import { Schema } from "effect"
import type { ChatMessage } from "./Conversation"

/** The public API, used when neither a base URL nor OPENAI_BASE_URL is given. */
export const PUBLIC_BASE_URL = "https://api.openai.com/v1"

export const resolveBaseUrl = (given?: string | undefined): string => {
  const url = given ?? process.env.OPENAI_BASE_URL
  return url === undefined || url.trim() === "" ? PUBLIC_BASE_URL : url.trim()
}

/** The part of a chat completion we use. */
export const ChatReply = Schema.Struct({
  choices: Schema.Array(Schema.Struct({
    index: Schema.optionalKey(Schema.Int),
    message: Schema.Struct({ content: Schema.optionalKey(Schema.NullOr(Schema.String)) })
  })),
  usage: Schema.optionalKey(Schema.NullOr(Schema.Struct({ prompt_tokens: Schema.Number, completion_tokens: Schema.Number })))
})
export type ChatReply = typeof ChatReply.Type

const decodeReply = Schema.decodeUnknownSync(ChatReply)

export interface ChatCall {
  readonly messages: ReadonlyArray<ChatMessage>
  readonly n: number
  readonly temperature: number
  readonly topP?: number | undefined
  readonly maxTokens?: number | undefined
  readonly stop?: ReadonlyArray<string> | undefined
  readonly seed?: number | undefined
}

export interface ChatResult {
  /** One text per returned choice, in choice order. */
  readonly texts: ReadonlyArray<string>
  readonly promptTokens: number
  readonly completionTokens: number
}

export interface ChatClientOptions {
  readonly model: string
  readonly baseURL?: string | undefined
  /** Default: $OPENAI_API_KEY. */
  readonly apiKey?: string | undefined
  /** Retries after the first attempt (429, 5xx, timeouts, connection errors). */
  readonly maxRetries?: number | undefined
  /** Per attempt. */
  readonly timeoutMs?: number | undefined
}

export interface ChatClient {
  readonly model: string
  readonly baseURL: string
  chat(call: ChatCall, signal?: AbortSignal): Promise<ChatResult>
  /** HTTP attempts so far (retries included). */
  attempts(): number
}

/** A thrown error from the client (or our decoding) as one line. */
export const describeError = (e: unknown, model: string, baseURL: string): string => {
  const where = `openai:${model} at ${baseURL}`
  const oneLine = (s: string) => s.replace(/\s+/g, " ").trim()
  if (e instanceof OpenAI.APIConnectionTimeoutError) return `${where}: request timed out (after retries)`
  if (e instanceof OpenAI.APIConnectionError) {
    const cause = (e as { cause?: unknown }).cause
    return `${where}: cannot connect${cause instanceof Error ? ` (${oneLine(cause.message)})` : ""}`
  }
  if (e instanceof OpenAI.APIError) {
    const hint = e.status === 401
      ? " (check OPENAI_API_KEY)"
      : e.status === 404
      ? " (is the model name right, and does the base URL end in /v1?)"
      : ""
    return `${where}: ${oneLine(e.message)}${hint}`
  }
  if (Schema.isSchemaError(e)) return `${where}: unexpected reply: ${oneLine(e.message)}`
  return `${where}: ${oneLine(e instanceof Error ? e.message : String(e))}`
}

export const makeChatClient = (o: ChatClientOptions): ChatClient => {
  const baseURL = resolveBaseUrl(o.baseURL)
  let attempts = 0
  const counting: typeof fetch = (input, init) => {
    attempts++
    return fetch(input, init)
  }
  const client = new OpenAI({
    baseURL,
    // Local servers (eto serve without a key, vLLM) accept any key.
    apiKey: o.apiKey ?? process.env.OPENAI_API_KEY ?? "none",
    maxRetries: o.maxRetries ?? 6,
    timeout: o.timeoutMs ?? 120_000,
    fetch: counting
  })
  return {
    model: o.model,
    baseURL,
    attempts: () => attempts,
    chat: async (call, signal) => {
      const raw: unknown = await client.chat.completions.create(
        {
          model: o.model,
          messages: call.messages.map((m) => ({ role: m.role, content: m.content })),
          n: call.n,
          temperature: call.temperature,
          ...(call.topP !== undefined ? { top_p: call.topP } : {}),
          ...(call.maxTokens !== undefined ? { max_tokens: call.maxTokens } : {}),
          ...(call.stop !== undefined && call.stop.length > 0 ? { stop: [...call.stop] } : {}),
          ...(call.seed !== undefined ? { seed: call.seed } : {})
        },
        signal === undefined ? {} : { signal }
      )
      const reply = decodeReply(raw)
      const choices = [...reply.choices].sort((a, b) => (a.index ?? 0) - (b.index ?? 0))
      return {
        texts: choices.map((c) => c.message.content ?? ""),
        promptTokens: reply.usage?.prompt_tokens ?? 0,
        completionTokens: reply.usage?.completion_tokens ?? 0
      }
    }
  }
}
