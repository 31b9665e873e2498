/**
 * `eto serve`: an OpenAI-compatible server for a checkpoint on
 * @effect/platform-node's HTTP server.
 *
 *   GET  /v1/models, /v1/models/{id}
 *   POST /v1/chat/completions, /v1/completions   (JSON, or server-sent events with `stream`)
 *   GET  /health, /stats                          (liveness; batching and token counts)
 *
 * Every request is answered, failures with OpenAI's error body: 400 (bad
 * JSON, a body the schema refuses), 401 (a key is set and the request's
 * `Authorization: Bearer` does not match it), 404 (unknown model or route),
 * 405, 408 (the request took longer than the limit), 413 (body over the
 * limit), 500. Concurrent generation requests share engine calls (Batcher).
 */
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { createHash, timingSafeEqual } from "node:crypto"
import { ByteSize, Cause, Effect, Schema } from "effect"
import * as HttpIncomingMessage from "effect/http/HttpIncomingMessage"
import { HttpServerRequest } from "effect/http/HttpServerRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { DataFileError, InvalidInput, oneLine } from "@eto/core"
import { Checkpoint, type EngineKind, makeEngine, Tokenizer } from "@eto/policy"
import { type ApiError, apiError, ChatRequest, CompletionRequest, describeIssue } from "./Api"
import { type BatchRecord, type BatcherStats, makeBatcher } from "./Batcher"
import { decodeBatch } from "./Decode"
import { chatCompletion, completion, type ServedModel } from "./Handlers"

export interface ServeOptions {
  readonly checkpoint: string
  readonly host: string
  /** 0: any free port. */
  readonly port: number
  /** Default: the checkpoint directory's name. */
  readonly modelName?: string | undefined
  /** Required from clients when set. */
  readonly apiKey?: string | undefined
  readonly engine?: EngineKind | undefined
  readonly maxBodyBytes: number
  readonly requestTimeoutMs: number
  /** How long the first request of a batch waits for others. */
  readonly batchWindowMs: number
  /** Most sequences in one engine call. */
  readonly maxBatch: number
  readonly onBatch?: ((b: BatchRecord) => void) | undefined
}

export const SERVE_DEFAULTS = { host: "127.0.0.1", port: 8000, maxBodyBytes: 4 * 1024 * 1024, requestTimeoutMs: 300_000, batchWindowMs: 10, maxBatch: 32 } as const

export interface RunningServer {
  /** The API root, e.g. http://127.0.0.1:8000/v1 */
  readonly url: string
  readonly port: number
  readonly model: string
  stats(): BatcherStats
}

const digest = (s: string) => createHash("sha256").update(s).digest()

const authorized = (header: string | undefined, key: string): boolean => {
  const m = /^Bearer\s+(.+)$/i.exec(header?.trim() ?? "")
  return m !== null && timingSafeEqual(digest(m[1]!.trim()), digest(key))
}

/** Whether a body-reading failure was the size limit. */
const tooLarge = (e: unknown): boolean => {
  for (let x: unknown = e, depth = 0; x !== null && typeof x === "object" && depth < 6; depth++) {
    const o = x as { name?: unknown; message?: unknown; cause?: unknown; reason?: unknown }
    if (o.name === "MaxBytesError" || (typeof o.message === "string" && o.message.includes("maxBytes exceeded"))) return true
    x = o.cause ?? o.reason
  }
  return false
}

const readBody = <S extends Schema.Top & { readonly DecodingServices: never }>(schema: S, maxBytes: number) =>
  Effect.gen(function*() {
    const req = yield* HttpServerRequest
    const limit = apiError(413, `request body larger than ${maxBytes} bytes`, { code: "request_too_large" })
    if (Number(req.headers["content-length"] ?? 0) > maxBytes) return yield* Effect.fail(limit)
    const text = yield* req.text.pipe(
      Effect.provideService(HttpIncomingMessage.MaxBodySize, ByteSize.bytes(maxBytes)),
      Effect.mapError((e) => (tooLarge(e) ? limit : apiError(400, "could not read the request body")))
    )
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      return yield* Effect.fail(apiError(400, "We could not parse the JSON body of your request: it is not valid JSON."))
    }
    return yield* Schema.decodeUnknownEffect(schema)(json).pipe(
      Effect.mapError((e) => apiError(400, `invalid request: ${describeIssue(e)}`))
    ) as Effect.Effect<S["Type"], ApiError>
  })

const checkModel = (model: ServedModel, name: string): Effect.Effect<void, ApiError> =>
  name === model.name
    ? Effect.void
    : Effect.fail(apiError(404, `The model '${name}' does not exist (this server serves '${model.name}')`, { code: "model_not_found", param: "model" }))

const modelObject = (m: ServedModel) => ({ id: m.name, object: "model", created: m.created, owned_by: "eto-bench" })

const ROUTES: Record<string, ReadonlyArray<string>> = {
  "/v1/models": ["GET"],
  "/v1/chat/completions": ["POST"],
  "/v1/completions": ["POST"],
  "/health": ["GET"],
  "/stats": ["GET"]
}

const route = (model: ServedModel, o: ServeOptions) =>
  Effect.gen(function*() {
    const req = yield* HttpServerRequest
    // The request target as a path ("//x" would read as a host, so it is not parsed as a URL).
    const path = req.url.replace(/[?#].*$/s, "").replace(/\/+$/, "") || "/"
    if (path === "/health" && req.method === "GET") return HttpServerResponse.jsonUnsafe({ status: "ok", model: model.name })
    if (o.apiKey !== undefined && !authorized(req.headers["authorization"], o.apiKey)) {
      return yield* Effect.fail(apiError(401, "Incorrect API key provided (send it as 'Authorization: Bearer <key>')", { code: "invalid_api_key" }))
    }
    const models = path.startsWith("/v1/models/") ? "/v1/models/:id" : path
    const methods = models === "/v1/models/:id" ? ["GET"] : ROUTES[path]
    if (methods === undefined) return yield* Effect.fail(apiError(404, `Unknown request URL: ${req.method} ${path}`, { code: "unknown_url" }))
    if (!methods.includes(req.method)) return yield* Effect.fail(apiError(405, `${req.method} is not allowed on ${path} (use ${methods.join(", ")})`))
    switch (models) {
      case "/v1/models":
        return HttpServerResponse.jsonUnsafe({ object: "list", data: [modelObject(model)] })
      case "/v1/models/:id": {
        const raw = path.slice("/v1/models/".length)
        const id = yield* Effect.try({
          try: () => decodeURIComponent(raw),
          catch: () => apiError(404, `The model '${raw}' does not exist (this server serves '${model.name}')`, { code: "model_not_found", param: "model" })
        })
        yield* checkModel(model, id)
        return HttpServerResponse.jsonUnsafe(modelObject(model))
      }
      case "/stats":
        return HttpServerResponse.jsonUnsafe(model.batcher.stats())
      case "/v1/chat/completions": {
        const body = yield* readBody(ChatRequest, o.maxBodyBytes)
        yield* checkModel(model, body.model)
        return yield* chatCompletion(model, body)
      }
      default: {
        const body = yield* readBody(CompletionRequest, o.maxBodyBytes)
        yield* checkModel(model, body.model)
        return yield* completion(model, body)
      }
    }
  })

const errorResponse = (e: ApiError) =>
  HttpServerResponse.jsonUnsafe(e.body, { status: e.status, ...(e.status === 401 ? { headers: { "www-authenticate": "Bearer" } } : {}) })

/** The request handler: every outcome is a response. */
export const makeApp = (model: ServedModel, o: ServeOptions) =>
  route(model, o).pipe(
    Effect.timeoutOrElse({
      duration: o.requestTimeoutMs,
      orElse: () => Effect.fail(apiError(408, `request took longer than ${o.requestTimeoutMs / 1000} s`, { type: "timeout", code: "request_timeout" }))
    }),
    Effect.catchTag("ApiError", (e) => Effect.succeed(errorResponse(e))),
    Effect.catchCause((cause) => {
      const e = Cause.squash(cause)
      return Effect.succeed(errorResponse(apiError(500, `internal error: ${oneLine(e instanceof Error ? e.message : String(e))}`, { type: "server_error" })))
    })
  )

/** Loads the checkpoint, starts the engine and the server; both stop with the scope. */
export const startServer = (o: ServeOptions) =>
  Effect.gen(function*() {
    const ckpt = yield* Checkpoint.load(o.checkpoint)
    const S = Tokenizer.SPECIAL
    for (const s of [S.agent, S.env, S.end, S.eot, S.instruction]) {
      if (!ckpt.tokenizer.hasSpecial(s)) {
        return yield* Effect.fail(new DataFileError({ path: o.checkpoint, reason: `tokenizer lacks the special token ${s}; not an agent checkpoint` }))
      }
    }
    const engine = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: () => makeEngine(o.engine ?? "auto", ckpt.config, ckpt.params),
        catch: (e) => new InvalidInput({ reason: `cannot start the engine: ${(e as Error).message}` })
      }),
      (e) => Effect.sync(() => e.dispose())
    )
    const stopIds = [ckpt.tokenizer.special(S.end), ckpt.tokenizer.special(S.eot)]
    const batcher = makeBatcher((jobs) => decodeBatch(engine, ckpt.tokenizer, stopIds, jobs), {
      windowMs: o.batchWindowMs,
      maxSequences: o.maxBatch,
      onBatch: o.onBatch
    })
    const model: ServedModel = {
      name: o.modelName ?? (o.checkpoint.split(/[\\/]/).filter(Boolean).pop() ?? "model"),
      created: Math.floor(Date.now() / 1000),
      nPositions: ckpt.config.nPositions,
      tokenizer: ckpt.tokenizer,
      batcher
    }
    const server = http.createServer({ requestTimeout: o.requestTimeoutMs, headersTimeout: Math.min(60_000, o.requestTimeoutMs) })
    const { serve } = yield* NodeHttpServer.make(() => server, { host: o.host, port: o.port }).pipe(
      Effect.mapError((e) => new InvalidInput({ reason: `cannot listen on ${o.host}:${o.port}: ${e.message}` }))
    )
    yield* serve(makeApp(model, o))
    const port = (server.address() as AddressInfo).port
    const host = o.host.includes(":") ? `[${o.host}]` : o.host
    return { url: `http://${host}:${port}/v1`, port, model: model.name, stats: batcher.stats } satisfies RunningServer
  })
