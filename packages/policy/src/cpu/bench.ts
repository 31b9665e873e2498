/**
 * `pnpm bench:core`: the policy engines side by side in one run — the native
 * engine (C++ kernels), the WebAssembly `cpu` engine and, with
 * --compare-torch, PyTorch (../shared/bench/torch_gpt_reference.py) — on the
 * "small" GPT-2 (vocab 4096, context 512, width 128, 4 layers, 4 heads) and
 * the models of the ci experiment configs (webshop-ci, alfworld-ci) and a
 * 2 x 64 model: training
 * steps, forward passes, KV-cache prefill and batch-1 / batch-8 decoding,
 * GFLOP/s, each engine's share of the machine's float32 peak (numpy's matrix
 * product with the OpenBLAS core overrides removed, else our own kernel's),
 * and peak memory. One JSON line per measurement, then a table and the
 * targets. Driven by benchmarks/core.bench.ts.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { repoRoot } from "@eto/core/Paths"
import { Schema } from "effect"
import { Bench } from "tinybench"
import type { Engine, GPTConfig, TokenBatch } from "../Engine"
import { defaultConfig, initParams } from "../Init"
import { loadNative, makeNativeEngine } from "../native/index"
import { machinePeak, type Peak, torchAvailable, torchRun } from "../native/benchSupport"
import { makeCpuEngine } from "./index"

const Part = Schema.Literals(["train", "forward", "generate", "peak"])
type Part = typeof Part.Type

const Args = Schema.Struct({
  compareTorch: Schema.Boolean,
  seconds: Schema.Number.check(Schema.isGreaterThan(0)),
  threads: Schema.Number.check(Schema.isInt(), Schema.isGreaterThan(0)),
  configs: Schema.Array(Schema.Literals(["small", "webshop-ci", "alfworld-ci", "2x64"])),
  engines: Schema.Array(Schema.Literals(["native", "cpu"])),
  only: Schema.Array(Part)
})
type Args = typeof Args.Type

const usage =
  "usage: core.bench.ts [--compare-torch] [--seconds S] [--threads N] [--configs small,webshop-ci,alfworld-ci,2x64] [--engines native,cpu] [train|forward|generate|peak ...]"

const parseArgs = (argv: ReadonlyArray<string>): Args => {
  const raw = {
    compareTorch: false,
    seconds: 5,
    threads: os.availableParallelism(),
    configs: ["small", "webshop-ci", "alfworld-ci", "2x64"] as Array<string>,
    engines: ["native", "cpu"] as Array<string>,
    only: [] as Array<string>
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a === "--compare-torch") raw.compareTorch = true
    else if (a === "--seconds") raw.seconds = Number(argv[++i])
    else if (a === "--threads") raw.threads = Number(argv[++i])
    else if (a === "--configs") raw.configs = (argv[++i] ?? "").split(",")
    else if (a === "--engines") raw.engines = (argv[++i] ?? "").split(",")
    else if (a.startsWith("--")) throw new Error(`unknown flag ${a}; ${usage}`)
    else raw.only.push(a)
  }
  try {
    return Schema.decodeUnknownSync(Args)(raw)
  } catch (e) {
    throw new Error(`bad arguments: ${(e as Error).message.split("\n")[0]}; ${usage}`)
  }
}

const ModelOfConfig = Schema.Struct({
  model: Schema.Struct({ nLayer: Schema.Number, nEmbd: Schema.Number, nHead: Schema.Number, nPositions: Schema.Number, vocabSize: Schema.Number })
})

/** The model of an experiment config (packages/strategies/src/configs/<name>.json). */
const experimentModel = (name: string): GPTConfig => {
  const file = path.join(repoRoot(), "packages", "strategies", "src", "configs", `${name}.json`)
  try {
    const { model } = Schema.decodeUnknownSync(ModelOfConfig)(JSON.parse(fs.readFileSync(file, "utf8")))
    return defaultConfig(model)
  } catch (e) {
    throw new Error(`${path.relative(process.cwd(), file)}: ${(e as Error).message.split("\n")[0]}`)
  }
}

/**
 * "small": the default GPT-2 (4 x 128, context 512, vocab 4096); the ci configs' models as their files
 * say; "2x64": the smallest ci model the experiments have used (2 x 64, context 512, vocab 1024).
 */
const modelFor = (name: Args["configs"][number]): GPTConfig =>
  name === "small"
    ? defaultConfig()
    : name === "2x64"
      ? defaultConfig({ nLayer: 2, nEmbd: 64, nHead: 4, nPositions: 512, vocabSize: 1024 })
      : experimentModel(name)

const emit = (record: Record<string, unknown>) => console.log(JSON.stringify(record))
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits

/**
 * Mean wall milliseconds per call of `fn` over about `seconds` (tinybench,
 * after one warm-up call), and the mean CPU milliseconds of the process per call.
 */
const measure = async (name: string, fn: () => void, seconds: number): Promise<{ ms: number; cpuMs: number }> => {
  let cpu = 0
  let calls = 0
  const timed = () => {
    const c0 = process.cpuUsage()
    fn()
    const c = process.cpuUsage(c0)
    cpu += (c.user + c.system) / 1000
    calls++
  }
  const bench = new Bench({ time: seconds * 1000, iterations: 2, warmupIterations: 1, warmupTime: 0 })
  bench.add(name, timed)
  await bench.run()
  const result = bench.tasks[0]!.result
  if (result.state !== "completed") throw new Error(`benchmark ${name} did not complete (${result.state})`)
  return { ms: result.latency.mean, cpuMs: cpu / calls }
}

/** Matrix-product FLOPs per token of a forward pass, counted as the torch reference counts them (attention in full). */
const flopPerToken = (c: GPTConfig, T: number) => 2 * (12 * c.nLayer * c.nEmbd * c.nEmbd + c.vocabSize * c.nEmbd) + 2 * (2 * c.nLayer * T * c.nEmbd)

/** One figure of one engine on one config: the table and the targets read these. */
interface Figure {
  readonly config: string
  readonly engine: string
  readonly part: "train" | "forward" | "prefill-b1" | "prefill-b8" | "decode-b1" | "decode-b8"
  readonly tokensPerS: number
  readonly gflops?: number
}

const B = 8

const benchEngine = async (
  args: Args,
  configName: string,
  config: GPTConfig,
  engineName: "native" | "cpu",
  peak: Peak | undefined,
  want: (p: Part) => boolean
): Promise<Array<Figure>> => {
  const figures: Array<Figure> = []
  const T = config.nPositions
  const V = config.vocabSize
  const engine: Engine =
    engineName === "native"
      ? await makeNativeEngine(config, initParams(config, 0), { threads: args.threads })
      : await makeCpuEngine(config, initParams(config, 0), { threads: args.threads })
  const isa = "isa" in engine ? { isa: (engine as { isa: string }).isa } : {}
  const common = { config: configName, engine: engineName, ...isa, vocab: V, ctx: T, dim: config.nEmbd, layers: config.nLayer, heads: config.nHead, threads: args.threads }
  const rng = (i: number) => (Math.imul(i + 1, 2654435761) >>> 8) % V
  const tokens = Int32Array.from({ length: B * T }, (_, i) => rng(i))
  const targets = Int32Array.from({ length: B * T }, (_, i) => (i % T === T - 1 ? -1 : tokens[i + 1]!))
  const batch: TokenBatch = { tokens, targets, B, T }
  const dLogprobs = new Float32Array(B * T).fill(-1 / (B * T))
  const adam = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, maxGradNorm: 1 }
  const flop = flopPerToken(config, T)
  const efficiency = (f: number, ms: number, cpuMs: number) => {
    const gflops = f / ms / 1e6
    return {
      cpu_ms: round(cpuMs),
      gflops: round(gflops, 2),
      gflops_per_cpu_s: round(f / cpuMs / 1e6, 2),
      ...(peak ? { share_of_peak: round(gflops / peak.gflops, 3) } : {})
    }
  }
  try {
    if (want("train")) {
      const { ms, cpuMs } = await measure(
        "train",
        () => {
          engine.zeroGrad()
          engine.forwardBackward(batch, (o) => {
            let loss = 0
            for (let i = 0; i < o.logprobs.length; i++) loss -= o.logprobs[i]!
            return { loss: loss / (B * T), dLogprobs }
          })
          engine.step(adam)
        },
        args.seconds
      )
      const e = efficiency(3 * flop * B * T, ms, cpuMs)
      figures.push({ config: configName, engine: engineName, part: "train", tokensPerS: (B * T * 1000) / ms, gflops: e.gflops })
      emit({ bench: "train", ...common, batch: B, ms_per_step: round(ms), tokens_per_s: round((B * T * 1000) / ms), ...e })
    }
    if (want("forward")) {
      const { ms, cpuMs } = await measure("forward", () => engine.forward(batch), args.seconds)
      const e = efficiency(flop * B * T, ms, cpuMs)
      figures.push({ config: configName, engine: engineName, part: "forward", tokensPerS: (B * T * 1000) / ms, gflops: e.gflops })
      emit({ bench: "forward", ...common, batch: B, ms_per_batch: round(ms), tokens_per_s: round((B * T * 1000) / ms), ...e })
    }
    if (want("generate")) {
      const prompt = Math.floor((T * 3) / 4)
      const fresh = T - prompt
      for (const GB of [1, 8] as const) {
        let prefillMs = 0
        let decodeMs = 0
        let calls = 0
        await measure(
          `generate-b${GB}`,
          () => {
            const session = engine.decoder(GB, prompt + fresh)
            const t0 = performance.now()
            let logits = session.feed(Array.from({ length: GB }, (_, b) => tokens.slice(b * T, b * T + prompt)))
            const t1 = performance.now()
            for (let s = 0; s < fresh; s++) {
              const next: Array<Int32Array> = []
              for (let b = 0; b < GB; b++) {
                let best = 0
                for (let v = 1; v < V; v++) if (logits[b * V + v]! > logits[b * V + best]!) best = v
                next.push(Int32Array.of(best))
              }
              logits = session.feed(next)
            }
            // the first (warm-up) call is left out of the split
            if (calls++ > 0) {
              prefillMs += t1 - t0
              decodeMs += performance.now() - t1
            }
            session.dispose()
          },
          args.seconds
        )
        prefillMs /= calls - 1
        decodeMs /= calls - 1
        const prefillTps = (GB * prompt * 1000) / prefillMs
        const decodeTps = (GB * fresh * 1000) / decodeMs
        figures.push({ config: configName, engine: engineName, part: GB === 1 ? "prefill-b1" : "prefill-b8", tokensPerS: prefillTps })
        figures.push({ config: configName, engine: engineName, part: GB === 1 ? "decode-b1" : "decode-b8", tokensPerS: decodeTps })
        emit({
          bench: "generate",
          ...common,
          batch: GB,
          prompt_tokens: prompt,
          new_tokens: fresh,
          prefill_ms: round(prefillMs),
          prefill_tokens_per_s: round(prefillTps),
          decode_ms: round(decodeMs),
          new_tokens_per_s: round(decodeTps)
        })
      }
    }
  } finally {
    engine.dispose()
  }
  return figures
}

const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined && b > 0 ? a / b : undefined)
const fmt = (x: number | undefined, digits = 0) => (x === undefined ? "-" : x.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits }))

/** The figures as a table: tokens/s per engine, the ratios, and the native engine's share of the peak. */
const table = (figures: ReadonlyArray<Figure>, peak: Peak | undefined): string => {
  const get = (config: string, part: Figure["part"], engine: string) => figures.find((f) => f.config === config && f.part === part && f.engine === engine)
  const rows: Array<Array<string>> = [["config", "part", "native tok/s", "wasm tok/s", "torch tok/s", "native/wasm", "native/torch", "native GFLOP/s", "share of peak"]]
  const seen = new Set<string>()
  for (const f of figures) {
    const key = `${f.config} ${f.part}`
    if (seen.has(key)) continue
    seen.add(key)
    const n = get(f.config, f.part, "native")
    const w = get(f.config, f.part, "cpu")
    const t = get(f.config, f.part, "torch")
    rows.push([
      f.config,
      f.part,
      fmt(n?.tokensPerS),
      fmt(w?.tokensPerS),
      fmt(t?.tokensPerS),
      fmt(ratio(n?.tokensPerS, w?.tokensPerS), 2),
      fmt(ratio(n?.tokensPerS, t?.tokensPerS), 2),
      fmt(n?.gflops, 1),
      fmt(peak && n?.gflops !== undefined ? n.gflops / peak.gflops : undefined, 3)
    ])
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
  return rows.map((r) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ")).join("\n")
}

/** The targets on config small (native against the WebAssembly engine in this run). */
const targets = (figures: ReadonlyArray<Figure>, peak: Peak | undefined, nativeRssMib: number | undefined) => {
  const get = (config: string, part: Figure["part"], engine: string) => figures.find((f) => f.config === config && f.part === part && f.engine === engine)
  const vs = (config: string, part: Figure["part"]) => ratio(get(config, part, "native")?.tokensPerS, get(config, part, "cpu")?.tokensPerS)
  const checks: Array<[string, number | undefined, number]> = [
    ["small train native/wasm", vs("small", "train"), 2],
    ["small train share of peak", peak ? ratio(get("small", "train", "native")?.gflops, peak.gflops) : undefined, 0.45],
    ["small prefill-b8 native/wasm", vs("small", "prefill-b8"), 2],
    ["small forward native/wasm", vs("small", "forward"), 2],
    ["small decode-b1 native/wasm", vs("small", "decode-b1"), 1.5]
  ]
  for (const config of ["webshop-ci", "alfworld-ci", "2x64"]) {
    for (const part of ["train", "forward", "prefill-b8", "decode-b1", "decode-b8"] as const) checks.push([`${config} ${part} native/wasm`, vs(config, part), 1])
  }
  for (const [target, value, need] of checks) {
    if (value !== undefined) emit({ bench: "target", target, value: round(value, 3), need, ok: value >= need })
  }
  if (nativeRssMib !== undefined) emit({ bench: "target", target: "native engine peak memory MiB (its configs, before the WebAssembly runs)", value: nativeRssMib, need: "<= 2048", ok: nativeRssMib <= 2048 })
}

export const runCoreBench = async (argv: ReadonlyArray<string>): Promise<void> => {
  const args = parseArgs(argv)
  const want = (k: Part) => args.only.length === 0 || args.only.includes(k)
  const native = loadNative()
  const engines = args.engines.filter((e) => e !== "native" || native.ok)
  if (args.engines.includes("native") && !native.ok) emit({ bench: "native", skipped: native.reason })

  const peak = want("peak") ? machinePeak(native.ok ? native.binding : undefined, args.threads) : undefined
  if (peak) for (const line of peak.lines) emit(line)

  const figures: Array<Figure> = []
  let nativeRssMib: number | undefined
  // the native engine first, so that the process's peak memory after it is its own
  for (const engineName of engines) {
    for (const configName of args.configs) {
      figures.push(...(await benchEngine(args, configName, modelFor(configName), engineName, peak, want)))
    }
    const rss = round(process.resourceUsage().maxRSS / 1024, 0)
    if (engineName === "native") nativeRssMib = rss
    emit({ bench: "peak-rss", engine: engineName, after: args.configs.join(","), peak_rss_mib: rss })
  }

  if (args.compareTorch) {
    if (!torchAvailable()) emit({ bench: "compare-torch", skipped: "no torch for the python3 in use, or no ../shared/bench/torch_gpt_reference.py" })
    else {
      for (const configName of args.configs) {
        const config = modelFor(configName)
        for (const mode of ["train", "forward"] as const) {
          if (!want(mode)) continue
          const t = torchRun(config, B, mode, args.seconds, args.threads)
          figures.push({ config: configName, engine: "torch", part: mode, tokensPerS: t.tokens_per_s, gflops: t.gflops })
          const mine = figures.find((f) => f.config === configName && f.part === mode && f.engine === "native")
          emit({
            bench: "compare-torch",
            config: configName,
            mode,
            torch: t.torch,
            torch_tokens_per_s: t.tokens_per_s,
            torch_gflops: t.gflops,
            ...(peak ? { torch_share_of_peak: round(t.gflops / peak.gflops, 3) } : {}),
            native_tokens_per_s: mine ? round(mine.tokensPerS) : null,
            ratio: mine ? round(mine.tokensPerS / t.tokens_per_s, 2) : null
          })
        }
      }
      emit({ bench: "compare-torch", note: "the torch reference has no KV-cache decoding: prefill and decoding compare native with WebAssembly only" })
    }
  }
  targets(figures, peak, nativeRssMib)
  console.log("")
  console.log(table(figures, peak))
  if (peak) console.log(`peak: ${peak.gflops.toFixed(1)} GFLOP/s (${peak.source}); GFLOP/s count matrix products as the torch reference does (attention in full)`)
}
