import { describe, expect, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Random } from "@eto/core"
import type { GPTConfig, OutputGrads, Params } from "../Engine"
import { defaultConfig } from "../Init"
import { expectCachedDecoding, maxAbs, maxAbsDiff, seededInputs, uniform, uniformOutputGrads } from "../testSupport"
import { makeCpuEngine } from "./index"
import { referenceForward } from "./reference"
import { selfCheck } from "./selfcheck"

// Odd sizes on purpose: every kernel's vector body and scalar tails run.
const tiny: GPTConfig = defaultConfig({ vocabSize: 37, nPositions: 24, nEmbd: 12, nLayer: 2, nHead: 3, valueHead: true })

const inputs = seededInputs({ params: "cpu-test", batch: "cpu-batch" })
const randomParams = (config: GPTConfig, seed: number, scale = 0.3): Params => inputs.jitteredParams(config, seed, scale)
const randomBatch = inputs.randomBatch

describe("cpu engine", () => {
  it("matches a plain float64 reference forward (logits, log-probs, entropies, values)", async () => {
    const params = randomParams(tiny, 1)
    const engine = await makeCpuEngine(tiny, params, { threads: 2 })
    try {
      // 23 positions: attention runs over two row blocks, the second ragged
      const batch = randomBatch(tiny, 2, 23, 2)
      const ref = referenceForward(tiny, params, batch.tokens, batch.targets, batch.B, batch.T)
      const logits = engine.logits(batch)
      expect(logits.length).toBe(2 * 23 * 37)
      expect(maxAbs(ref.logits)).toBeGreaterThan(0.5)
      expect(maxAbsDiff(logits, ref.logits)).toBeLessThan(2e-5 * Math.max(1, maxAbs(ref.logits)))
      const out = engine.forward(batch)
      expect(maxAbsDiff(out.logprobs, ref.logprobs)).toBeLessThan(5e-5)
      expect(maxAbsDiff(out.entropies, ref.entropies)).toBeLessThan(5e-5)
      expect(maxAbsDiff(out.values, ref.values)).toBeLessThan(5e-5)
      for (let i = 0; i < batch.targets.length; i++) {
        if (batch.targets[i] === -1) expect(out.logprobs[i]).toBe(0)
        expect(out.entropies[i]).toBeGreaterThan(0)
      }
    } finally {
      engine.dispose()
    }
  })

  it("backpropagates log-prob, entropy and value gradients into every parameter (finite differences)", async () => {
    const params = randomParams(tiny, 3)
    const engine = await makeCpuEngine(tiny, params, { threads: 2 })
    try {
      const batch = randomBatch(tiny, 2, 21, 4)
      const N = batch.B * batch.T
      const wl = uniform(N, "wl")
      const we = uniform(N, "we")
      const wv = uniform(N, "wv")
      const objective = (o: { logprobs: Float32Array; entropies: Float32Array; values: Float32Array }) => {
        let s = 0
        for (let i = 0; i < N; i++) s += wl[i]! * o.logprobs[i]! + we[i]! * o.entropies[i]! + wv[i]! * o.values[i]!
        return s
      }
      engine.zeroGrad()
      engine.forwardBackward(batch, (o): OutputGrads => ({ loss: objective(o), dLogprobs: wl, dEntropies: we, dValues: wv }))
      const grads = engine.getGrads()
      expect([...grads.keys()].sort()).toEqual([...params.keys()].sort())
      const h = 1e-2
      for (const [name, p] of params) {
        const g = grads.get(name)!.data
        // directional derivative along a random +-1 direction over the whole tensor
        const rng = Random.make(`dir:${name}`)
        const dir = Float32Array.from({ length: p.data.length }, () => (rng.next() < 0.5 ? -1 : 1))
        let analytic = 0
        for (let i = 0; i < g.length; i++) analytic += g[i]! * dir[i]!
        const shifted = (sign: number): number => {
          const q: Params = new Map([...params].map(([k, t]) => [k, { shape: t.shape, data: t.data.slice() }]))
          const d = q.get(name)!.data
          for (let i = 0; i < d.length; i++) d[i] = d[i]! + sign * h * dir[i]!
          engine.setParams(q)
          return objective(engine.forward(batch))
        }
        const numeric = (shifted(1) - shifted(-1)) / (2 * h)
        expect(Math.abs(analytic)).toBeGreaterThan(1e-3)
        expect(Math.abs(numeric - analytic), `${name}: numeric ${numeric} analytic ${analytic}`).toBeLessThan(
          2e-2 * Math.abs(analytic) + 2e-3
        )
      }
    } finally {
      engine.dispose()
    }
  })

  it("decodes with a KV cache (ragged prefill, then token by token) like the full forward", async () => {
    const params = randomParams(tiny, 5)
    const engine = await makeCpuEngine(tiny, params, { threads: 2 })
    try {
      // new parameters must reach the decoder's copy of the LM head
      expectCachedDecoding(engine, randomBatch(tiny, 3, 14, 6), [5, 1, 9], randomParams(tiny, 55), (got, want) =>
        expect(maxAbsDiff(got, want)).toBeLessThan(1e-4)
      )
    } finally {
      engine.dispose()
    }
  })

  it("takes AdamW steps as computed by hand (bias correction, decoupled decay on matrices, clipping)", async () => {
    const config = defaultConfig({ vocabSize: 11, nPositions: 8, nEmbd: 8, nLayer: 1, nHead: 2, valueHead: true })
    const params = randomParams(config, 7)
    const engine = await makeCpuEngine(config, params, { threads: 2 })
    try {
      const batch = randomBatch(config, 2, 6, 8)
      const N = 12
      const opts = { lr: 0.05, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, maxGradNorm: 0.5 }
      const p = new Map([...params].map(([k, t]) => [k, Float64Array.from(t.data)]))
      const m = new Map([...params].map(([k, t]) => [k, new Float64Array(t.data.length)]))
      const v = new Map([...params].map(([k, t]) => [k, new Float64Array(t.data.length)]))
      for (let step = 1; step <= 2; step++) {
        engine.zeroGrad()
        engine.forwardBackward(batch, () => ({ loss: 0, dLogprobs: new Float32Array(N).fill(-1), dValues: new Float32Array(N).fill(0.5) }))
        const grads = engine.getGrads()
        let sq = 0
        for (const [, g] of grads) for (const x of g.data) sq += x * x
        const norm = Math.sqrt(sq)
        expect(norm).toBeGreaterThan(opts.maxGradNorm) // clipping is exercised
        const got = engine.step(opts)
        expect(Math.abs(got - norm)).toBeLessThan(1e-6 * norm)
        const scale = opts.maxGradNorm / (norm + 1e-6)
        for (const [name, g] of grads) {
          const decay = params.get(name)!.shape.length >= 2 ? opts.weightDecay : 0
          const pp = p.get(name)!
          const mm = m.get(name)!
          const vv = v.get(name)!
          for (let i = 0; i < pp.length; i++) {
            const gi = g.data[i]! * scale
            mm[i] = opts.beta1 * mm[i]! + (1 - opts.beta1) * gi
            vv[i] = opts.beta2 * vv[i]! + (1 - opts.beta2) * gi * gi
            const mh = mm[i]! / (1 - opts.beta1 ** step)
            const vh = vv[i]! / (1 - opts.beta2 ** step)
            pp[i] = pp[i]! - opts.lr * decay * pp[i]! - (opts.lr * mh) / (Math.sqrt(vh) + opts.eps)
          }
        }
        const now = engine.getParams()
        for (const [name, pp] of p) expect(maxAbsDiff(now.get(name)!.data, pp), name).toBeLessThan(2e-5)
        // the engine continues from the parameters it computed (no drift from float64)
        for (const [name, t] of now) p.get(name)!.set(t.data)
        const state = engine.getOptimizerState()
        expect(state.step).toBe(step)
        for (const [name, mm] of m) expect(maxAbsDiff(state.m.get(name)!.data, mm), name).toBeLessThan(1e-6)
      }
    } finally {
      engine.dispose()
    }
  })

  it("gives bit-identical outputs and gradients for 1 and 2 threads, across repeats and in inference", async () => {
    const config = defaultConfig({ vocabSize: 301, nPositions: 64, nEmbd: 32, nLayer: 2, nHead: 4, valueHead: true })
    const params = randomParams(config, 9, 0.05)
    const batch = randomBatch(config, 4, 40, 10)
    const N = 160
    const run = async (threads: number) => {
      const engine = await makeCpuEngine(config, params, { threads })
      try {
        const grads: Array<Params> = []
        const outs: Array<Float32Array> = []
        for (let r = 0; r < 2; r++) {
          engine.zeroGrad()
          const { outputs } = engine.forwardBackward(batch, () => uniformOutputGrads(N))
          outs.push(outputs.logprobs, outputs.entropies, outputs.values)
          grads.push(engine.getGrads())
        }
        // inference (fused LM head, unkept attention) reports the very same numbers as training's forward
        const inference = engine.forward(batch)
        expect(inference.logprobs).toEqual(outs[0])
        expect(inference.entropies).toEqual(outs[1])
        expect(inference.values).toEqual(outs[2])
        return { grads, outs }
      } finally {
        engine.dispose()
      }
    }
    const one = await run(1)
    const two = await run(2)
    for (const r of [one, two]) {
      expect(r.outs[0]).toEqual(r.outs[3])
      for (const [k, g] of r.grads[0]!) expect(r.grads[1]!.get(k)!.data, k).toEqual(g.data)
    }
    one.outs.forEach((o, i) => expect(two.outs[i]).toEqual(o))
    for (const [k, g] of one.grads[0]!) expect(two.grads[0]!.get(k)!.data, k).toEqual(g.data)
  })

  it("rejects bad input with a clear message", async () => {
    const engine = await makeCpuEngine(tiny, undefined, { threads: 1 })
    try {
      const batch = randomBatch(tiny, 1, 4, 11)
      expect(() => engine.forward({ ...batch, tokens: Int32Array.from([1, 2, 99, 3]) })).toThrow(/token 99 at index 2/)
      expect(() => engine.forward({ ...batch, T: 30, B: 1, tokens: new Int32Array(30), targets: new Int32Array(30) })).toThrow(
        /exceeds the context length 24/
      )
      const params = engine.getParams()
      params.delete("v_head.bias")
      expect(() => engine.setParams(params)).toThrow(/missing tensor v_head.bias/)
    } finally {
      engine.dispose()
    }
    await expect(makeCpuEngine({ ...tiny, nHead: 5 })).rejects.toThrow(/divisible/)
  })

  it("starts its worker threads under the tsx CLI as under vitest, with the same results", async () => {
    const here = path.dirname(fileURLToPath(import.meta.url))
    const r = spawnSync(process.execPath, ["--import", "tsx", path.join(here, "selfcheck.ts"), "2"], { encoding: "utf8" })
    expect(r.stderr).toBe("")
    expect(r.status).toBe(0)
    const viaCli = JSON.parse(r.stdout.trim()) as { threads: number; sumLogprobs: number }
    const inProcess = await selfCheck(2)
    expect(viaCli.threads).toBe(2)
    expect(Number.isFinite(inProcess.sumLogprobs) && inProcess.sumLogprobs < 0).toBe(true)
    expect(viaCli.sumLogprobs).toBe(inProcess.sumLogprobs)
  })
})
