import { describe, expect, it } from "@effect/vitest"
import { defaultConfig, type ForwardOutputs, initParams, makeEngine, type OutputGrads, type TokenBatch, Train } from "@eto/policy"
import { actionMask, update } from "../src/training/Updates"

describe("actionMask", () => {
  it("shifts the token mask onto the positions that predict the tokens, one entry per position with a target", () => {
    expect([...actionMask({ ids: [5, 6, 7, 8, 9], mask: [0, 0, 1, 1, 0] })]).toEqual([0, 1, 1, 0])
    // a mask shorter than the sequence leaves the rest out of the loss
    expect([...actionMask({ ids: [5, 6, 7], mask: [1, 1] })]).toEqual([1, 0])
    expect(actionMask({ ids: [5], mask: [1] })).toHaveLength(0)
    expect(actionMask({ ids: [], mask: [] })).toHaveLength(0)
  })
})

describe("update", () => {
  it("clears the gradients, backpropagates the loss and steps at the schedule's rate, reporting the loss and its statistics", async () => {
    const config = defaultConfig({ vocabSize: 19, nPositions: 8, nEmbd: 8, nLayer: 1, nHead: 2, valueHead: true })
    const batch: TokenBatch = { B: 2, T: 6, tokens: Int32Array.from({ length: 12 }, (_, i) => (i * 7) % 19), targets: Int32Array.from({ length: 12 }, (_, i) => (i * 5 + 3) % 19) }
    const loss = (o: ForwardOutputs): OutputGrads & { stats: { first: number } } => ({
      loss: -o.logprobs.reduce((s, x) => s + x, 0),
      dLogprobs: new Float32Array(o.logprobs.length).fill(-1),
      dValues: new Float32Array(o.values.length).fill(0.5),
      stats: { first: o.logprobs[0]! }
    })
    const optim = Train.defaultOptim({ lr: 1e-2, warmupSteps: 1 })
    const steps = 3
    const updated = await makeEngine("cpu", config, initParams(config, 4))
    const byHand = await makeEngine("cpu", config, initParams(config, 4))
    try {
      for (let step = 0; step < steps; step++) {
        const r = update(updated, batch, loss, optim, step, steps)
        byHand.zeroGrad()
        let stats = { first: NaN }
        const want = byHand.forwardBackward(batch, (o) => {
          const g = loss(o)
          stats = g.stats
          return g
        })
        byHand.step(Train.adamW(optim, Train.lrAt(optim, step, steps)))
        expect(r.loss).toBe(want.loss)
        expect(r.stats).toEqual(stats)
        expect(Number.isFinite(r.stats.first) && r.stats.first < 0).toBe(true)
        for (const [name, t] of byHand.getParams()) expect(updated.getParams().get(name)!.data, `step ${step} ${name}`).toEqual(t.data)
      }
      // the parameters moved
      const start = initParams(config, 4)
      expect(updated.getParams().get("transformer.wte.weight")!.data).not.toEqual(start.get("transformer.wte.weight")!.data)
    } finally {
      updated.dispose()
      byHand.dispose()
    }
  })
})
