/**
 * The two generation endpoints: a decoded request becomes sequence jobs for
 * the batcher, and their results become OpenAI response objects, or
 * server-sent events (`data: {chunk}` lines, then `data: [DONE]`) when
 * `stream` is set.
 */
import { randomBytes } from "node:crypto"
import { Effect, Queue, Stream } from "effect"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import type { Tokenizer } from "@eto/policy"
import { type ApiError, apiError, type ChatRequest, type CompletionRequest } from "./Api"
import type { Batcher } from "./Batcher"
import type { SequenceJob, SequenceResult, TokenLogprob } from "./Decode"
import { chatBudget, chatPrompt, completionBudget, completionPrompt } from "./Prompts"

export interface ServedModel {
  readonly name: string
  readonly created: number
  readonly nPositions: number
  readonly tokenizer: Tokenizer.Tokenizer
  readonly batcher: Batcher
}

/** Most sequences one request may ask for (prompts x n). */
export const MAX_SEQUENCES_PER_REQUEST = 64

const stops = (s: string | ReadonlyArray<string> | null | undefined): ReadonlyArray<string> =>
  s === null || s === undefined ? [] : typeof s === "string" ? [s] : s

const requestSeed = (seed: number | null | undefined): number => seed ?? Math.floor(Math.random() * 2 ** 31)

const newId = (prefix: string) => `${prefix}-${randomBytes(12).toString("hex")}`

const usageOf = (results: ReadonlyArray<SequenceResult>, promptTokens: number) => {
  const completion = results.reduce((s, r) => s + r.completionTokens, 0)
  return { prompt_tokens: promptTokens, completion_tokens: completion, total_tokens: promptTokens + completion }
}

const chatLogprobs = (lps: ReadonlyArray<TokenLogprob>) => ({
  content: lps.map((t) => ({
    token: t.token,
    logprob: t.logprob,
    bytes: t.bytes,
    top_logprobs: t.top.map((x) => ({ token: x.token, logprob: x.logprob, bytes: x.bytes }))
  })),
  refusal: null
})

const completionLogprobs = (lps: ReadonlyArray<TokenLogprob>, offset: number, withTop: boolean) => {
  const text_offset: Array<number> = []
  let at = offset
  for (const t of lps) {
    text_offset.push(at)
    at += t.token.length
  }
  return {
    tokens: lps.map((t) => t.token),
    token_logprobs: lps.map((t) => t.logprob),
    top_logprobs: withTop ? lps.map((t) => Object.fromEntries(t.top.map((x) => [x.token, x.logprob]))) : null,
    text_offset
  }
}

const encoder = new TextEncoder()
const sse = (data: unknown): Uint8Array => encoder.encode(`data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`)

/** A server-sent event stream over a batch of jobs; `chunk` renders a text delta of sequence i. */
const eventStream = (
  model: ServedModel,
  jobs: ReadonlyArray<Omit<SequenceJob, "onText" | "cancelled">>,
  o: {
    readonly start?: (i: number) => unknown
    readonly chunk: (i: number, delta: string, lps: ReadonlyArray<TokenLogprob>) => unknown
    readonly end: (i: number, r: SequenceResult) => unknown
    readonly usage?: (results: ReadonlyArray<SequenceResult>) => unknown
  }
) =>
  HttpServerResponse.stream(
    Stream.callback<Uint8Array>((queue) =>
      Effect.gen(function*() {
        let gone = false
        yield* Effect.addFinalizer(() => Effect.sync(() => (gone = true)))
        if (o.start !== undefined) jobs.forEach((_, i) => Queue.offerUnsafe(queue, sse(o.start!(i))))
        const live = jobs.map((job, i): SequenceJob => ({
          ...job,
          onText: (delta, lps) => void Queue.offerUnsafe(queue, sse(o.chunk(i, delta, lps))),
          cancelled: () => gone
        }))
        model.batcher.submit(live).then(
          (results) => {
            results.forEach((r, i) => Queue.offerUnsafe(queue, sse(o.end(i, r))))
            if (o.usage !== undefined) Queue.offerUnsafe(queue, sse(o.usage(results)))
            Queue.offerUnsafe(queue, sse("[DONE]"))
            Queue.endUnsafe(queue)
          },
          (e: unknown) => {
            Queue.offerUnsafe(queue, sse(apiError(500, `generation failed: ${String(e)}`, { type: "server_error" }).body))
            Queue.endUnsafe(queue)
          }
        )
      })
    ),
    { contentType: "text/event-stream", headers: { "cache-control": "no-cache", connection: "keep-alive" } }
  )

/** Runs jobs to the end; interrupting (a timeout, a closed connection) frees their rows. */
const runJobs = (model: ServedModel, jobs: ReadonlyArray<SequenceJob>) =>
  Effect.tryPromise({
    try: (signal) => model.batcher.submit(jobs.map((j) => ({ ...j, cancelled: () => signal.aborted }))),
    catch: (e) => apiError(500, `generation failed: ${e instanceof Error ? e.message : String(e)}`, { type: "server_error" })
  })

const checkLogprobs = (logprobs: boolean, top: number): Effect.Effect<void, ApiError> =>
  top > 0 && !logprobs ? Effect.fail(apiError(400, "top_logprobs requires logprobs to be true", { param: "top_logprobs" })) : Effect.void

export const chatCompletion = (model: ServedModel, req: ChatRequest) =>
  Effect.gen(function*() {
    const logprobs = req.logprobs ?? false
    const topLogprobs = req.top_logprobs ?? 0
    yield* checkLogprobs(logprobs, topLogprobs)
    const n = req.n ?? 1
    const budget = chatBudget(model.nPositions, req.max_completion_tokens ?? req.max_tokens ?? undefined)
    const prompt = yield* Effect.try({
      try: () => chatPrompt(model.tokenizer, model.nPositions, req.messages, budget),
      catch: (e) => apiError(400, `cannot render the messages: ${(e as Error).message}`, { param: "messages" })
    })
    const seed = requestSeed(req.seed)
    const jobs = Array.from({ length: n }, (_, i) => ({
      prompt,
      maxTokens: budget,
      temperature: req.temperature ?? 1,
      topP: req.top_p ?? 1,
      seed: `generate:${seed}:${i}`,
      stop: stops(req.stop),
      logprobs,
      topLogprobs
    }))
    const id = newId("chatcmpl")
    const created = Math.floor(Date.now() / 1000)
    const head = { id, object: "chat.completion.chunk", created, model: model.name, system_fingerprint: null }
    if (req.stream === true) {
      return eventStream(model, jobs, {
        start: (i) => ({ ...head, choices: [{ index: i, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }] }),
        chunk: (i, delta, lps) => ({
          ...head,
          choices: [{ index: i, delta: { content: delta }, logprobs: logprobs ? chatLogprobs(lps) : null, finish_reason: null }]
        }),
        end: (i, r) => ({ ...head, choices: [{ index: i, delta: {}, logprobs: null, finish_reason: r.finishReason }] }),
        ...(req.stream_options?.include_usage === true ? { usage: (rs: ReadonlyArray<SequenceResult>) => ({ ...head, choices: [], usage: usageOf(rs, prompt.length) }) } : {})
      })
    }
    const results = yield* runJobs(model, jobs)
    return HttpServerResponse.jsonUnsafe({
      id,
      object: "chat.completion",
      created,
      model: model.name,
      system_fingerprint: null,
      choices: results.map((r, i) => ({
        index: i,
        message: { role: "assistant", content: r.text, refusal: null },
        logprobs: logprobs ? chatLogprobs(r.logprobs) : null,
        finish_reason: r.finishReason
      })),
      usage: usageOf(results, prompt.length)
    })
  })

export const completion = (model: ServedModel, req: CompletionRequest) =>
  Effect.gen(function*() {
    const texts = typeof req.prompt === "string" ? [req.prompt] : req.prompt
    const n = req.n ?? 1
    if (texts.length * n > MAX_SEQUENCES_PER_REQUEST) {
      return yield* Effect.fail(apiError(400, `at most ${MAX_SEQUENCES_PER_REQUEST} sequences per request (prompts x n = ${texts.length * n})`, { param: "n" }))
    }
    const budget = completionBudget(model.nPositions, req.max_tokens ?? undefined)
    const prompts = texts.map((t) => completionPrompt(model.tokenizer, model.nPositions, t, budget))
    const seed = requestSeed(req.seed)
    const logprobs = req.logprobs !== null && req.logprobs !== undefined
    const jobs = prompts.flatMap((prompt, p) =>
      Array.from({ length: n }, (_, j) => ({
        prompt,
        maxTokens: budget,
        temperature: req.temperature ?? 1,
        topP: req.top_p ?? 1,
        seed: `generate:${seed}:${p * n + j}`,
        stop: stops(req.stop),
        logprobs,
        topLogprobs: req.logprobs ?? 0
      }))
    )
    const promptTokens = prompts.reduce((s, p) => s + p.length, 0)
    const id = newId("cmpl")
    const created = Math.floor(Date.now() / 1000)
    const head = { id, object: "text_completion", created, model: model.name }
    if (req.stream === true) {
      const offsets = jobs.map(() => 0)
      return eventStream(model, jobs, {
        chunk: (i, delta, lps) => {
          const lp = logprobs ? completionLogprobs(lps, offsets[i]!, (req.logprobs ?? 0) > 0) : null
          offsets[i]! += delta.length
          return { ...head, choices: [{ index: i, text: delta, logprobs: lp, finish_reason: null }] }
        },
        end: (i, r) => ({ ...head, choices: [{ index: i, text: "", logprobs: null, finish_reason: r.finishReason }] }),
        ...(req.stream_options?.include_usage === true ? { usage: (rs: ReadonlyArray<SequenceResult>) => ({ ...head, choices: [], usage: usageOf(rs, promptTokens) }) } : {})
      })
    }
    const results = yield* runJobs(model, jobs)
    return HttpServerResponse.jsonUnsafe({
      ...head,
      choices: results.map((r, i) => ({
        index: i,
        text: r.text,
        logprobs: logprobs ? completionLogprobs(r.logprobs, 0, (req.logprobs ?? 0) > 0) : null,
        finish_reason: r.finishReason
      })),
      usage: usageOf(results, promptTokens)
    })
  })
