/**
 * `eto serve`'s HTTP endpoints: a server for a small checkpoint, answering
 * requests built from valid chat and completion bodies mutated field by
 * field and as text, random bodies, bodies over the size limit, wrong or
 * missing content types and keys, unknown routes and methods. Contract:
 * every request is answered, never with 500; a refusal carries OpenAI's
 * error body with a one-line message (naming the field for a bad body);
 * a success is a JSON body, or for `stream` server-sent events ending in
 * `data: [DONE]`.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Exit, Schema, Scope } from "effect"
import fc from "fast-check"
import * as Checkpoint from "@eto/policy/Checkpoint"
import { defaultConfig, initParams } from "@eto/policy/Init"
import { train } from "@eto/policy/Tokenizer"
import { ErrorBody } from "@eto/harness/serve/Api"
import { SERVE_DEFAULTS, startServer } from "@eto/harness/serve/Server"
import { applyEdits, edit, mutatedJson, nastyText } from "./Inputs"
import { expectOneLine, expectThat, type FuzzTarget } from "./Target"

const KEY = "fuzz-key"
const MAX_BODY = 16 * 1024

interface Request {
  readonly method: string
  readonly path: string
  readonly contentType: string | undefined
  readonly key: string | undefined
  readonly body: string | undefined
}

const chat = (o: object) => ({ model: "tiny", messages: [{ role: "user", content: "Your task is to: look." }], max_tokens: 3, ...o })
const completion = (o: object) => ({ model: "tiny", prompt: "Thought: I look.\nAction:", max_tokens: 3, ...o })
const SAMPLES: ReadonlyArray<readonly [string, object]> = [
  ["/v1/chat/completions", chat({})],
  ["/v1/chat/completions", chat({ n: 2, temperature: 0.7, seed: 3, logprobs: true, top_logprobs: 2 })],
  ["/v1/chat/completions", chat({ stream: true, stream_options: { include_usage: true }, stop: ["\n"] })],
  ["/v1/chat/completions", chat({ messages: [{ role: "system", content: [{ type: "text", text: "Be brief." }] }, { role: "user", content: "hi" }] })],
  ["/v1/completions", completion({})],
  ["/v1/completions", completion({ prompt: ["a", "b"], logprobs: 2, top_p: 0.9, n: 2 })],
  ["/v1/completions", completion({ stream: true, echo: false })]
]
const PATHS = ["/v1/chat/completions", "/v1/completions", "/v1/models", "/v1/models/tiny", "/v1/models/other", "/health", "/stats", "/", "/v1", "/v1/chat/completions/", "/v2/completions", "/v1/models/%E0%A4%A", "/v1/models/%", "//", "/v1//models"]

const request: fc.Arbitrary<Request> = fc.record({
  method: fc.oneof({ arbitrary: fc.constant("POST"), weight: 8 }, fc.constantFrom("GET", "PUT", "DELETE", "PATCH")),
  sample: fc.nat({ max: SAMPLES.length - 1 }),
  path: fc.oneof({ arbitrary: fc.constant(undefined), weight: 6 }, fc.constantFrom(...PATHS), fc.constantFrom(...PATHS).chain((p) => fc.array(edit, { minLength: 1, maxLength: 2 }).map((es) => applyEdits(p, es)))),
  contentType: fc.constantFrom<string | undefined>("application/json", "application/json", "text/plain", undefined, "application/json; charset=utf-8"),
  key: fc.oneof({ arbitrary: fc.constant<string | undefined>(KEY), weight: 8 }, fc.constantFrom<string | undefined>(undefined, "wrong", "")),
  body: fc.oneof(
    { arbitrary: fc.constant<"sample">("sample"), weight: 2 },
    { arbitrary: fc.constant<"mutated">("mutated"), weight: 6 },
    nastyText,
    fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
    fc.constant<"huge">("huge")
  ),
  mutated: mutatedJson(SAMPLES.map(([, s]) => s))
}).map((r): Request => {
  const [route, sample] = SAMPLES[r.sample]!
  const body = r.body === "sample" ? JSON.stringify(sample)
    : r.body === "mutated" ? r.mutated
    : r.body === "huge" ? JSON.stringify(chat({ messages: [{ role: "user", content: "x".repeat(MAX_BODY) }] }))
    : r.body
  // URL-safe: a path that is not one cannot be sent at all, so it is sent escaped.
  const p = (r.path ?? route).replace(/[\uD800-\uDFFF]/g, "?")
  const target = /%/.test(p) ? p : encodeURI(p)
  return { method: r.method, path: target.startsWith("/") ? target : `/${target}`, contentType: r.contentType, key: r.key, body: r.method === "GET" ? undefined : body }
})

const decodeError = Schema.decodeUnknownOption(ErrorBody)

export const serveHttp: FuzzTarget<Request> = {
  name: "serve-http",
  contract: "every request answered, never 500; refusals in OpenAI's error body with a one-line message",
  prepare: async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "eto-fuzz-serve-"))
    const tok = train(["Thought: I look around.\nAction: look", "Observation: a room with a desk 1"], { vocabSize: 320, minFrequency: 1 })
    const config = defaultConfig({ vocabSize: tok.size, nPositions: 32, nEmbd: 16, nLayer: 1, nHead: 2 })
    const dir = path.join(root, "tiny")
    Checkpoint.saveSync(dir, { config, params: initParams(config, 1), tokenizer: tok })
    const scope = Scope.makeUnsafe()
    const server = await Effect.runPromise(Scope.provide(
      startServer({ ...SERVE_DEFAULTS, checkpoint: dir, port: 0, modelName: "tiny", apiKey: KEY, maxBodyBytes: MAX_BODY, requestTimeoutMs: 20_000 }),
      scope
    ))
    const base = server.url.replace(/\/v1$/, "")
    return {
      arbitrary: request,
      dispose: async () => {
        await Effect.runPromise(Scope.close(scope, Exit.void))
        fs.rmSync(root, { recursive: true, force: true })
      },
      check: async (r) => {
        const headers: Record<string, string> = {}
        if (r.contentType !== undefined) headers["content-type"] = r.contentType
        if (r.key !== undefined) headers.authorization = `Bearer ${r.key}`
        let res: Response
        try {
          res = await fetch(`${base}${r.path}`, { method: r.method, headers, body: r.body, signal: AbortSignal.timeout(30_000) })
        } catch (e) {
          throw new Error(`no answer to ${r.method} ${r.path}: ${e instanceof Error ? e.message : String(e)}`)
        }
        const text = await res.text()
        expectThat(res.status !== 500 && res.status < 600, () => `status ${res.status} for ${r.method} ${r.path}: ${text.slice(0, 300)}`)
        if (res.status === 200) {
          if ((res.headers.get("content-type") ?? "").includes("text/event-stream")) {
            expectThat(text.trimEnd().endsWith("data: [DONE]"), () => `event stream without its end: ${text.slice(-200)}`)
          } else {
            JSON.parse(text)
          }
          return "200"
        }
        let json: unknown
        try {
          json = JSON.parse(text)
        } catch {
          throw new Error(`status ${res.status} without a JSON body: ${text.slice(0, 200)}`)
        }
        const body = decodeError(json)
        expectThat(body._tag === "Some", () => `status ${res.status} without OpenAI's error body: ${text.slice(0, 200)}`)
        const message = (body as { value: ErrorBody }).value.error.message
        expectOneLine(message, `status ${res.status}`)
        if (/^invalid request/.test(message)) expectThat(/\[|Expected|Missing/.test(message), () => `names no field: ${message}`)
        return String(res.status)
      }
    }
  }
}
