import { describe, expect, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { defaultConfig, initParams } from "../Init"
import { expectCachedDecoding, maxAbsDiff, uniform, uniformOutputGrads } from "../testSupport"
import { hasTfjsGpu } from "../tfjs/index"
import { loadNative, makeNativeEngine, type NativeEngine } from "./index"
import { jitteredParams, randomBatch } from "./testData"

const native = loadNative()
if (!native.ok) throw new Error(`the native engine did not build here: ${native.reason}`)
const binding = native.binding
const isas = binding.isas()

describe("native matrix products", () => {
  // sizes that cross the k-block (256) and the column block (512) and leave ragged register tiles
  const M = 37
  const N = 530
  const K = 300
  const forms: Array<[string, boolean, boolean]> = [
    ["NN", false, false],
    ["NT", false, true],
    ["TN", true, false]
  ]
  for (const isa of isas) {
    it(`${isa}: NN, NT and TN products, overwriting and accumulating, match float64 on 1 and 3 threads`, () => {
      const a = uniform(M * K, "a")
      const b = uniform(K * N, "b")
      const c0 = uniform(M * N, "c")
      for (const [form, ta, tb] of forms) {
        const at = (i: number, k: number) => (ta ? a[k * M + i]! : a[i * K + k]!)
        const bt = (k: number, j: number) => (tb ? b[j * K + k]! : b[k * N + j]!)
        const want = new Float64Array(M * N)
        for (let i = 0; i < M; i++) {
          for (let j = 0; j < N; j++) {
            let s = 0
            for (let k = 0; k < K; k++) s += at(i, k) * bt(k, j)
            want[i * N + j] = s
          }
        }
        const results = [1, 3].map((threads) => {
          const c = c0.slice()
          binding.matmul(a, b, c, M, N, K, ta ? 1 : 0, tb ? 1 : 0, 0, threads, isa)
          expect(maxAbsDiff(c, want), `${form} threads=${threads}`).toBeLessThan(2e-5 * Math.sqrt(K))
          const acc = c0.slice()
          binding.matmul(a, b, acc, M, N, K, ta ? 1 : 0, tb ? 1 : 0, 1, threads, isa)
          expect(maxAbsDiff(acc, want.map((x, i) => x + c0[i]!)), `${form} accumulate`).toBeLessThan(2e-5 * Math.sqrt(K))
          return c
        })
        expect(results[1], `${form}: 1 and 3 threads`).toEqual(results[0])
      }
    })
  }
})

describe("native engine", () => {
  const tiny = defaultConfig({ vocabSize: 37, nPositions: 40, nEmbd: 12, nLayer: 2, nHead: 3, valueHead: true })
  const wide = defaultConfig({ vocabSize: 300, nPositions: 64, nEmbd: 64, nLayer: 2, nHead: 2 })

  for (const isa of isas) {
    for (const [label, config] of [
      ["head size 4", tiny],
      ["head size 32", wide]
    ] as const) {
      it(`${isa}: decodes with a KV cache (ragged prefill, then token by token) exactly like the full forward (${label})`, async () => {
        const engine = await makeNativeEngine(config, jitteredParams(config, 5, 0.1), { isa, threads: 2 })
        try {
          // new parameters must reach the decoder's packed copy of the LM head
          expectCachedDecoding(engine, randomBatch(config, 3, 30, 6), [14, 1, 25], jitteredParams(config, 55, 0.1), (got, want) =>
            expect(got).toEqual(want)
          )
        } finally {
          engine.dispose()
        }
      })
    }
  }

  it("gives bit-identical outputs, gradients and AdamW steps for 1, 2 and 3 threads and across runs", async () => {
    const config = defaultConfig({ vocabSize: 301, nPositions: 64, nEmbd: 64, nLayer: 2, nHead: 2, valueHead: true })
    const params = jitteredParams(config, 9, 0.05)
    const batch = randomBatch(config, 4, 60, 10)
    const N = 240
    const run = async (threads: number) => {
      const engine: NativeEngine = await makeNativeEngine(config, params, { threads })
      try {
        const seen: Array<Float32Array> = []
        for (let r = 0; r < 2; r++) {
          engine.zeroGrad()
          const { outputs } = engine.forwardBackward(batch, () => uniformOutputGrads(N))
          seen.push(outputs.logprobs, outputs.entropies, outputs.values)
          for (const [, g] of engine.getGrads()) seen.push(g.data)
          engine.step({ lr: 1e-3, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, maxGradNorm: 1 })
          for (const [, p] of engine.getParams()) seen.push(p.data)
          seen.push(engine.forward(batch).logprobs)
        }
        return seen
      } finally {
        engine.dispose()
      }
    }
    const one = await run(1)
    const oneAgain = await run(1)
    expect(oneAgain).toEqual(one)
    for (const threads of [2, 3]) {
      const other = await run(threads)
      other.forEach((x, i) => expect(x, `threads=${threads}, array ${i}`).toEqual(one[i]))
    }
  })

  it("initialises from the same seed identically, and rejects bad input with a clear message", async () => {
    const a = await makeNativeEngine(tiny, initParams(tiny, 3))
    const b = await makeNativeEngine(tiny, initParams(tiny, 3))
    try {
      const batch = randomBatch(tiny, 2, 7, 11)
      expect(a.forward(batch)).toEqual(b.forward(batch))
      expect(() => a.forward({ ...batch, tokens: Int32Array.from({ length: 14 }, (_, i) => (i === 2 ? 99 : 1)) })).toThrow(/token 99 at index 2/)
      expect(() => a.forward({ B: 1, T: 41, tokens: new Int32Array(41), targets: new Int32Array(41) })).toThrow(/exceeds the context length 40/)
      expect(() => a.forwardBackward(batch, () => ({ loss: 0, dLogprobs: new Float32Array(3) }))).toThrow(/dLogprobs has 3 entries, expected B\*T=14/)
      const params = a.getParams()
      params.delete("v_head.bias")
      expect(() => a.setParams(params)).toThrow(/missing tensor v_head.bias/)
      expect(() => a.step({ lr: -1, beta1: 0.9, beta2: 0.9, eps: 1e-8, weightDecay: 0, maxGradNorm: 0 })).toThrow(/invalid AdamW option lr/)
    } finally {
      a.dispose()
      b.dispose()
    }
    expect(() => a.forward(randomBatch(tiny, 1, 2, 1))).toThrow(/disposed/)
    await expect(makeNativeEngine({ ...tiny, nHead: 5 })).rejects.toThrow(/divisible/)
    await expect(makeNativeEngine(tiny, undefined, { isa: "sse9" })).rejects.toThrow(/instruction set 'sse9' is not available here/)
  })

  it("falls back to the WebAssembly engine when the addon is unavailable, and says why when asked for it", async () => {
    const script = path.join(path.dirname(fileURLToPath(import.meta.url)), "fallbackCheck.ts")
    const r = spawnSync(process.execPath, ["--import", "tsx", script], { encoding: "utf8", env: { ...process.env, ETO_NATIVE: "0" } })
    expect(r.status, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout.trim().split("\n").pop() ?? "") as { auto: string; nativeError: string }
    expect(out.auto).toBe((await hasTfjsGpu()) ? "tfjs" : "cpu")
    expect(out.nativeError).toMatch(/native engine is unavailable: disabled by ETO_NATIVE=0; use --engine cpu/)
  })
})
