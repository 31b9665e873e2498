import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Checkpoint from "../src/Checkpoint"
import { makeEngine } from "../src/Engines"
import { generate, makeCheckpointPolicy, nextTurns, repeatedNgramTokens, sampleToken } from "../src/Generate"
import type { Dialogue } from "../src/Render"
import { defaultSftOptions, runSft } from "../src/Sft"
import { scoreDialogues } from "../src/Score"
import { SPECIAL } from "../src/Tokenizer"
import { pack } from "../src/Batch"
import { batchOrder, BUCKET_SPAN, defaultOptim, lengthBucketedEpoch, lrAt, microBatch } from "../src/Train"

const dialogues: Array<Dialogue> = [
  {
    instruction: "Act in the house.",
    initialObservation: "Your task is to: put a mug on the desk.",
    turns: [
      { agent: "Thought: find the mug.\nAction: go to shelf 1", env: "Observation: On the shelf 1, you see a mug 1." },
      { agent: "Thought: take it.\nAction: take mug 1 from shelf 1" }
    ]
  },
  {
    instruction: "Act in the house.",
    initialObservation: "Your task is to: put a pen on the bed.",
    turns: [{ agent: "Thought: find the pen.\nAction: go to desk 1", env: "Observation: On the desk 1, you see a pen 2." }, { agent: "Thought: take it.\nAction: take pen 2 from desk 1" }]
  },
  {
    instruction: "Act in the house.",
    initialObservation: "Your task is to: clean a cup.",
    turns: [{ agent: "Thought: cups are in the cabinet.\nAction: open cabinet 1" }]
  }
]
// `auto`: the cpu engine here (tfjs when a tfjs GPU backend is present).
const tiny = defaultSftOptions({
  engine: "auto",
  steps: 6,
  batchSize: 2,
  gradAccum: 2,
  vocabSize: 300,
  nLayer: 1,
  nEmbd: 16,
  nHead: 2,
  nPositions: 96,
  optim: defaultOptim({ lr: 3e-3, warmupSteps: 2 }),
  saveEvery: 2
})
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "eto-train-"))

describe("schedule and data order", () => {
  it("warms up linearly, then decays by cosine to the floor, or stays constant", () => {
    const o = defaultOptim({ lr: 1, warmupSteps: 4, minLrRatio: 0.1 })
    expect([0, 1, 2, 3].map((s) => lrAt(o, s, 14))).toEqual([0.25, 0.5, 0.75, 1])
    expect(lrAt(o, 9, 14)).toBeCloseTo(0.55, 10)
    expect(lrAt(o, 14, 14)).toBeCloseTo(0.1, 10)
    expect(lrAt({ ...o, schedule: "constant" }, 12, 14)).toBe(1)
  })

  it("visits every example once per epoch in a seeded order", () => {
    const epoch = [0, 1, 2].flatMap((k) => microBatch(6, 2, 5, k))
    expect([...epoch].sort()).toEqual([0, 1, 2, 3, 4, 5])
    expect(microBatch(6, 2, 5, 4)).toEqual(microBatch(6, 2, 5, 4))
    const other = [0, 1, 2].flatMap((k) => microBatch(6, 2, 6, k))
    expect(other).not.toEqual(epoch)
  })

  it("length-bucketed batches visit every example once per epoch, in a seeded order, with little padding", () => {
    const rng = (i: number) => ((i * 2654435761) >>> 0) % 1000
    const lengths = Array.from({ length: 1000 }, (_, i) => 20 + rng(i))
    const B = 8
    const next = batchOrder(lengths, B, 3, "length")
    const perEpoch = Math.ceil(lengths.length / B)
    for (const epoch of [0, 1]) {
      const batches = Array.from({ length: perEpoch }, (_, j) => next(epoch * perEpoch + j))
      expect(batches.flat().sort((a, b) => a - b)).toEqual(lengths.map((_, i) => i))
      expect(batches).toEqual(lengthBucketedEpoch(lengths, B, 3, epoch))
    }
    expect(next(perEpoch)).not.toEqual(next(0))
    // The same seed gives the same batches; another seed other ones.
    expect(batchOrder(lengths, B, 3, "length")(5)).toEqual(next(5))
    expect(batchOrder(lengths, B, 4, "length")(5)).not.toEqual(next(5))
    // Positions computed (rows x longest) per epoch: length buckets pad far less than a shuffle.
    const padded = (order: "shuffle" | "length") => {
      const at = batchOrder(lengths, B, 3, order)
      return Array.from({ length: perEpoch }, (_, j) => pack(at(j).map((i) => ({ ids: new Int32Array(lengths[i]!) })))).reduce((n, p) => n + p.batch.B * p.batch.T, 0)
    }
    const real = lengths.reduce((a, b) => a + b, 0)
    expect(padded("length") / real).toBeLessThan(1.05)
    expect(padded("shuffle") / real).toBeGreaterThan(1.3)
    // Batches come from spans of BUCKET_SPAN batches, so a batch still mixes examples from across the data.
    expect(BUCKET_SPAN * B).toBeLessThan(lengths.length)
    expect(batchOrder(lengths, B, 3, "shuffle")(7)).toEqual(microBatch(lengths.length, B, 3, 7))
  })
})

describe("SFT", () => {
  it.effect("lowers the loss, and a resumed run ends exactly where an uninterrupted one does", () =>
    Effect.gen(function*() {
      const a = path.join(tmp(), "a"), b = path.join(tmp(), "b")
      const reports: Array<number> = []
      const full = yield* runSft({ data: dialogues, out: a, options: tiny, onProgress: (r) => reports.push(r.loss) })
      expect(reports).toHaveLength(6)
      expect(full.lossAfter).toBeLessThan(full.lossBefore)
      yield* runSft({ data: dialogues, out: b, options: tiny, stopAfter: 3 })
      expect(Checkpoint.loadSync(b).training!.step).toBe(3)
      // The resumed run uses the options it was started with, whatever it is given now.
      const resumed = yield* runSft({ data: dialogues, out: b, options: { ...tiny, batchSize: 1, seed: 9, optim: defaultOptim({ lr: 1 }) }, resume: true })
      expect(resumed.history.map((h) => h.step)).toEqual([4, 5, 6])
      const pa = Checkpoint.loadSync(a), pb = Checkpoint.loadSync(b)
      expect(pb.training!.step).toBe(6)
      expect(pb.training!.history.map((h) => h.loss)).toEqual(pa.training!.history.map((h) => h.loss))
      for (const [name, t] of pa.params) expect(Array.from(pb.params.get(name)!.data)).toEqual(Array.from(t.data))
      expect(pb.optimizer!.step).toBe(6)
    }))

  it.effect("trains on episode windows in length order, and resumes exactly there too", () =>
    Effect.gen(function*() {
      const options = { ...tiny, nPositions: 128, windows: "episode" as const, order: "length" as const }
      const a = path.join(tmp(), "a"), b = path.join(tmp(), "b")
      const full = yield* runSft({ data: dialogues, out: a, options })
      // The whole conversations fit: one window each.
      expect(full.examples).toBe(dialogues.length)
      expect(full.lossAfter).toBeLessThan(full.lossBefore)
      yield* runSft({ data: dialogues, out: b, options, stopAfter: 4 })
      yield* runSft({ data: dialogues, out: b, options: tiny, resume: true })
      const pa = Checkpoint.loadSync(a), pb = Checkpoint.loadSync(b)
      expect(pb.training!.history.map((h) => h.loss)).toEqual(pa.training!.history.map((h) => h.loss))
      for (const [name, t] of pa.params) expect(Array.from(pb.params.get(name)!.data)).toEqual(Array.from(t.data))
    }))

  it.effect("rejects bad options with one clear line", () =>
    Effect.gen(function*() {
      const e = yield* Effect.flip(runSft({ data: dialogues, out: tmp(), options: { ...tiny, nEmbd: 15 } }))
      expect(e.message).toBe("--width 15 is not divisible by --heads 2")
      const r = yield* Effect.flip(runSft({ data: dialogues, out: path.join(tmp(), "none"), options: tiny, resume: true }))
      expect(r.message).toMatch(/checkpoint directory not found/)
    }))
})

describe("generation", () => {
  it("finds the tokens that would repeat an n-gram, and never picks them", () => {
    expect([...repeatedNgramTokens([5, 6, 7, 5, 6], 3)]).toEqual([7])
    expect([...repeatedNgramTokens([5, 6, 5, 9, 5], 2)].sort()).toEqual([6, 9])
    expect(repeatedNgramTokens([5, 6, 7], 3).size).toBe(0)
    expect(repeatedNgramTokens([5, 6, 5, 6], 0).size).toBe(0)
    const logits = Float32Array.of(0, 3, 1, 2)
    const rng = { next: () => 0.5 } as never
    const greedy = { maxTokens: 1, temperature: 0, topP: 1, seed: 0 }
    expect(sampleToken(logits, 0, 4, greedy, rng).id).toBe(1)
    const banned = sampleToken(logits, 0, 4, greedy, rng, new Set([1]))
    expect(banned.id).toBe(3)
    // The reported log-prob is the model's own, not the renormalised one.
    const logZ = Math.log([0, 3, 1, 2].reduce((a, x) => a + Math.exp(x), 0))
    expect(banned.logprob).toBeCloseTo(2 - logZ, 5)
    for (let i = 0; i < 20; i++) {
      const r = { next: () => i / 20 } as never
      expect([0, 2]).toContain(sampleToken(logits, 0, 4, { ...greedy, temperature: 1 }, r, new Set([1, 3])).id)
    }
  })

  it.effect("a model trained on conversations writes their agent turns back, batched and reproducibly", () =>
    Effect.gen(function*() {
      const out = path.join(tmp(), "memo")
      const opts = { ...tiny, steps: 80, gradAccum: 1, batchSize: 3, nEmbd: 32, nLayer: 2, nPositions: 192, saveEvery: 0, optim: defaultOptim({ lr: 1e-2, warmupSteps: 5, schedule: "constant" as const }) }
      const r = yield* runSft({ data: dialogues, out, options: opts })
      expect(r.lossAfter).toBeLessThan(0.2)
      const ckpt = Checkpoint.loadSync(out)
      const engine = yield* Effect.promise(() => makeEngine("auto", ckpt.config, ckpt.params))
      const prompts = dialogues.map((d) => ({ ...d, turns: d.turns.slice(0, -1) }))
      const greedy = { maxTokens: 40, temperature: 0, topP: 1, seed: 0 }
      const texts = nextTurns(engine, ckpt.tokenizer, prompts, greedy)
      expect(texts).toEqual(dialogues.map((d) => d.turns[d.turns.length - 1]!.agent))
      // One at a time gives the same as the batch.
      expect(nextTurns(engine, ckpt.tokenizer, [prompts[1]!], greedy)).toEqual([texts[1]])
      // Sampling is seeded.
      const hot = { maxTokens: 12, temperature: 1.5, topP: 0.9, seed: 4 }
      expect(nextTurns(engine, ckpt.tokenizer, prompts, hot)).toEqual(nextTurns(engine, ckpt.tokenizer, prompts, hot))
      // The token budget and stop tokens are honoured.
      const stopAt = ckpt.tokenizer.encode("Action")[0]!
      const g = generate(engine, [Int32Array.of(ckpt.tokenizer.special(SPECIAL.eot))], [], { ...greedy, maxTokens: 5 })
      expect(g[0]!.ids).toHaveLength(5)
      expect(g[0]!.stopped).toBe(false)
      const s = generate(engine, [Int32Array.from([ckpt.tokenizer.special(SPECIAL.eot), ckpt.tokenizer.special(SPECIAL.agent), ...ckpt.tokenizer.encode("Thought: take it.\n")])], [stopAt], greedy)
      expect(s[0]!.stopped).toBe(true)
      expect(s[0]!.ids).toEqual([])
      // Scores: agent-token log-probs of a memorised conversation are near 0.
      const [score] = scoreDialogues(engine, ckpt.tokenizer, [dialogues[0]!])
      expect(score!.tokens).toBeGreaterThan(10)
      expect(score!.logprob / score!.tokens).toBeGreaterThan(-0.3)
      engine.dispose()

      // The checkpoint as a PolicyShape.
      const policy = yield* makeCheckpointPolicy({ checkpoint: out, instructionPrompt: "Act in the house.", engine: "auto", sampling: { maxTokens: 40 } })
      const task = { id: "t", env: "alfworld" as const, split: "train", instruction: "", metadata: {} }
      const replies = yield* policy.act([
        { task, initialObservation: dialogues[1]!.initialObservation, turns: [{ thought: "find the pen.", action: "go to desk 1", observation: "On the desk 1, you see a pen 2.", reward: 0 }] }
      ])
      expect(replies).toEqual(["Thought: take it.\nAction: take pen 2 from desk 1"])
      policy.dispose()
    }))
})
