/**
 * What the engine tests share: seeded inputs (jittered parameters, token
 * batches with some positions lacking a target, uniform arrays), error
 * measures, and the agreement check that runs one batch through several
 * engines and compares everything they report.
 */
import { expect } from "@effect/vitest"
import { Random } from "@eto/core"
import type { Engine, GPTConfig, OutputGrads, Params, TokenBatch } from "./Engine"
import { initParams } from "./Init"

/**
 * Seeded inputs drawn from the named random streams (`params:seed`,
 * `batch:seed`), so each test file keeps inputs of its own.
 */
export const seededInputs = (streams: { readonly params: string; readonly batch: string }) => ({
  /** GPT-2 init, then every tensor jittered by up to `scale` so LayerNorm gains, biases and the value head are all non-trivial. */
  jitteredParams: (config: GPTConfig, seed: number, scale: number): Params => {
    const rng = Random.make(`${streams.params}:${seed}`)
    const p = initParams(config, seed)
    for (const [, t] of p) for (let i = 0; i < t.data.length; i++) t.data[i] = t.data[i]! + (rng.next() * 2 - 1) * scale
    return p
  },
  /** B sequences of T random tokens; every `gap`-th position has no target (-1). */
  randomBatch: (config: GPTConfig, B: number, T: number, seed: number, gap = 5): TokenBatch => {
    const rng = Random.make(`${streams.batch}:${seed}`)
    const tokens = Int32Array.from({ length: B * T }, () => rng.int(config.vocabSize))
    const targets = Int32Array.from({ length: B * T }, (_, i) => (i % gap === gap - 1 ? -1 : rng.int(config.vocabSize)))
    return { tokens, targets, B, T }
  }
})

/** n values uniform in [-1, 1). */
export const uniform = (n: number, seed: string): Float32Array => {
  const rng = Random.make(seed)
  return Float32Array.from({ length: n }, () => rng.next() * 2 - 1)
}

/** Output gradients for N positions: log-probs, entropies and values each weighted by fixed uniform draws. */
export const uniformOutputGrads = (N: number): OutputGrads => ({
  loss: 0,
  dLogprobs: uniform(N, "a"),
  dEntropies: uniform(N, "b"),
  dValues: uniform(N, "c")
})

export const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!))
  return m
}

export const maxAbs = (a: ArrayLike<number>): number => {
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!))
  return m
}

/** max |a - b| relative to max |b|; a and b must have the same length. */
export const relErr = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  expect(a.length).toBe(b.length)
  let d = 0
  let m = 0
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!))
    m = Math.max(m, Math.abs(b[i]!))
  }
  return d / Math.max(m, 1e-12)
}

/** The tolerance the engines agree to (relative). */
export const TOL = 1e-4

/**
 * Runs `batch` through `mine` and each engine of `references` (all holding
 * the same parameters) and expects, to TOL relative: the logits; the
 * log-probs, entropies and values and every parameter's gradient for the
 * same output gradients; an AdamW step with clipping and weight decay (the
 * gradient norm, the parameters and first moments after it); and cached
 * decoding of two sequences (a ragged prompt from the batch's first two rows,
 * then one token each) in sessions of `decodeLength` positions. `mine`'s
 * inference forward must report what its training forward reported.
 */
export const expectAgreement = (mine: Engine, references: ReadonlyArray<Engine>, config: GPTConfig, batch: TokenBatch, decodeLength: number): void => {
  const all: Array<Engine> = [mine, ...references]
  const { T } = batch
  const N = batch.B * T
  const logits = mine.logits(batch)
  for (const ref of references) expect(relErr(logits, ref.logits(batch)), ref.name).toBeLessThan(TOL)

  const grads: OutputGrads = {
    loss: 0,
    dLogprobs: uniform(N, "l"),
    dEntropies: uniform(N, "e"),
    dValues: config.valueHead ? uniform(N, "v") : undefined
  }
  for (const e of all) e.zeroGrad()
  const outs = all.map((e) => e.forwardBackward(batch, () => grads).outputs)
  const gradsOf = all.map((e) => e.getGrads())
  for (let r = 1; r < all.length; r++) {
    const name = all[r]!.name
    expect(relErr(outs[0]!.logprobs, outs[r]!.logprobs), name).toBeLessThan(TOL)
    expect(relErr(outs[0]!.entropies, outs[r]!.entropies), name).toBeLessThan(TOL)
    if (config.valueHead) expect(relErr(outs[0]!.values, outs[r]!.values), name).toBeLessThan(TOL)
    expect([...gradsOf[0]!.keys()].sort()).toEqual([...gradsOf[r]!.keys()].sort())
    for (const [p, g] of gradsOf[r]!) expect(relErr(gradsOf[0]!.get(p)!.data, g.data), `${name} ${p}`).toBeLessThan(TOL)
  }
  if (config.valueHead) {
    for (const p of ["v_head.weight", "v_head.bias"]) expect(maxAbs(gradsOf[0]!.get(p)!.data), p).toBeGreaterThan(0)
  }
  // inference reports what training's forward reported
  const inference = mine.forward(batch)
  expect(relErr(inference.logprobs, outs[0]!.logprobs)).toBeLessThan(1e-6)

  // eps well above float32 noise: the key bias's gradient is zero in exact arithmetic (softmax
  // ignores a shift shared by a query's scores), and Adam would blow its ~1e-9 rounding up to +-lr.
  const opts = { lr: 1e-2, beta1: 0.9, beta2: 0.99, eps: 1e-4, weightDecay: 0.1, maxGradNorm: 1 }
  const norms = all.map((e) => e.step(opts))
  expect(norms[0]!).toBeGreaterThan(opts.maxGradNorm) // clipping is exercised
  const after = all.map((e) => e.getParams())
  const moments = all.map((e) => e.getOptimizerState())
  expect(moments[0]!.step).toBe(1)
  for (let r = 1; r < all.length; r++) {
    const name = all[r]!.name
    expect(Math.abs(norms[0]! - norms[r]!) / norms[r]!, name).toBeLessThan(TOL)
    for (const [p, t] of after[r]!) expect(relErr(after[0]!.get(p)!.data, t.data), `${name} ${p}`).toBeLessThan(TOL)
    for (const [p, t] of moments[r]!.m) expect(relErr(moments[0]!.m.get(p)!.data, t.data), `${name} m ${p}`).toBeLessThan(TOL)
  }

  const sessions = all.map((e) => e.decoder(2, decodeLength))
  const prompt = [batch.tokens.slice(0, 5), batch.tokens.slice(T, T + 2)]
  const first = sessions.map((s) => s.feed(prompt))
  const next = [Int32Array.of(1), Int32Array.of(2)]
  const second = sessions.map((s) => s.feed(next))
  for (let r = 1; r < all.length; r++) {
    expect(relErr(first[0]!, first[r]!), all[r]!.name).toBeLessThan(TOL)
    expect(relErr(second[0]!, second[r]!), all[r]!.name).toBeLessThan(TOL)
  }
  for (const s of sessions) s.dispose()
}

/**
 * Decodes the rows of `full` (three sequences) with `engine`'s KV cache and
 * expects each step's logits to be `same` as the full forward's at that
 * position: a ragged prefill of `prefill[b]` tokens, one more token for
 * sequences 0 and 2 and none for 1 (whose logits stay those of its last
 * position), then token by token to the end, and a token past the end
 * refused. Then `newParams` must reach a fresh session's LM head.
 */
export const expectCachedDecoding = (
  engine: Engine,
  full: TokenBatch,
  prefill: readonly [number, number, number],
  newParams: Params,
  same: (got: Float32Array, want: Float32Array) => void
): void => {
  const { B, T } = full
  const V = engine.config.vocabSize
  expect(B).toBe(3)
  const logits = engine.logits(full)
  const session = engine.decoder(B, T)
  const rows = (b: number, from: number, to: number) => full.tokens.slice(b * T + from, b * T + to)
  const check = (got: Float32Array, lengths: ReadonlyArray<number>) => {
    for (let b = 0; b < B; b++) {
      const at = (b * T + lengths[b]! - 1) * V
      same(got.subarray(b * V, (b + 1) * V), logits.subarray(at, at + V))
    }
  }
  const [p0, p1, p2] = prefill
  check(session.feed(prefill.map((n, b) => rows(b, 0, n))), prefill)
  expect(session.lengths()).toEqual(prefill)
  check(session.feed([rows(0, p0, p0 + 1), new Int32Array(0), rows(2, p2, p2 + 1)]), [p0 + 1, p1, p2 + 1])
  while (Math.min(...session.lengths()) < T) {
    const lengths = session.lengths()
    check(session.feed(lengths.map((n, b) => (n < T ? rows(b, n, n + 1) : new Int32Array(0)))), session.lengths())
  }
  expect(() => session.feed([rows(0, 0, 1), new Int32Array(0), new Int32Array(0)])).toThrow(/beyond maxLength/)
  session.dispose()
  engine.setParams(newParams)
  const fresh = engine.logits(full)
  const again = engine.decoder(B, T)
  const got = again.feed([rows(0, 0, 4), rows(1, 0, 4), rows(2, 0, 4)])
  for (let b = 0; b < B; b++) same(got.subarray(b * V, (b + 1) * V), fresh.subarray((b * T + 3) * V, (b * T + 4) * V))
  again.dispose()
}
