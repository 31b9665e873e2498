/**
 * A prompted model behind an OpenAI-compatible API as a `PolicyShape`
 * (`--policy openai:<model>`): each episode's ETO conversation is sent to
 * `/chat/completions`, greedy unless a temperature is given. Requests of one
 * step run concurrently, at most `concurrency` at a time. Episodes whose
 * conversations are identical share a request: greedy ones get the same
 * reply, sampled ones ask for `n` choices at once (falling back to single
 * requests when a server returns fewer). Each request carries a seed drawn
 * from the policy's seed, so a server that honours seeds (eto serve does)
 * answers the same run the same way. Raw replies are kept in the turns and
 * token usage is counted.
 */
import { Effect } from "effect"
import { InvalidInput, PolicyError, type PolicyRequest, type PolicyShape, Random, type TokenUsage } from "@eto/core"
import { type ChatCall, type ChatClient, describeError, makeChatClient, PUBLIC_BASE_URL, resolveBaseUrl } from "./Client"
import { type ChatMessage, ETO_STOP, etoConversation, type Example } from "./Conversation"

export const REMOTE_PREFIX = "openai:"

/** The model name of an `openai:<model>` policy spec, else undefined. */
export const remoteModel = (spec: string): string | undefined => {
  const v = spec.trim()
  return v.startsWith(REMOTE_PREFIX) && v.length > REMOTE_PREFIX.length ? v.slice(REMOTE_PREFIX.length) : undefined
}

export interface RemotePolicyOptions {
  readonly model: string
  /** Default: $OPENAI_BASE_URL, else the public API. */
  readonly baseURL?: string | undefined
  /** Default: $OPENAI_API_KEY. */
  readonly apiKey?: string | undefined
  readonly instructionPrompt: string
  /** The one-shot example shown before each task (none: zero-shot). */
  readonly example?: Example | undefined
  /** 0 (the default): greedy. */
  readonly temperature?: number | undefined
  readonly topP?: number | undefined
  /** Most tokens per reply (default: the server's). */
  readonly maxTokens?: number | undefined
  /** Requests in flight at once (default 8). */
  readonly concurrency?: number | undefined
  readonly seed?: number | undefined
  /** Default: ETO's stop strings. */
  readonly stop?: ReadonlyArray<string> | undefined
  readonly maxRetries?: number | undefined
  readonly timeoutMs?: number | undefined
  readonly name?: string | undefined
}

export interface RemoteUsage extends TokenUsage {
  /** HTTP attempts, retries included (`requests` counts answered calls). */
  readonly attempts: number
}

export interface RemotePolicy extends PolicyShape {
  readonly keepsReplies: true
  readonly baseURL: string
  usage(): RemoteUsage
}

const seedOf = (...parts: ReadonlyArray<number | string>): number => Random.hashString(parts.join(":")) & 0x7fffffff

export const makeRemotePolicy = (o: RemotePolicyOptions): Effect.Effect<RemotePolicy, InvalidInput> =>
  Effect.suspend(() => {
    const baseURL = resolveBaseUrl(o.baseURL)
    const concurrency = o.concurrency ?? 8
    const temperature = o.temperature ?? 0
    if (o.model.trim() === "") return Effect.fail(new InvalidInput({ reason: "openai:<model>: the model name is empty" }))
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      return Effect.fail(new InvalidInput({ reason: `--concurrency must be a positive integer (got ${concurrency})` }))
    }
    if (!(temperature >= 0)) return Effect.fail(new InvalidInput({ reason: `--temperature must be at least 0 (got ${temperature})` }))
    if (baseURL === PUBLIC_BASE_URL && (o.apiKey ?? process.env.OPENAI_API_KEY ?? "") === "") {
      return Effect.fail(new InvalidInput({ reason: `openai:${o.model}: OPENAI_API_KEY is not set (the public API needs a key; --base-url points at another server)` }))
    }
    let client: ChatClient
    try {
      client = makeChatClient({ model: o.model, baseURL, apiKey: o.apiKey, maxRetries: o.maxRetries, timeoutMs: o.timeoutMs })
    } catch (e) {
      return Effect.fail(new InvalidInput({ reason: describeError(e, o.model, baseURL) }))
    }
    let calls = 0
    let nSupported = true
    const usage = { promptTokens: 0, completionTokens: 0, requests: 0 }

    const request = (call: Omit<ChatCall, "temperature" | "topP" | "maxTokens" | "stop">) =>
      Effect.tryPromise({
        try: (signal) =>
          client.chat({ ...call, temperature, topP: o.topP, maxTokens: o.maxTokens, stop: o.stop ?? ETO_STOP }, signal),
        catch: (e) => new PolicyError({ reason: describeError(e, o.model, baseURL) })
      }).pipe(Effect.tap((r) =>
        Effect.sync(() => {
          usage.requests++
          usage.promptTokens += r.promptTokens
          usage.completionTokens += r.completionTokens
        })
      ))

    /** `count` replies to one conversation. */
    const ask = (messages: ReadonlyArray<ChatMessage>, count: number, seed: number) =>
      Effect.gen(function*() {
        if (temperature === 0 || count === 1) {
          const r = yield* request({ messages, n: 1, seed })
          return Array.from({ length: count }, () => r.texts[0] ?? "")
        }
        const texts: Array<string> = []
        if (nSupported) {
          const r = yield* request({ messages, n: count, seed })
          texts.push(...r.texts.slice(0, count))
          if (texts.length < count) nSupported = false
        }
        for (let j = texts.length; j < count; j++) {
          const r = yield* request({ messages, n: 1, seed: seedOf(seed, j) })
          texts.push(r.texts[0] ?? "")
        }
        return texts
      })

    const act = (requests: ReadonlyArray<PolicyRequest>) =>
      Effect.suspend(() => {
        const call = calls++
        const groups = new Map<string, { messages: Array<ChatMessage>; members: Array<number> }>()
        requests.forEach((r, i) => {
          const messages = etoConversation(o.instructionPrompt, o.example, r.initialObservation, r.turns)
          const key = JSON.stringify(messages)
          const g = groups.get(key)
          if (g === undefined) groups.set(key, { messages, members: [i] })
          else g.members.push(i)
        })
        const work = [...groups.values()]
        return Effect.forEach(
          work,
          (g, k) => Effect.map(ask(g.messages, g.members.length, seedOf(o.seed ?? 0, call, k)), (texts) => ({ g, texts })),
          { concurrency }
        ).pipe(Effect.map((answers) => {
          const out: Array<string> = new Array(requests.length).fill("")
          for (const { g, texts } of answers) g.members.forEach((i, j) => (out[i] = texts[j] ?? ""))
          return out
        }))
      })

    return Effect.succeed({
      name: o.name ?? `${REMOTE_PREFIX}${o.model}`,
      baseURL,
      keepsReplies: true as const,
      act,
      usage: () => ({ ...usage, attempts: client.attempts() })
    })
  })
