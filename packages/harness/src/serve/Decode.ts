/**
 * One engine call for a batch of sequences, each with its own sampling
 * settings: the prompts are prefilled together in the KV cache, then every
 * unfinished sequence takes one token per step. Between steps the event loop
 * runs, so streamed text leaves as it is generated and a client that went
 * away frees its row.
 *
 * A sequence ends at the model's end-of-turn or end-of-text token, at one of
 * its stop strings (the text is cut before it), at `maxTokens`, or at the
 * end of the context. Sequence draws come from the generator named by its
 * `seed`, so the same request and seed give the same text whatever else is
 * in the batch (the CPU engine's rows do not depend on each other).
 */
import { Random } from "@eto/core"
import { type Engine, Generate, type Tokenizer } from "@eto/policy"

export interface TopLogprob {
  readonly token: string
  readonly logprob: number
  readonly bytes: ReadonlyArray<number>
}

export interface TokenLogprob extends TopLogprob {
  readonly top: ReadonlyArray<TopLogprob>
}

export interface SequenceJob {
  readonly prompt: Int32Array
  readonly maxTokens: number
  /** 0: greedy. */
  readonly temperature: number
  readonly topP: number
  /** Names the sequence's random generator. */
  readonly seed: string
  readonly stop: ReadonlyArray<string>
  /** Report each token's log-prob, and this many alternatives (0: none). */
  readonly logprobs: boolean
  readonly topLogprobs: number
  /** New text as it becomes final (a possible stop-string start is held back), with its tokens' log-probs. */
  readonly onText?: ((delta: string, logprobs: ReadonlyArray<TokenLogprob>) => void) | undefined
  readonly cancelled?: (() => boolean) | undefined
}

export interface SequenceResult {
  readonly text: string
  readonly promptTokens: number
  readonly completionTokens: number
  readonly finishReason: "stop" | "length"
  /** Per token of `text` when asked for. */
  readonly logprobs: ReadonlyArray<TokenLogprob>
}

const utf8 = new TextEncoder()

const entry = (tokenizer: Tokenizer.Tokenizer, id: number, logprob: number): TopLogprob => {
  const token = tokenizer.decode([id])
  return { token, logprob, bytes: Array.from(utf8.encode(token)) }
}

/** The `k` most likely tokens of a logits row and their log-probs. */
const topTokens = (logits: Float32Array, row: number, V: number, k: number): Array<{ id: number; logprob: number }> => {
  const base = row * V
  let max = -Infinity
  for (let v = 0; v < V; v++) max = Math.max(max, logits[base + v]!)
  let z = 0
  for (let v = 0; v < V; v++) z += Math.exp(logits[base + v]! - max)
  const logZ = max + Math.log(z)
  const best: Array<{ id: number; logprob: number }> = []
  for (let v = 0; v < V; v++) {
    const lp = logits[base + v]! - logZ
    if (best.length < k || lp > best[best.length - 1]!.logprob) {
      best.push({ id: v, logprob: lp })
      best.sort((a, b) => b.logprob - a.logprob || a.id - b.id)
      if (best.length > k) best.pop()
    }
  }
  return best
}

/** The earliest stop string in `text`, as [position, length]. */
const findStop = (text: string, stops: ReadonlyArray<string>): number => {
  let at = -1
  for (const s of stops) {
    const i = s === "" ? -1 : text.indexOf(s)
    if (i >= 0 && (at < 0 || i < at)) at = i
  }
  return at
}

/** How much of `text` is final: not a possible start of a stop string, not a half-decoded character. */
const safeLength = (text: string, stops: ReadonlyArray<string>): number => {
  let keep = text.length
  for (const s of stops) {
    for (let n = Math.min(s.length - 1, text.length); n > 0; n--) {
      if (text.endsWith(s.slice(0, n))) {
        keep = Math.min(keep, text.length - n)
        break
      }
    }
  }
  while (keep > 0 && text[keep - 1] === "\uFFFD") keep--
  return keep
}

interface Row {
  readonly job: SequenceJob
  readonly rng: Random.Rng
  readonly ids: Array<number>
  readonly lps: Array<TokenLogprob>
  /** Decoded length after each token, to map a cut text back to its tokens. */
  readonly ends: Array<number>
  text: string
  emitted: number
  emittedTokens: number
  done: boolean
  finishReason: "stop" | "length"
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve))

/** Runs the batch to the end of every sequence; results in job order. */
export const decodeBatch = async (
  engine: Engine,
  tokenizer: Tokenizer.Tokenizer,
  stopIds: ReadonlyArray<number>,
  jobs: ReadonlyArray<SequenceJob>
): Promise<Array<SequenceResult>> => {
  if (jobs.length === 0) return []
  const ctx = engine.config.nPositions
  const V = engine.config.vocabSize
  const stopSet = new Set(stopIds)
  const maxLen = Math.min(ctx, Math.max(...jobs.map((j) => j.prompt.length + j.maxTokens)))
  const rows: Array<Row> = jobs.map((job) => ({
    job,
    rng: Random.make(job.seed),
    ids: [],
    lps: [],
    ends: [],
    text: "",
    emitted: 0,
    emittedTokens: 0,
    done: false,
    finishReason: "length"
  }))
  const emit = (r: Row, upTo: number) => {
    if (r.job.onText === undefined || upTo <= r.emitted) return
    let tokens = r.emittedTokens
    while (tokens < r.ids.length && r.ends[tokens]! <= upTo) tokens++
    r.job.onText(r.text.slice(r.emitted, upTo), r.lps.slice(r.emittedTokens, tokens))
    r.emitted = upTo
    r.emittedTokens = tokens
  }
  const finish = (r: Row, reason: "stop" | "length", cut?: number) => {
    r.done = true
    r.finishReason = reason
    if (cut !== undefined) {
      r.text = r.text.slice(0, cut)
      let kept = 0
      while (kept < r.ids.length && r.ends[kept]! <= cut) kept++
      r.lps.length = Math.min(r.lps.length, kept)
    }
    emit(r, r.text.length)
  }
  const session = engine.decoder(jobs.length, maxLen)
  try {
    let logits = session.feed(jobs.map((j) => j.prompt))
    for (;;) {
      const feed: Array<Int32Array> = []
      for (let b = 0; b < rows.length; b++) {
        const r = rows[b]!
        if (!r.done && r.job.cancelled?.() === true) finish(r, "stop")
        if (r.done) {
          feed.push(new Int32Array(0))
          continue
        }
        const o = r.job
        const pick = Generate.sampleToken(logits, b, V, { maxTokens: o.maxTokens, temperature: o.temperature, topP: o.topP, seed: 0 }, r.rng)
        if (stopSet.has(pick.id)) {
          finish(r, "stop")
          feed.push(new Int32Array(0))
          continue
        }
        r.ids.push(pick.id)
        r.text = tokenizer.decode(r.ids, { skipSpecial: true })
        r.ends.push(r.text.length)
        if (o.logprobs) {
          const top = o.topLogprobs > 0 ? topTokens(logits, b, V, o.topLogprobs).map((t) => entry(tokenizer, t.id, t.logprob)) : []
          r.lps.push({ ...entry(tokenizer, pick.id, pick.logprob), top })
        }
        const at = findStop(r.text, o.stop)
        if (at >= 0) finish(r, "stop", at)
        else if (r.ids.length >= o.maxTokens || o.prompt.length + r.ids.length >= maxLen) finish(r, "length")
        else emit(r, safeLength(r.text, o.stop))
        feed.push(r.done ? new Int32Array(0) : Int32Array.of(pick.id))
      }
      if (rows.every((r) => r.done)) break
      logits = session.feed(feed)
      await yieldToEventLoop()
    }
  } finally {
    session.dispose()
  }
  return rows.map((r) => ({
    text: r.text,
    promptTokens: r.job.prompt.length,
    completionTokens: r.ids.length,
    finishReason: r.finishReason,
    logprobs: r.lps
  }))
}
