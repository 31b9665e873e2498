/**
 * Batched generation with the engine's KV cache: greedy or temperature /
 * top-p sampling, stop tokens and a token budget. Sequence b of a call draws
 * from the generator `generate:<seed>:<b>`, so a call is reproducible.
 *
 * `makeCheckpointPolicy` wraps a checkpoint as a `PolicyShape`: each request's
 * history is rendered as a prompt ending in an open agent turn, the next turn
 * is generated up to <|end|>, and its text is returned.
 */
import { DataFileError, InvalidInput, PolicyError, type PolicyRequest, type PolicyShape, Random } from "@eto/core"
import { Effect, Schema } from "effect"
import * as Checkpoint from "./Checkpoint"
import type { Engine } from "./Engine"
import { EngineKind, makeEngine } from "./Engines"
import { type Dialogue, fromTurns, renderPrompt, type ReplyForm } from "./Render"
import { SPECIAL, type Tokenizer } from "./Tokenizer"

export const SamplingOptions = Schema.Struct({
  /** Most tokens generated per sequence. */
  maxTokens: Schema.Number,
  /** 0: greedy. */
  temperature: Schema.Number,
  /** Nucleus sampling mass (1: off). */
  topP: Schema.Number,
  seed: Schema.Number,
  /**
   * n > 1: a token that would repeat an n-gram already in the generated text
   * is never picked (the reply only, not the prompt; 0 or absent: off). The
   * log-probs reported stay those of the model's own distribution.
   */
  noRepeatNgram: Schema.optionalKey(Schema.Int)
})
export type SamplingOptions = typeof SamplingOptions.Type

export const defaultSampling = (overrides: Partial<SamplingOptions> = {}): SamplingOptions => ({
  maxTokens: 96,
  temperature: 0,
  topP: 1,
  seed: 0,
  ...overrides
})

export interface Generation {
  /** Generated ids, the stop token excluded. */
  readonly ids: Array<number>
  /** Log-prob of each generated id under the sampling distribution's model (temperature 1). */
  readonly logprobs: Array<number>
  /** Whether a stop token ended it (false: the budget or the context did). */
  readonly stopped: boolean
}

/**
 * The tokens that would complete an n-gram already present in `ids` (the
 * ones that followed each earlier occurrence of its last n-1 tokens).
 */
export const repeatedNgramTokens = (ids: ReadonlyArray<number>, n: number): Set<number> => {
  const banned = new Set<number>()
  const k = n - 1
  if (n < 2 || ids.length < k) return banned
  const tail = ids.length - k
  for (let i = 0; i + k < ids.length; i++) {
    let same = true
    for (let j = 0; j < k && same; j++) same = ids[i + j] === ids[tail + j]
    if (same) banned.add(ids[i + k]!)
  }
  return banned
}

/**
 * Picks the next token from logits row `row` of `logits` ([B, V]), never one
 * of `banned` (unless every token is banned); the log-prob is the model's.
 */
export const sampleToken = (
  logits: Float32Array,
  row: number,
  V: number,
  o: SamplingOptions,
  rng: Random.Rng,
  banned?: ReadonlySet<number>
): { id: number; logprob: number } => {
  const base = row * V
  const allowed = (v: number) => banned === undefined || banned.size >= V || !banned.has(v)
  let max = -Infinity, arg = 0, top = -Infinity
  for (let v = 0; v < V; v++) {
    const x = logits[base + v]!
    if (x > max) max = x
    if (x > top && allowed(v)) {
      top = x
      arg = v
    }
  }
  let z = 0
  for (let v = 0; v < V; v++) z += Math.exp(logits[base + v]! - max)
  const logZ = max + Math.log(z)
  if (o.temperature <= 0) return { id: arg, logprob: logits[base + arg]! - logZ }
  const probs = new Float64Array(V)
  let s = 0
  for (let v = 0; v < V; v++) {
    const p = allowed(v) ? Math.exp((logits[base + v]! - max) / o.temperature) : 0
    probs[v] = p
    s += p
  }
  let candidates: Array<number>
  if (o.topP < 1) {
    const order = Array.from({ length: V }, (_, i) => i).sort((a, b) => probs[b]! - probs[a]! || a - b)
    candidates = []
    let mass = 0
    for (const i of order) {
      candidates.push(i)
      mass += probs[i]! / s
      if (mass >= o.topP) break
    }
  } else candidates = Array.from({ length: V }, (_, i) => i)
  let total = 0
  for (const i of candidates) total += probs[i]!
  let u = rng.next() * total
  let id = candidates[candidates.length - 1]!
  for (const i of candidates) {
    u -= probs[i]!
    if (u < 0) {
      id = i
      break
    }
  }
  return { id, logprob: logits[base + id]! - logZ }
}

/** Continues each prompt until a stop token, `maxTokens` or the context end. */
export const generate = (engine: Engine, prompts: ReadonlyArray<Int32Array>, stop: ReadonlyArray<number>, o: SamplingOptions): Array<Generation> => {
  const B = prompts.length
  if (B === 0) return []
  const ctx = engine.config.nPositions
  const V = engine.config.vocabSize
  for (const p of prompts) {
    if (p.length === 0) throw new Error("empty prompt")
    if (p.length >= ctx) throw new Error(`prompt of ${p.length} tokens leaves no room in the ${ctx}-token context`)
  }
  const maxLen = Math.min(ctx, Math.max(...prompts.map((p) => p.length)) + o.maxTokens)
  const session = engine.decoder(B, maxLen)
  const stops = new Set(stop)
  const rngs = prompts.map((_, b) => Random.make(`generate:${o.seed}:${b}`))
  const out = prompts.map(() => ({ ids: [] as Array<number>, logprobs: [] as Array<number>, stopped: false, done: false }))
  try {
    let logits = session.feed(prompts)
    for (;;) {
      const feed: Array<Int32Array> = []
      for (let b = 0; b < B; b++) {
        const g = out[b]!
        if (g.done) {
          feed.push(new Int32Array(0))
          continue
        }
        const banned = (o.noRepeatNgram ?? 0) > 1 ? repeatedNgramTokens(g.ids, o.noRepeatNgram!) : undefined
        const { id, logprob } = sampleToken(logits, b, V, o, rngs[b]!, banned)
        if (stops.has(id)) {
          g.stopped = true
          g.done = true
          feed.push(new Int32Array(0))
          continue
        }
        g.ids.push(id)
        g.logprobs.push(logprob)
        const len = prompts[b]!.length + g.ids.length
        if (g.ids.length >= o.maxTokens || len >= maxLen) {
          g.done = true
          feed.push(new Int32Array(0))
        } else feed.push(Int32Array.of(id))
      }
      if (out.every((g) => g.done)) break
      logits = session.feed(feed)
    }
  } finally {
    session.dispose()
  }
  return out.map(({ ids, logprobs, stopped }) => ({ ids, logprobs, stopped }))
}

/**
 * The next agent turn of each dialogue: its history (every turn, with the
 * environment's answers) rendered as a prompt, then generation to <|end|>.
 * At most a quarter of the context is given to the new turn.
 */
export const nextTurns = (engine: Engine, tokenizer: Tokenizer, dialogues: ReadonlyArray<Dialogue>, sampling: SamplingOptions): Array<string> => {
  const stop = [tokenizer.special(SPECIAL.end), tokenizer.special(SPECIAL.eot)]
  const budget = Math.max(1, Math.min(sampling.maxTokens, Math.floor(engine.config.nPositions / 4)))
  const prompts = dialogues.map((d) => renderPrompt(tokenizer, d, engine.config.nPositions - budget))
  return generate(engine, prompts, stop, { ...sampling, maxTokens: budget }).map((g) => tokenizer.decode(g.ids, { skipSpecial: true }).trim())
}

export interface CheckpointPolicyOptions {
  readonly checkpoint: string
  /** The environment's instruction prompt, shown first in every prompt. */
  readonly instructionPrompt: string
  readonly engine?: EngineKind
  readonly sampling?: Partial<SamplingOptions>
  readonly name?: string
  /** How the model writes its turns (see Render.ReplyForm); the ReAct form by default. */
  readonly replyForm?: ReplyForm
}

/** Generates agent turns for a batch of histories with a loaded model. */
export const makeTurnGenerator = (
  engine: Engine,
  tokenizer: Tokenizer,
  instructionPrompt: string,
  sampling: SamplingOptions,
  replyForm: ReplyForm = "thought-action"
) => {
  let calls = 0
  return (requests: ReadonlyArray<PolicyRequest>): Array<string> => {
    const call = calls++
    const dialogues = requests.map((r) => fromTurns(instructionPrompt, r.initialObservation, r.turns, true, replyForm))
    return nextTurns(engine, tokenizer, dialogues, { ...sampling, seed: Random.hashString(`${sampling.seed}:${call}`) })
  }
}

/** A `PolicyShape` backed by a checkpoint directory. */
export const makeCheckpointPolicy = (o: CheckpointPolicyOptions): Effect.Effect<PolicyShape & { dispose(): void }, DataFileError | InvalidInput> =>
  Effect.gen(function*() {
    const ckpt = yield* Checkpoint.load(o.checkpoint)
    for (const s of [SPECIAL.agent, SPECIAL.env, SPECIAL.end, SPECIAL.eot, SPECIAL.instruction]) {
      if (!ckpt.tokenizer.hasSpecial(s)) {
        return yield* Effect.fail(new DataFileError({ path: o.checkpoint, reason: `tokenizer lacks the special token ${s}; not an agent checkpoint` }))
      }
    }
    const engine = yield* Effect.tryPromise({
      try: () => makeEngine(o.engine ?? "auto", ckpt.config, ckpt.params),
      catch: (e) => new InvalidInput({ reason: `cannot start the engine: ${(e as Error).message}` })
    })
    const next = makeTurnGenerator(engine, ckpt.tokenizer, o.instructionPrompt, defaultSampling(o.sampling), o.replyForm)
    return {
      name: o.name ?? `checkpoint:${o.checkpoint}`,
      act: (requests) =>
        Effect.try({
          try: () => next(requests),
          catch: (e) => new PolicyError({ reason: `generation failed: ${(e as Error).message}` })
        }),
      dispose: () => engine.dispose()
    }
  })
