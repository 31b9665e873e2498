/**
 * The OpenAI-compatible API as `eto serve` reads it: request bodies decoded
 * with these schemas (unknown fields are ignored, as OpenAI-compatible
 * servers do), and the error body every failure is answered with.
 */
import { Data, Schema } from "effect"

const Int = Schema.Int
const between = (minimum: number, maximum: number) => Schema.isBetween({ minimum, maximum })
const nullable = <S extends Schema.Top>(s: S) => Schema.optionalKey(Schema.NullOr(s))

const TextPart = Schema.Struct({ type: Schema.Literal("text"), text: Schema.String })

export const ChatMessage = Schema.Struct({
  role: Schema.Literals(["system", "developer", "user", "assistant"]),
  content: Schema.Union([Schema.String, Schema.Array(TextPart)])
})
export type ChatMessage = typeof ChatMessage.Type

const Stop = nullable(Schema.Union([Schema.String, Schema.Array(Schema.String).check(Schema.isMaxLength(4))]))

/** Sampling fields shared by both endpoints. */
const sampling = {
  model: Schema.String,
  temperature: nullable(Schema.Finite.check(between(0, 2))),
  top_p: nullable(Schema.Finite.check(Schema.isGreaterThan(0), Schema.isLessThanOrEqualTo(1))),
  n: nullable(Int.check(between(1, 16))),
  stop: Stop,
  seed: nullable(Int),
  stream: nullable(Schema.Boolean),
  stream_options: nullable(Schema.Struct({ include_usage: Schema.optionalKey(Schema.Boolean) }))
}

export const ChatRequest = Schema.Struct({
  ...sampling,
  messages: Schema.Array(ChatMessage).check(Schema.isMinLength(1)),
  max_tokens: nullable(Int.check(Schema.isGreaterThanOrEqualTo(1))),
  max_completion_tokens: nullable(Int.check(Schema.isGreaterThanOrEqualTo(1))),
  logprobs: nullable(Schema.Boolean),
  top_logprobs: nullable(Int.check(between(0, 20)))
})
export type ChatRequest = typeof ChatRequest.Type

export const CompletionRequest = Schema.Struct({
  ...sampling,
  prompt: Schema.Union([Schema.String, Schema.Array(Schema.String).check(Schema.isMinLength(1), Schema.isMaxLength(16))]),
  max_tokens: nullable(Int.check(Schema.isGreaterThanOrEqualTo(1))),
  /** Log-probs of the sampled token and the `logprobs` most likely ones (0-5). */
  logprobs: nullable(Int.check(between(0, 5))),
  echo: nullable(Schema.Literal(false))
})
export type CompletionRequest = typeof CompletionRequest.Type

/** OpenAI's error body. */
export const ErrorBody = Schema.Struct({
  error: Schema.Struct({
    message: Schema.String,
    type: Schema.String,
    param: Schema.NullOr(Schema.String),
    code: Schema.NullOr(Schema.String)
  })
})
export type ErrorBody = typeof ErrorBody.Type

/** A request the server refuses, with its HTTP status and OpenAI error fields. */
export class ApiError extends Data.TaggedError("ApiError")<{
  readonly status: number
  readonly reason: string
  readonly type: string
  readonly code: string | null
  readonly param: string | null
}> {
  override get message(): string {
    return this.reason
  }
  get body(): ErrorBody {
    return { error: { message: this.reason, type: this.type, param: this.param, code: this.code } }
  }
}

export const apiError = (
  status: number,
  reason: string,
  o: { readonly type?: string; readonly code?: string; readonly param?: string } = {}
): ApiError => new ApiError({ status, reason, type: o.type ?? "invalid_request_error", code: o.code ?? null, param: o.param ?? null })

/** One line from a schema failure: what is wrong and where. */
export const describeIssue = (e: Schema.SchemaError): string => e.message.split("\n").map((l) => l.trim()).filter(Boolean).join(" ")
