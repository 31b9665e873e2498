/**
 * `eto serve` with a small checkpoint trained here on expert conversations
 * of all three environments, called by the official `openai` client and by
 * raw HTTP: the endpoints, streaming, n > 1, logprobs, batching of
 * concurrent requests, error answers, the same actions and rewards as the
 * in-process checkpoint policy on 20 tasks of each environment, the remote
 * policy in exploration and self-play sampling, and the prompted rows of an
 * experiment in the WebShop report.
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import OpenAI from "openai"
import { Effect, Exit, Layer, Scope } from "effect"
import { Jsonl, Paths, Trajectory } from "@eto/core"
import { modules } from "@eto/envs"
import { makeCheckpointPolicy } from "@eto/policy"
import { Phases, Runner } from "@eto/strategies"
import { remotePolicyRef } from "@eto/strategies/strategies/Prompted"
import { runBench } from "../src/bench/Bench"
import { readResults } from "../src/report/Markdown"
import { type RunningServer, SERVE_DEFAULTS, startServer } from "../src/serve/Server"
import { cli, tempDir } from "./support"

const ENVS = ["webshop", "alfworld", "sciworld"] as const
const KEY = "sekrit-key"
const dir = tempDir()
const checkpoint = path.join(dir, "tiny")
const scope = Scope.makeUnsafe()
let server: RunningServer
let keyed: RunningServer

const run = <A, E>(e: Effect.Effect<A, E>) => Effect.runPromise(e)

beforeAll(async () => {
  const files: Array<string> = []
  for (const env of ENVS) {
    const file = path.join(dir, `${env}.jsonl`)
    const r = await run(cli(["eval", "--env", env, "--policy", "expert", "--split", "train", "--limit", "8", "--out", path.join(dir, "expert"), "--export-conversations", file, "--json"]))
    expect(r.code, r.stderr).toBe(0)
    files.push(file)
  }
  const data = path.join(dir, "sft.jsonl")
  fs.writeFileSync(data, files.map((f) => fs.readFileSync(f, "utf8")).join(""))
  const train = await run(cli([
    "policy", "train-sft", "--data", data, "--out", checkpoint, "--steps", "120", "--lr", "0.006", "--warmup", "5",
    "--layers", "2", "--width", "48", "--heads", "2", "--context", "256", "--vocab", "500", "--batch", "8", "--seed", "1", "--json"
  ]))
  expect(train.code, train.stderr).toBe(0)
  const options = { ...SERVE_DEFAULTS, checkpoint, port: 0, modelName: "tiny" }
  server = await run(Scope.provide(startServer(options), scope))
  keyed = await run(Scope.provide(startServer({ ...options, apiKey: KEY, maxBodyBytes: 64 * 1024 }), scope))
}, 600_000)

afterAll(() => run(Scope.close(scope, Exit.void)))

const conversation = (task: string): Array<{ role: "user" | "assistant"; content: string }> => [
  { role: "user", content: "You are in a household. Reply with Thought and Action." },
  { role: "assistant", content: "OK" },
  { role: "user", content: task }
]

const post = (url: string, body: string, headers: Record<string, string> = {}) =>
  Effect.promise(async () => {
    const r = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body })
    return { status: r.status, json: (await r.json()) as { error?: { message: string; type: string; param: string | null; code: string | null } } }
  })

describe("eto serve", () => {
  it.live("answers the official openai client: models, chat, completions, streaming, n > 1, logprobs", () =>
    Effect.gen(function*() {
      const client = new OpenAI({ baseURL: server.url, apiKey: "unused", maxRetries: 0 })
      const call = <A>(f: () => Promise<A>) => Effect.promise(f)
      const models = yield* call(() => client.models.list())
      expect(models.data.map((m) => m.id)).toEqual(["tiny"])
      expect((yield* call(() => client.models.retrieve("tiny"))).id).toBe("tiny")

      // Greedy chat: the same reply as the checkpoint policy in process.
      const messages = conversation("Your task is to: put a clean mug in the coffeemachine.")
      const chat = yield* call(() => client.chat.completions.create({ model: "tiny", messages, temperature: 0, logprobs: true, top_logprobs: 3 }))
      const text = chat.choices[0]!.message.content!
      const local = yield* Effect.acquireUseRelease(
        makeCheckpointPolicy({ checkpoint, instructionPrompt: messages[0]!.content }),
        (p) => p.act([{ task: { id: "x", env: "alfworld", split: "seen", instruction: "", metadata: {} }, initialObservation: messages[2]!.content, turns: [] }]),
        (p) => Effect.sync(() => p.dispose())
      )
      expect(text.trim()).toBe(local[0])
      expect(text.length).toBeGreaterThan(0)
      const lps = chat.choices[0]!.logprobs!.content!
      expect(lps.map((t) => t.token).join("")).toBe(text)
      expect(lps).toHaveLength(chat.usage!.completion_tokens)
      for (const t of lps) {
        expect(t.top_logprobs).toHaveLength(3)
        expect(t.top_logprobs[0]!.logprob).toBeCloseTo(t.logprob, 10)
        expect(t.top_logprobs[0]!.logprob).toBeGreaterThanOrEqual(t.top_logprobs[1]!.logprob)
        expect(t.logprob).toBeLessThanOrEqual(0)
      }
      expect(chat.usage!.prompt_tokens).toBeGreaterThan(10)

      // n > 1 with a seed: reproducible samples.
      const sampled = () => call(() => client.chat.completions.create({ model: "tiny", messages, n: 3, temperature: 1, seed: 5, max_tokens: 16 }))
      const a = yield* sampled()
      const b = yield* sampled()
      expect(a.choices.map((c) => c.index)).toEqual([0, 1, 2])
      expect(a.choices.map((c) => c.message.content)).toEqual(b.choices.map((c) => c.message.content))
      expect(new Set(a.choices.map((c) => c.message.content)).size).toBeGreaterThan(1)
      expect(a.usage!.completion_tokens).toBeLessThanOrEqual(48)

      // Completions: a batch of prompts, n per prompt, log-probs of the top 2.
      const comp = yield* call(() => client.completions.create({ model: "tiny", prompt: ["Thought: I", "Action: go to"], n: 2, max_tokens: 8, temperature: 0.7, seed: 1, logprobs: 2 }))
      expect(comp.choices.map((c) => c.index)).toEqual([0, 1, 2, 3])
      for (const c of comp.choices) {
        expect(c.logprobs!.tokens!.join("")).toBe(c.text)
        expect(c.logprobs!.tokens!.length).toBeLessThanOrEqual(8)
        for (const top of c.logprobs!.top_logprobs!) expect(Object.keys(top).length).toBeLessThanOrEqual(2)
      }

      // Streaming: the chunks add up to the non-streamed reply; usage comes last when asked for.
      const stream = yield* call(() => client.chat.completions.create({ model: "tiny", messages, temperature: 0, stream: true, stream_options: { include_usage: true } }))
      let streamed = ""
      let finish: string | null = null
      let usage: OpenAI.CompletionUsage | undefined
      let chunks = 0
      yield* call(async () => {
        for await (const chunk of stream) {
          chunks++
          for (const c of chunk.choices) {
            streamed += c.delta.content ?? ""
            finish = c.finish_reason ?? finish
          }
          usage = chunk.usage ?? usage
        }
      })
      expect(streamed).toBe(text)
      expect(chunks).toBeGreaterThan(3)
      expect(finish).toBe(chat.choices[0]!.finish_reason)
      expect(usage).toEqual(chat.usage)

      // A stop string cuts the text, streamed or not.
      const stopped = yield* call(() => client.completions.create({ model: "tiny", prompt: "Thought:", max_tokens: 40, temperature: 0, stop: ["Action"] }))
      const cstream = yield* call(() => client.completions.create({ model: "tiny", prompt: "Thought:", max_tokens: 40, temperature: 0, stop: ["Action"], stream: true }))
      let ctext = ""
      yield* call(async () => {
        for await (const chunk of cstream) ctext += chunk.choices[0]?.text ?? ""
      })
      expect(stopped.choices[0]!.text).not.toContain("Action")
      expect(ctext).toBe(stopped.choices[0]!.text)
    }))

  it.live("requests that arrive together share one engine call", () =>
    Effect.gen(function*() {
      const client = new OpenAI({ baseURL: server.url, apiKey: "unused", maxRetries: 0 })
      const tasks = ["put a mug on the desk", "find a pen", "open the fridge", "heat an apple", "cool a tomato", "clean a plate", "look at a book", "turn on the lamp"]
      const ask = (t: string) => client.chat.completions.create({ model: "tiny", messages: conversation(`Your task is to: ${t}.`), temperature: 0, max_tokens: 24 })
      const before = server.stats()
      const together = yield* Effect.promise(() => Promise.all(tasks.map(ask)))
      const after = server.stats()
      const calls = after.batches - before.batches
      expect(after.requests - before.requests).toBe(tasks.length)
      expect(calls).toBeLessThan(tasks.length)
      expect(after.recent.slice(-calls).some((b) => b.requests >= 4)).toBe(true)
      // Batched or alone, each request gets the same (greedy) reply.
      for (const [i, t] of tasks.entries()) {
        const alone = yield* Effect.promise(() => ask(t))
        expect(alone.choices[0]!.message.content).toBe(together[i]!.choices[0]!.message.content)
      }
      console.log(`batching: ${tasks.length} concurrent requests in ${calls} engine call(s); largest batch ${after.largestBatch} requests`)
    }))

  it.live("answers bad requests with the API's error body and keeps serving", () =>
    Effect.gen(function*() {
      const url = `${keyed.url}/chat/completions`
      const auth = { authorization: `Bearer ${KEY}` }
      const good = JSON.stringify({ model: "tiny", messages: conversation("Your task is to: find a pen."), temperature: 0, max_tokens: 4 })
      const stillServing = Effect.gen(function*() {
        const r = yield* post(url, good, auth)
        expect(r.status).toBe(200)
      })
      const cases: Array<[string, Record<string, string>, number, RegExp, string | null]> = [
        [good, {}, 401, /Incorrect API key/, "invalid_api_key"],
        [good, { authorization: "Bearer wrong" }, 401, /Incorrect API key/, "invalid_api_key"],
        ["{\"model\": \"tiny\", \"messages\": [", auth, 400, /could not parse the JSON body/, null],
        ["[1, 2, 3]", auth, 400, /invalid request/, null],
        [JSON.stringify({ model: "tiny", messages: "hello" }), auth, 400, /messages/, null],
        [JSON.stringify({ model: "tiny", messages: conversation("x"), temperature: "hot" }), auth, 400, /temperature/, null],
        [JSON.stringify({ model: "tiny", messages: conversation("x"), n: 0 }), auth, 400, /\bn\b/, null],
        [JSON.stringify({ model: "tiny", messages: conversation("x"), logprobs: false, top_logprobs: 2 }), auth, 400, /top_logprobs requires logprobs/, null],
        [JSON.stringify({ model: "gpt-4", messages: conversation("x") }), auth, 404, /The model 'gpt-4' does not exist/, "model_not_found"],
        [JSON.stringify({ model: "tiny", messages: conversation("x".repeat(100_000)) }), auth, 413, /larger than 65536 bytes/, "request_too_large"]
      ]
      for (const [body, headers, status, message, code] of cases) {
        const r = yield* post(url, body, headers)
        expect(r.status, body.slice(0, 60)).toBe(status)
        expect(Object.keys(r.json)).toEqual(["error"])
        expect(r.json.error!.message).toMatch(message)
        expect(typeof r.json.error!.type).toBe("string")
        expect(r.json.error!.code).toBe(code)
        yield* stillServing
      }
      const missing = yield* Effect.promise(() => fetch(`${keyed.url}/embeddings`, { headers: auth }))
      expect(missing.status).toBe(404)
      const wrongMethod = yield* Effect.promise(() => fetch(`${keyed.url}/chat/completions`, { headers: auth }))
      expect(wrongMethod.status).toBe(405)
      // The official client: 401 is not retried and says so.
      const client = new OpenAI({ baseURL: keyed.url, apiKey: "wrong" })
      const e = yield* Effect.flip(Effect.tryPromise(() => client.models.list()))
      expect((e.cause as InstanceType<typeof OpenAI.APIError>).status).toBe(401)
      // Garbage on the socket: an HTTP error, and the server goes on.
      const reply = yield* Effect.promise(() =>
        new Promise<string>((resolve) => {
          const s = net.connect(keyed.port, "127.0.0.1", () => s.write("\u0000\u0001 NOT HTTP AT ALL\r\n\r\n"))
          let got = ""
          s.on("data", (d) => (got += d.toString()))
          s.on("close", () => resolve(got))
          s.on("error", () => resolve(got))
        })
      )
      expect(reply).toMatch(/^HTTP\/1\.1 400/)
      yield* stillServing
    }))

  it.live("eto eval --policy openai:<model> gives the checkpoint's actions and rewards on 20 tasks of each environment", () =>
    Effect.gen(function*() {
      for (const env of ENVS) {
        const out = path.join(dir, "same", env)
        const local = yield* cli(["eval", "--env", env, "--policy", `checkpoint:${checkpoint}`, "--limit", "20", "--out", out, "--json"])
        const remote = yield* cli(["eval", "--env", env, "--policy", "openai:tiny", "--base-url", server.url, "--shots", "0", "--limit", "20", "--out", out, "--json"])
        expect(local.code, local.stderr).toBe(0)
        expect(remote.code, remote.stderr).toBe(0)
        const a = yield* Jsonl.readJsonl(Trajectory, JSON.parse(local.stdout).trajectories_file)
        const b = yield* Jsonl.readJsonl(Trajectory, JSON.parse(remote.stdout).trajectories_file)
        expect(b).toHaveLength(20)
        expect(b.map((t) => t.turns.map((x) => x.action))).toEqual(a.map((t) => t.turns.map((x) => x.action)))
        expect(b.map((t) => t.turns.map((x) => x.thought))).toEqual(a.map((t) => t.turns.map((x) => x.thought)))
        expect(b.map((t) => t.reward)).toEqual(a.map((t) => t.reward))
        // Not only format errors: the model writes actions the environment steps.
        const actions = a.flatMap((t) => t.turns).filter((x) => x.action !== "").length
        expect(actions).toBeGreaterThan(0)
        const summary = JSON.parse(remote.stdout)
        expect(summary.prompt_tokens).toBeGreaterThan(0)
        console.log(`${env}: ${a.reduce((s, t) => s + t.steps, 0)} steps, ${actions} with an action, avg reward ${summary.avg_reward}; remote ${summary.prompt_tokens} prompt / ${summary.completion_tokens} completion tokens`)
      }
    }))

  it.live("the remote policy explores and samples for self-play pairs", () =>
    Effect.gen(function*() {
      const env = yield* Effect.promise(() => modules.webshop!()).pipe(Effect.flatMap((m) => m.load()))
      const layers = Layer.mergeAll(Runner.layerRunStore(path.join(dir, "runs-explore")), Layer.succeed(Runner.RunReporter, Runner.textReporter(() => {})))
      const { explored, pairs, ref } = yield* Effect.gen(function*() {
        const ref = yield* remotePolicyRef(env, { model: "openai:tiny", baseUrl: server.url, shots: 1, temperature: 1, maxTokens: 32, concurrency: 4 }, 7)
        const explored = yield* Phases.explore(env, ref, { split: "train", limit: 4, samples: 2, seed: 7 })
        const pairs = yield* Phases.buildSelfPlayPairs(explored)
        return { explored, pairs, ref }
      }).pipe(Effect.provide(layers))
      const trajectories = yield* Phases.readTrajectories(explored)
      expect(trajectories).toHaveLength(8)
      expect(trajectories.every((t) => t.turns.every((x) => typeof x.reply === "string"))).toBe(true)
      // The two samples of a task differ (temperature 1, different seeds).
      expect(trajectories.slice(0, 4).some((t, i) => t.turns[0]!.reply !== trajectories[i + 4]!.turns[0]!.reply)).toBe(true)
      expect(pairs.manifest.considered).toBeGreaterThanOrEqual(0)
      expect(ref.policy.usage().requests).toBeGreaterThan(8)
    }))

  it.live("prompted rows of an experiment appear in the WebShop report beside the paper's", () =>
    Effect.gen(function*() {
      const config = path.join(dir, "webshop-prompted.json")
      fs.writeFileSync(config, JSON.stringify({
        name: "webshop-prompted",
        env: "webshop",
        scale: "smoke",
        limits: { trainTasks: 4, testTasks: 6 },
        seeds: [1],
        strategies: [
          { _tag: "prompted", model: "openai:tiny", baseUrl: server.url, label: "tiny (served)" },
          { _tag: "prompted", model: "openai:tiny", baseUrl: server.url, label: "tiny, best of 3", samples: 3 }
        ]
      }))
      const out = path.join(dir, "bench")
      const lines: Array<string> = []
      const r = yield* runBench({
        env: "webshop",
        scale: "smoke",
        runsDir: path.join(out, "runs"),
        resultsDir: path.join(out, "results"),
        reportsDir: path.join(out, "reports"),
        configFile: config,
        log: (l) => lines.push(l)
      })
      expect(r.results.prompted?.map((x) => [x.method, x.samples, x.tasks])).toEqual([["tiny (served)", 1, 6], ["tiny, best of 3", 3, 6]])
      for (const row of r.results.prompted ?? []) expect(row.prompt_tokens).toBeGreaterThan(0)
      expect((yield* readResults(path.join(out, "results"))).prompted).toEqual(r.results.prompted)
      const csv = fs.readFileSync(path.join(out, "results", "prompted.csv"), "utf8")
      expect(csv.split("\n")[0]).toBe("env,method,model,split,samples,avg_reward,success_rate,tasks,seed,prompt_tokens,completion_tokens")
      const report = fs.readFileSync(path.join(out, "reports", "webshop.md"), "utf8")
      expect(report).toContain("## Prompted models (Table 2's prompted rows)")
      expect(report).toMatch(/\| tiny \(served\) \| openai:tiny \| 1 \| WebShop \| \d+\.\d+ \| \d+\.\d+ \| \d+ \/ \d+ \| 1 \|/)
      expect(report).toMatch(/\| tiny, best of 3 \| openai:tiny \| 3 \| WebShop \|/)
      expect(report).toContain("| GPT-4 | paper, one-shot | 1 | WebShop | 63.2 | 34.0 | — | — |")
      expect(report).toContain("| GPT-3.5-Turbo | paper, one-shot | 1 | WebShop | 62.4 | 33.0 | — | — |")
      expect(report).toContain("| Llama-2-7B-Chat | paper, one-shot | 1 | WebShop | 17.9 | 7.5 | — | — |")
      expect(lines.some((l) => /prompt and \d+ completion tokens/.test(l))).toBe(true)
      // A rerun reuses the evaluations: no new requests.
      const before = server.stats().requests
      yield* runBench({ env: "webshop", scale: "smoke", runsDir: path.join(out, "runs"), resultsDir: path.join(out, "results"), configFile: config, log: () => {} })
      expect(server.stats().requests).toBe(before)
    }))

  it.live("runs as a command: loopback, key required, stops on SIGINT", () =>
    Effect.promise(() =>
      new Promise<void>((resolve, reject) => {
        const bin = path.join(Paths.repoRoot(), "packages", "harness", "src", "bin.ts")
        const child = spawn(process.execPath, ["--import", "tsx", bin, "serve", "--checkpoint", checkpoint, "--port", "0", "--api-key", KEY], { cwd: Paths.repoRoot() })
        let out = ""
        child.stdout.on("data", async (d) => {
          out += d.toString()
          const m = /serving tiny at (http:\/\/127\.0\.0\.1:\d+\/v1) \(key required\)/.exec(out)
          if (m === null) return
          try {
            expect((await fetch(`${m[1]}/models`)).status).toBe(401)
            const ok = await fetch(`${m[1]}/models`, { headers: { authorization: `Bearer ${KEY}` } })
            expect(((await ok.json()) as { data: Array<{ id: string }> }).data[0]!.id).toBe("tiny")
            child.kill("SIGINT")
          } catch (e) {
            child.kill("SIGKILL")
            reject(e)
          }
        })
        child.on("exit", (code, signal) => (code !== null || signal !== null ? resolve() : reject(new Error("no exit"))))
        setTimeout(() => {
          child.kill("SIGKILL")
          reject(new Error(`eto serve did not start: ${out}`))
        }, 60_000)
      })
    ))
})
