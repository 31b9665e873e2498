/**
 * What `pnpm bench:core` (../cpu/bench.ts) measures outside the engines: the
 * machine's float32 peak and the PyTorch reference.
 *
 * The peak is numpy's float32 matrix product on square matrices of 512, 1024
 * and 2048 (the best of the three), run in a python subprocess whose
 * environment has OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed (they force
 * an older, slower OpenBLAS kernel); without numpy, our own best kernel (the
 * native engine's product) on the same sizes. Our kernel's figure is reported
 * beside numpy's either way.
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { repoRoot } from "@eto/core/Paths"
import { Schema } from "effect"
import type { GPTConfig } from "../Engine"
import type { NativeBinding } from "./Binding"

/** The python with numpy and torch (ETO_PYTHON, else Debian's). */
const python = () => process.env.ETO_PYTHON ?? "/usr/bin/python3"
const torchScript = () => path.resolve(repoRoot(), "..", "shared", "bench", "torch_gpt_reference.py")

export interface Peak {
  readonly gflops: number
  readonly source: string
  /** JSON lines describing every measurement behind it. */
  readonly lines: ReadonlyArray<Record<string, unknown>>
}

const SIZES = [512, 1024, 2048] as const

const NumpyRates = Schema.Array(Schema.Struct({ n: Schema.Number, gflops: Schema.Number }))

/** numpy's float32 matmul GFLOP/s at each size, or undefined without numpy. */
const numpyRates = (seconds: number): ReadonlyArray<{ n: number; gflops: number }> | undefined => {
  const code = [
    "import json, time, numpy as np",
    "out = []",
    `for n in ${JSON.stringify(SIZES)}:`,
    "    a = np.random.rand(n, n).astype(np.float32); b = np.random.rand(n, n).astype(np.float32)",
    "    for _ in range(3): a @ b",
    "    k, t = 0, time.perf_counter()",
    `    while time.perf_counter() - t < ${seconds}: a @ b; k += 1`,
    "    out.append({'n': n, 'gflops': 2 * n**3 * k / 1e9 / (time.perf_counter() - t)})",
    "print(json.dumps(out))"
  ].join("\n")
  const env = { ...process.env }
  delete env.OPENBLAS_CORETYPE
  delete env.OPENBLAS_L2_SIZE
  const r = spawnSync(python(), ["-c", code], { encoding: "utf8", env })
  if (r.status !== 0) return undefined
  try {
    return Schema.decodeUnknownSync(NumpyRates)(JSON.parse(r.stdout.trim().split("\n").pop() ?? ""))
  } catch {
    return undefined
  }
}

export const machinePeak = (binding: NativeBinding | undefined, threads: number): Peak | undefined => {
  const lines: Array<Record<string, unknown>> = []
  const numpy = numpyRates(2)
  for (const r of numpy ?? []) lines.push({ bench: "peak", source: "numpy float32 (OpenBLAS overrides unset)", n: r.n, gflops: Math.round(r.gflops * 10) / 10 })
  const ours = binding ? SIZES.map((n) => ({ n, gflops: binding.peak(n, 1, threads, "") })) : undefined
  for (const r of ours ?? []) lines.push({ bench: "peak", source: `native engine product (${binding!.isas()[0]})`, n: r.n, gflops: Math.round(r.gflops * 10) / 10 })
  if (!numpy && !ours) return undefined
  const best = (rs: ReadonlyArray<{ n: number; gflops: number }>) => rs.reduce((a, b) => (b.gflops > a.gflops ? b : a))
  const chosen = numpy ? { ...best(numpy), source: "numpy float32" } : { ...best(ours!), source: "our native kernel (no numpy)" }
  lines.push({ bench: "peak", chosen: chosen.source, n: chosen.n, gflops: Math.round(chosen.gflops * 10) / 10, threads })
  return { gflops: chosen.gflops, source: `${chosen.source}, ${chosen.n}^3`, lines }
}

export const torchAvailable = (): boolean =>
  fs.existsSync(torchScript()) && spawnSync(python(), ["-c", "import torch"], { encoding: "utf8" }).status === 0

const TorchResult = Schema.Struct({ tokens_per_s: Schema.Number, gflops: Schema.Number, torch: Schema.String })

/** The torch reference's tokens/s and GFLOP/s for a model, batch and mode, measured for `seconds`. */
export const torchRun = (config: GPTConfig, batch: number, mode: "train" | "forward", seconds: number, threads: number) => {
  const argv = [
    torchScript(),
    ...["--mode", mode, "--seconds", String(seconds), "--threads", String(threads), "--batch", String(batch)],
    ...["--vocab", String(config.vocabSize), "--ctx", String(config.nPositions), "--dim", String(config.nEmbd)],
    ...["--layers", String(config.nLayer), "--heads", String(config.nHead)]
  ]
  const r = spawnSync(python(), argv, { encoding: "utf8" })
  if (r.status !== 0) throw new Error(`torch reference (${mode}) failed: ${r.stderr.trim().split("\n").pop()}`)
  return Schema.decodeUnknownSync(TorchResult)(JSON.parse(r.stdout.trim().split("\n").pop() ?? ""))
}
