/**
 * The remote policy (`openai:<model>`) against a fake OpenAI-compatible
 * server started here over real HTTP: the conversation it sends, retries on
 * 429 (honouring Retry-After), 5xx and timeouts, one-line failures on
 * 401/404/400, `n` samples and the concurrency bound.
 */
import * as fs from "node:fs"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { type PolicyRequest, Trajectory } from "@eto/core"
import { Remote } from "@eto/policy"
import { Jsonl } from "@eto/core"
import { cli, tempDir } from "./support"

interface Call {
  readonly body: { messages: Array<{ role: string; content: string }>; n?: number; temperature?: number; stop?: Array<string>; seed?: number; max_tokens?: number; model: string }
  readonly at: number
  readonly authorization: string | undefined
}

interface Answer {
  readonly status?: number
  readonly headers?: Record<string, string>
  readonly json?: unknown
  readonly delayMs?: number
}

const completion = (texts: ReadonlyArray<string>, usage = { prompt_tokens: 100, completion_tokens: 10 }) => ({
  id: "chatcmpl-test",
  object: "chat.completion",
  created: 0,
  model: "fake",
  choices: texts.map((t, i) => ({ index: i, message: { role: "assistant", content: t }, finish_reason: "stop" })),
  usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens }
})

/** A server answering each call with `script(call, index)`; it records every call and the most in flight at once. */
const fakeServer = (script: (call: Call, index: number) => Answer) =>
  Effect.acquireRelease(
    Effect.promise(() =>
      new Promise<{ url: string; calls: Array<Call>; maxInFlight: () => number; server: http.Server }>((resolve) => {
        const calls: Array<Call> = []
        let inFlight = 0, maxInFlight = 0
        const server = http.createServer((req, res) => {
          let data = ""
          req.on("data", (c) => (data += c))
          req.on("end", () => {
            const call: Call = { body: JSON.parse(data), at: Date.now(), authorization: req.headers.authorization }
            const answer = script(call, calls.length)
            calls.push(call)
            inFlight++
            maxInFlight = Math.max(maxInFlight, inFlight)
            setTimeout(() => {
              inFlight--
              if (res.destroyed) return
              res.writeHead(answer.status ?? 200, { "content-type": "application/json", ...answer.headers })
              res.end(JSON.stringify(answer.json ?? completion(["Thought: ok\nAction: look"])))
            }, answer.delayMs ?? 0)
          })
        })
        server.listen(0, "127.0.0.1", () =>
          resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, calls, maxInFlight: () => maxInFlight, server }))
      })
    ),
    (s) => Effect.promise(() => new Promise<void>((r) => { s.server.closeAllConnections(); s.server.close(() => r()) }))
  )

const request = (i: number, obs = `observation ${i}`): PolicyRequest => ({
  task: { id: `t${i}`, env: "webshop", split: "test", instruction: "", metadata: {} },
  initialObservation: obs,
  turns: []
})

const policy = (url: string, o: Partial<Remote.RemotePolicyOptions> = {}) =>
  Remote.makeRemotePolicy({ model: "fake", baseURL: url, apiKey: "test-key", instructionPrompt: "You shop.", ...o })

const errorJson = (message: string) => ({ error: { message, type: "invalid_request_error", param: null, code: null } })

describe("remote policy (openai:<model>)", () => {
  it.live("eto eval sends the ETO conversation, keeps raw replies and records tokens", () =>
    Effect.gen(function*() {
      const replies = ["Thought: I should search.\nAction: search[red shirt]  ", "I am unsure what to do", "Thought: buy it\nAction: click[Buy Now]"]
      let opening = 0
      const server = yield* fakeServer((call, i) => {
        if (i === 0) opening = call.body.messages.length
        const step = (call.body.messages.length - opening) / 2
        return { json: completion([replies[Math.min(step, replies.length - 1)]!]) }
      })
      const dir = tempDir()
      const r = yield* cli(["eval", "--env", "webshop", "--policy", "openai:fake", "--base-url", server.url, "--limit", "2", "--batch", "2", "--json", "--out", dir])
      expect(r.code, r.stderr).toBe(0)
      const summary = JSON.parse(r.stdout)
      expect(summary.policy).toBe("openai-fake")
      const trajectories = yield* Jsonl.readJsonl(Trajectory, summary.trajectories_file)
      const first = server.calls[0]!.body
      expect(first.model).toBe("fake")
      expect(first.temperature).toBe(0)
      expect(first.n).toBe(1)
      expect(first.stop).toEqual([...Remote.ETO_STOP])
      expect(typeof first.seed).toBe("number")
      const m = first.messages
      expect(m[0]!.role).toBe("user")
      expect(m[0]!.content).toMatch(/^You are shopping on a web store/)
      expect(m[1]).toEqual({ role: "assistant", content: "OK" })
      // The one-shot example: the expert solving a training task, then the task's own first observation.
      expect(m[2]!.role).toBe("user")
      expect(m.filter((x) => x.role === "assistant").length).toBeGreaterThan(2)
      expect(m[3]!.content).toMatch(/^Thought: .*\nAction: search\[/s)
      expect(m[m.length - 1]).toEqual({ role: "user", content: trajectories[0]!.initialObservation })
      // Later requests carry the replies (canonical form) and observations.
      const later = server.calls.find((c) => c.body.messages.at(-2)?.content === "Thought: I should search.\nAction: search[red shirt]")
      expect(later?.body.messages.at(-1)?.content).toMatch(/^Observation: /)
      // Raw replies are kept; the action is parsed from them.
      const t = trajectories[0]!
      expect(t.turns[0]!.reply).toBe(replies[0])
      expect(t.turns[0]!.action).toBe("search[red shirt]")
      expect(t.turns[1]!.reply).toBe(replies[1])
      expect(t.turns[1]!.action).toBe("")
      expect(t.turns[2]!.action).toBe("click[Buy Now]")
      // Buy Now is not on a results page: nothing happens until the step limit.
      expect(t.steps).toBe(10)
      expect(server.calls).toHaveLength(20)
      // Tokens as the server reported them (100 + 10 per request).
      expect(summary.prompt_tokens).toBe(100 * server.calls.length)
      expect(summary.completion_tokens).toBe(10 * server.calls.length)
      expect(fs.readFileSync(path.join(dir, "openai-fake-test-seed0.summary.csv"), "utf8")).toMatch(/,prompt_tokens,completion_tokens\n.*,2000,200\n$/)
      // Zero-shot: no example between the header and the task.
      const zero = yield* cli(["eval", "--env", "webshop", "--policy", "openai:fake", "--base-url", server.url, "--limit", "1", "--shots", "0", "--json", "--out", dir])
      expect(zero.code).toBe(0)
      const last = server.calls.at(-3)!.body.messages
      expect(last.map((x) => x.role).slice(0, 3)).toEqual(["user", "assistant", "user"])
      expect(last[2]!.content).toBe(trajectories[0]!.initialObservation)
    }))

  it.live("429 with Retry-After is retried after the time it asks for", () =>
    Effect.gen(function*() {
      const server = yield* fakeServer((_, i) =>
        i === 0 ? { status: 429, headers: { "retry-after": "1" }, json: errorJson("Rate limit reached") } : { json: completion(["Thought: a\nAction: b"]) })
      const p = yield* policy(server.url)
      const out = yield* p.act([request(0)])
      expect(out).toEqual(["Thought: a\nAction: b"])
      expect(server.calls).toHaveLength(2)
      expect(server.calls[1]!.at - server.calls[0]!.at).toBeGreaterThanOrEqual(950)
      expect(p.usage()).toMatchObject({ requests: 1, attempts: 2, promptTokens: 100, completionTokens: 10 })
      expect(server.calls[0]!.authorization).toBe("Bearer test-key")
    }))

  it.live("500 and a timed-out attempt are retried", () =>
    Effect.gen(function*() {
      const server = yield* fakeServer((_, i) =>
        i === 0 ? { status: 500, json: errorJson("boom") } : i === 1 ? { delayMs: 3000 } : { json: completion(["Thought: c\nAction: d"]) })
      const p = yield* policy(server.url, { timeoutMs: 500 })
      expect(yield* p.act([request(0)])).toEqual(["Thought: c\nAction: d"])
      expect(server.calls).toHaveLength(3)
      expect(p.usage().attempts).toBe(3)
    }))

  it.live("401, 404 and 400 fail at once with one line", () =>
    Effect.gen(function*() {
      const answers: Record<string, Answer> = {
        a401: { status: 401, json: errorJson("Incorrect API key provided: test-key.") },
        b404: { status: 404, json: errorJson("The model `fake` does not exist") },
        c400: { status: 400, json: errorJson("Invalid value for 'temperature':\n too high") }
      }
      for (const [name, answer] of Object.entries(answers)) {
        const server = yield* fakeServer(() => answer)
        const p = yield* policy(server.url)
        const error = yield* Effect.flip(p.act([request(0)]))
        expect(error._tag).toBe("PolicyError")
        expect(error.message).not.toContain("\n")
        expect(error.message).toContain(`openai:fake at ${server.url}: ${name.slice(1)}`)
        if (name === "a401") expect(error.message).toContain("OPENAI_API_KEY")
        expect(server.calls).toHaveLength(1)
      }
      // Through the command line: exit 1 and one line on stderr.
      const server = yield* fakeServer(() => answers.a401!)
      const r = yield* cli(["eval", "--env", "webshop", "--policy", "openai:fake", "--base-url", server.url, "--limit", "1", "--out", tempDir()])
      expect(r.code).toBe(1)
      expect(r.stderr.trimEnd().split("\n")).toHaveLength(1)
      expect(r.stderr).toMatch(/401 Incorrect API key provided.*OPENAI_API_KEY/)
    }))

  it.live("identical sampled requests ask for n choices at once, and fall back when the server returns one", () =>
    Effect.gen(function*() {
      const withN = yield* fakeServer((call) => ({ json: completion(Array.from({ length: call.body.n ?? 1 }, (_, i) => `Thought: s${i}\nAction: a${i}`)) }))
      const p = yield* policy(withN.url, { temperature: 1, seed: 3 })
      const same = Array.from({ length: 4 }, () => request(0, "same page"))
      const out = yield* p.act([...same, request(1)])
      expect(out.slice(0, 4)).toEqual(["Thought: s0\nAction: a0", "Thought: s1\nAction: a1", "Thought: s2\nAction: a2", "Thought: s3\nAction: a3"])
      expect(withN.calls.map((c) => c.body.n).sort()).toEqual([1, 4])
      expect(withN.calls.every((c) => c.body.temperature === 1)).toBe(true)

      const oneOnly = yield* fakeServer((_, i) => ({ json: completion([`Thought: r${i}\nAction: x`]) }))
      const q = yield* policy(oneOnly.url, { temperature: 1 })
      const replies = yield* q.act(same)
      expect(new Set(replies).size).toBe(4)
      expect(oneOnly.calls.map((c) => c.body.n)).toEqual([4, 1, 1, 1])
      expect(new Set(oneOnly.calls.map((c) => c.body.seed)).size).toBe(4)
      // Greedy identical requests share one reply.
      const g = yield* policy(oneOnly.url)
      const before = oneOnly.calls.length
      expect(new Set(yield* g.act(same)).size).toBe(1)
      expect(oneOnly.calls.length - before).toBe(1)
    }))

  it.live("at most --concurrency requests are in flight", () =>
    Effect.gen(function*() {
      const server = yield* fakeServer(() => ({ delayMs: 80 }))
      const p = yield* policy(server.url, { concurrency: 3 })
      const out = yield* p.act(Array.from({ length: 12 }, (_, i) => request(i)))
      expect(out).toHaveLength(12)
      expect(server.calls).toHaveLength(12)
      expect(server.maxInFlight()).toBe(3)
      const wide = yield* fakeServer(() => ({ delayMs: 80 }))
      const q = yield* policy(wide.url)
      yield* q.act(Array.from({ length: 12 }, (_, i) => request(i)))
      expect(wide.maxInFlight()).toBe(8)
    }))

  it.live("the public API without a key, and bad settings, fail with one line", () =>
    Effect.gen(function*() {
      const saved = process.env.OPENAI_API_KEY
      delete process.env.OPENAI_API_KEY
      try {
        const e = yield* Effect.flip(Remote.makeRemotePolicy({ model: "gpt-4o", baseURL: Remote.PUBLIC_BASE_URL, instructionPrompt: "" }))
        expect(e.message).toMatch(/OPENAI_API_KEY is not set/)
      } finally {
        if (saved !== undefined) process.env.OPENAI_API_KEY = saved
      }
      const r = yield* cli(["eval", "--env", "webshop", "--policy", "openai:fake", "--base-url", "not a url", "--limit", "1"])
      expect(r.code).toBe(1)
      expect(r.stderr.trim()).toBe("eto: --base-url: 'not a url' is not a URL")
      const s = yield* cli(["eval", "--env", "webshop", "--policy", "openai:fake", "--shots", "3", "--limit", "1"])
      expect(s.stderr.trim()).toBe("eto: --shots must be 0 or 1 (got 3)")
    }))
})
