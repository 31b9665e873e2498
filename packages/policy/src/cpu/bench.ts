/**
 * Speed of the cpu engine on the "small" GPT-2 (vocab 4096, context 512,
 * width 128, 4 layers, 4 heads, batch 8): training steps, forward passes,
 * KV-cache generation, achieved GFLOP/s against the machine's dense matmul
 * rate (numpy float32 1024x1024, measured in the same run), peak RSS, and,
 * with --compare-torch, PyTorch's figures from the same run and the ratios.
 * Prints one JSON line per measurement. Driven by benchmarks/core.bench.ts.
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import { Schema } from "effect"
import { Bench } from "tinybench"
import type { TokenBatch } from "../Engine"
import { defaultConfig, initParams } from "../Init"
import { makeCpuEngine } from "./index"

const PYTHON = "/usr/bin/python3"
const TORCH_SCRIPT = "/work/shared/bench/torch_gpt_reference.py"

const Args = Schema.Struct({
  compareTorch: Schema.Boolean,
  seconds: Schema.Number.check(Schema.isGreaterThan(0)),
  threads: Schema.Number.check(Schema.isInt(), Schema.isGreaterThan(0)),
  only: Schema.Array(Schema.Literals(["train", "forward", "generate", "peak"]))
})

const usage = "usage: core.bench.ts [--compare-torch] [--seconds S] [--threads N] [train|forward|generate|peak ...]"

const parseArgs = (argv: ReadonlyArray<string>) => {
  const raw: { compareTorch: boolean; seconds: number; threads: number; only: Array<string> } = {
    compareTorch: false,
    seconds: 10,
    threads: os.availableParallelism(),
    only: []
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a === "--compare-torch") raw.compareTorch = true
    else if (a === "--seconds") raw.seconds = Number(argv[++i])
    else if (a === "--threads") raw.threads = Number(argv[++i])
    else if (a.startsWith("--")) throw new Error(`unknown flag ${a}; ${usage}`)
    else raw.only.push(a)
  }
  try {
    return Schema.decodeUnknownSync(Args)(raw)
  } catch (e) {
    throw new Error(`bad arguments: ${(e as Error).message.split("\n")[0]}; ${usage}`)
  }
}

const emit = (record: Record<string, unknown>) => console.log(JSON.stringify(record))

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits

/**
 * Dense float32 matmul rate of this machine through numpy (BLAS, all cores):
 * GFLOP per wall second and per CPU second of the process (the latter holds
 * up when other work shares the cores).
 */
const numpyPeak = (): { wall: number; perCpu: number } | undefined => {
  const code = [
    "import numpy as np, time",
    "a = np.random.rand(1024, 1024).astype(np.float32); b = np.random.rand(1024, 1024).astype(np.float32)",
    "for _ in range(3): a @ b",
    "n, t, c = 0, time.perf_counter(), time.process_time()",
    "while time.perf_counter() - t < 3: a @ b; n += 1",
    "f = 2 * 1024**3 * n / 1e9",
    "print(f / (time.perf_counter() - t), f / (time.process_time() - c))"
  ].join("\n")
  const r = spawnSync(PYTHON, ["-c", code], { encoding: "utf8" })
  const [wall, perCpu] = r.stdout.trim().split(/\s+/).map(Number)
  return r.status === 0 && Number.isFinite(wall) && Number.isFinite(perCpu) ? { wall: wall!, perCpu: perCpu! } : undefined
}

const TorchResult = Schema.Struct({ tokens_per_s: Schema.Number, gflops: Schema.Number, torch: Schema.String })

/** CPU seconds used so far by this process's finished children (Linux /proc). */
const childCpuSeconds = (): number => {
  const fields = fs.readFileSync("/proc/self/stat", "utf8").split(") ")[1]!.split(" ")
  // after "pid (comm) ": state is field 3, cutime and cstime are fields 16 and 17
  return (Number(fields[13]) + Number(fields[14])) / 100
}

const torchRun = (mode: "train" | "forward", seconds: number, threads: number) => {
  const cpu0 = childCpuSeconds()
  const r = spawnSync(PYTHON, [TORCH_SCRIPT, "--mode", mode, "--seconds", String(seconds), "--threads", String(threads)], {
    encoding: "utf8"
  })
  if (r.status !== 0) throw new Error(`torch reference (${mode}) failed: ${r.stderr.trim().split("\n").pop()}`)
  const line = r.stdout.trim().split("\n").pop() ?? ""
  return { ...Schema.decodeUnknownSync(TorchResult)(JSON.parse(line)), cpuSeconds: childCpuSeconds() - cpu0 }
}

const torchAvailable = () => spawnSync(PYTHON, ["-c", "import torch"], { encoding: "utf8" }).status === 0 && fs.existsSync(TORCH_SCRIPT)

/**
 * Mean wall milliseconds per call of `fn` over about `seconds` (tinybench,
 * after one warm-up call), and the mean CPU milliseconds of the whole process
 * (all threads) per call.
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

export const runCoreBench = async (argv: ReadonlyArray<string>): Promise<void> => {
  const args = parseArgs(argv)
  const want = (k: "train" | "forward" | "generate" | "peak") => args.only.length === 0 || args.only.includes(k)
  const config = defaultConfig()
  const B = 8
  const T = config.nPositions
  const { vocabSize: V, nEmbd: C, nLayer: L } = config
  // FLOPs per token, counted as the torch reference script does
  const dense = 12 * L * C * C + V * C
  const attn = 2 * L * T * C
  const flopFwd = 2 * dense + 2 * attn
  const common = { config: "small", vocab: V, ctx: T, dim: C, layers: L, heads: config.nHead, batch: B, threads: args.threads }

  const peak = want("peak") ? numpyPeak() : undefined
  if (peak !== undefined) {
    emit({ bench: "numpy-matmul-1024", gflops: round(peak.wall, 2), gflops_per_cpu_s: round(peak.perCpu, 2) })
  }

  const engine = await makeCpuEngine(config, initParams(config, 0), { threads: args.threads })
  const rng = (i: number) => (Math.imul(i + 1, 2654435761) >>> 8) % V
  const tokens = Int32Array.from({ length: B * T }, (_, i) => rng(i))
  const targets = Int32Array.from({ length: B * T }, (_, i) => (i % T === T - 1 ? -1 : tokens[i + 1]!))
  const batch: TokenBatch = { tokens, targets, B, T }
  const dLogprobs = new Float32Array(B * T).fill(-1 / (B * T))
  const adam = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, maxGradNorm: 1 }
  const results: Record<string, number> = {}
  /** GFLOP/s (wall and per CPU second) of `flop` done in `ms` wall / `cpuMs` CPU, and their shares of numpy's rates. */
  const efficiency = (flop: number, ms: number, cpuMs: number) => {
    const wall = flop / ms / 1e6
    const perCpu = flop / cpuMs / 1e6
    return {
      cpu_ms: round(cpuMs),
      gflops: round(wall, 2),
      gflops_per_cpu_s: round(perCpu, 2),
      ...(peak ? { share_of_numpy_peak: round(wall / peak.wall, 3), share_of_numpy_per_cpu_s: round(perCpu / peak.perCpu, 3) } : {})
    }
  }

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
    const tps = (B * T * 1000) / ms
    results.train = tps
    results.trainPerCpu = (B * T * 1000) / cpuMs
    emit({
      bench: "train",
      engine: "cpu",
      ...common,
      ms_per_step: round(ms),
      tokens_per_s: round(tps),
      ...efficiency(3 * flopFwd * B * T, ms, cpuMs),
      peak_rss_mib: round(process.resourceUsage().maxRSS / 1024, 0)
    })
  }

  if (want("forward")) {
    const { ms, cpuMs } = await measure("forward", () => engine.forward(batch), args.seconds)
    const tps = (B * T * 1000) / ms
    results.forward = tps
    results.forwardPerCpu = (B * T * 1000) / cpuMs
    emit({
      bench: "forward",
      engine: "cpu",
      ...common,
      ms_per_batch: round(ms),
      tokens_per_s: round(tps),
      ...efficiency(flopFwd * B * T, ms, cpuMs)
    })
  }

  if (want("generate")) {
    const prompt = 384
    const fresh = 128
    for (const GB of [1, 8]) {
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
        Math.min(args.seconds, 5)
      )
      prefillMs /= calls - 1
      decodeMs /= calls - 1
      emit({
        bench: "generate",
        engine: "cpu",
        ...common,
        batch: GB,
        prompt_tokens: prompt,
        new_tokens: fresh,
        prefill_ms: round(prefillMs),
        prefill_tokens_per_s: round((GB * prompt * 1000) / prefillMs),
        decode_ms: round(decodeMs),
        new_tokens_per_s: round((GB * fresh * 1000) / decodeMs)
      })
    }
  }
  engine.dispose()
  emit({ bench: "peak-rss", engine: "cpu", peak_rss_mib: round(process.resourceUsage().maxRSS / 1024, 0) })

  if (args.compareTorch) {
    if (!torchAvailable()) {
      emit({ bench: "compare-torch", skipped: `no torch for ${PYTHON} or no ${TORCH_SCRIPT}` })
      return
    }
    for (const mode of ["train", "forward"] as const) {
      const mine = results[mode]
      const mineCpu = results[`${mode}PerCpu`]
      if (mine === undefined || mineCpu === undefined) continue
      const t = torchRun(mode, args.seconds, args.threads)
      // The script's whole CPU time (import and 2 warm-up steps included) against its timed
      // tokens plus the warm-up's: a per-CPU-second rate that holds up when the cores are shared.
      const torchTokens = t.tokens_per_s * args.seconds + 2 * B * T
      const torchPerCpu = torchTokens / t.cpuSeconds
      emit({
        bench: "compare-torch",
        mode,
        torch: t.torch,
        torch_tokens_per_s: t.tokens_per_s,
        torch_gflops: t.gflops,
        torch_tokens_per_cpu_s: round(torchPerCpu),
        cpu_tokens_per_s: round(mine),
        cpu_tokens_per_cpu_s: round(mineCpu),
        ratio: round(mine / t.tokens_per_s, 2),
        ratio_per_cpu_s: round(mineCpu / torchPerCpu, 2)
      })
    }
  }
}
