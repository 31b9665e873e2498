/**
 * `tsx benchmarks/policy.bench.ts [--data conversations.jsonl] [--seconds S]
 *   [--only bpe,engines,windows] [--conversations N] [--engine auto|cpu|tfjs] [--context T]`:
 * speed of the policy core. One JSON line per measurement:
 *   - bpe: BPE training (vocabulary 4096) and encoding on a corpus: the
 *     WebShop product texts, plus the conversations of --data when given;
 *   - engines: SFT step throughput (tokens/s) of each engine on a small
 *     GPT-2, and batched greedy generation (tokens/s);
 *   - windows: one SFT epoch on N WebShop expert conversations (default 160)
 *     with the ci model, before (today's ci: pages with " [SEP] ", one window
 *     per agent turn, shuffled batches, context 384), with the new view
 *     alone, and after (pages one piece per line with repeated pages marked,
 *     episode windows, length-bucketed batches, context --context, default
 *     512), side by side: loss-carrying tokens per second and SFT seconds per
 *     1,000 expert conversations, then their ratios (sft-windows.ts).
 */
import * as fs from "node:fs"
import * as path from "node:path"
import * as zlib from "node:zlib"
import { Bench } from "tinybench"
import { Effect, Schema } from "effect"
import * as Paths from "../packages/core/src/Paths"
import { pack } from "../packages/policy/src/Batch"
import { EngineKind, makeEngine } from "../packages/policy/src/Engines"
import { generate } from "../packages/policy/src/Generate"
import { defaultConfig } from "../packages/policy/src/Init"
import { maskedNll } from "../packages/policy/src/Losses"
import { corpusOf, loadDialogues } from "../packages/policy/src/Sft"
import { train } from "../packages/policy/src/Tokenizer"
import { runWindowBench } from "./sft-windows"

const args = process.argv.slice(2)
const flag = (name: string) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? args[i + 1] : undefined
}
const seconds = Number(flag("seconds") ?? 5)
const only = new Set((flag("only") ?? "bpe,engines,windows").split(","))
const emit = (o: Record<string, unknown>) => console.log(JSON.stringify(o))
const meanMs = (b: Bench, i: number): number => {
  const r = b.tasks[i]!.result
  return "latency" in r ? r.latency.mean : NaN
}

if (only.has("bpe")) {
  const products = path.join(Paths.dataDir(), "webshop", "products_1000.jsonl.gz")
  const corpus: Array<string> = zlib
    .gunzipSync(fs.readFileSync(products))
    .toString("utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => String((JSON.parse(l) as { contents: string }).contents))
  const data = flag("data")
  if (data) corpus.push(...corpusOf(await Effect.runPromise(loadDialogues(data))))
  const bytes = corpus.reduce((s, t) => s + Buffer.byteLength(t), 0)

  const bench = new Bench({ time: seconds * 1000, iterations: 2, warmup: false })
  let tok = train(corpus.slice(0, 10), { vocabSize: 300, minFrequency: 1 })
  bench.add("bpe-train-4096", () => {
    tok = train(corpus, { vocabSize: 4096 })
  })
  await bench.run()
  const trainMs = meanMs(bench, 0)
  emit({ bench: "bpe-train", vocab: 4096, corpusMB: bytes / 1e6, meanMs: trainMs, MBperSecond: bytes / 1e6 / (trainMs / 1000) })

  const enc = new Bench({ time: seconds * 1000, iterations: 2, warmup: false })
  enc.add("bpe-encode", () => {
    for (const t of corpus) tok.encode(t)
  })
  await enc.run()
  const encMs = meanMs(enc, 0)
  emit({ bench: "bpe-encode", corpusMB: bytes / 1e6, meanMs: encMs, MBperSecond: bytes / 1e6 / (encMs / 1000) })
}

if (only.has("engines")) {
  const config = defaultConfig({ vocabSize: 1024, nPositions: 256, nEmbd: 128, nLayer: 2, nHead: 4 })
  const B = 4, T = 256
  const ids = Array.from({ length: B }, (_, b) => ({ ids: Array.from({ length: T }, (_, t) => (b * 31 + t * 7) % config.vocabSize) }))
  const batch = pack(ids)
  for (const kind of ["cpu", "tfjs"] as const) {
    const engine = await makeEngine(kind, config, undefined, { seed: 0 })
    const b = new Bench({ time: seconds * 1000, iterations: 2, warmup: true, warmupIterations: 1 })
    b.add("sft-step", () => {
      engine.zeroGrad()
      engine.forwardBackward(batch.batch, maskedNll(batch.mask))
      engine.step({ lr: 1e-3, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.01, maxGradNorm: 1 })
    })
    b.add("generate", () => {
      generate(engine, Array.from({ length: B }, (_, i) => Int32Array.from({ length: 32 }, (_, t) => (i + t) % 100)), [], { maxTokens: 32, temperature: 0, topP: 1, seed: 0 })
    })
    await b.run()
    const step = meanMs(b, 0)
    const gen = meanMs(b, 1)
    emit({ bench: "sft-step", engine: engine.name, model: "2x128, vocab 1024", B, T, meanMs: step, tokensPerSecond: (B * T) / (step / 1000) })
    emit({ bench: "generate", engine: engine.name, model: "2x128, vocab 1024", B, newTokens: 32, meanMs: gen, tokensPerSecond: (B * 32) / (gen / 1000) })
    engine.dispose()
  }
}

if (only.has("windows")) {
  const positive = (name: string, fallback: number) => {
    const v = Number(flag(name) ?? fallback)
    if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} must be a positive integer, got ${flag(name)}`)
    return v
  }
  const lines = await runWindowBench({
    conversations: positive("conversations", 160),
    engine: Schema.decodeUnknownSync(EngineKind)(flag("engine") ?? "auto"),
    afterContext: positive("context", 512),
    batchSize: 16
  })
  for (const l of lines) emit(l)
}
