/**
 * The native engine's compiled addon (build/native/eto_native.node, built by
 * scripts/build-native.mjs during `pnpm install`) and its typed surface.
 * Loading never throws: a missing or unloadable addon is reported with the
 * reason, so `auto` can fall back to the WebAssembly engine.
 */
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Data } from "effect"

export class NativeEngineError extends Data.TaggedError("NativeEngineError")<{ readonly message: string }> {}

/** Opaque handles owned by the addon. */
export interface EngineHandle {
  readonly __engine: unique symbol
}
export interface SessionHandle {
  readonly __session: unique symbol
}

export interface NativeBinding {
  /** Instruction sets this CPU runs, best first: "avx512", "avx2", "portable". */
  isas(): Array<string>
  create(
    vocabSize: number,
    nPositions: number,
    nEmbd: number,
    nLayer: number,
    nHead: number,
    layerNormEps: number,
    valueHead: number,
    offsets: Float64Array,
    nParams: number,
    nDecay: number,
    threads: number,
    isa: string
  ): { handle: EngineHandle; params: ArrayBuffer; grads: ArrayBuffer; m: ArrayBuffer; v: ArrayBuffer; isa: string }
  dispose(h: EngineHandle): void
  paramsChanged(h: EngineHandle): void
  forward(h: EngineHandle, tokens: Int32Array, targets: Int32Array, B: number, T: number, mode: 0 | 2): {
    logprobs: Float32Array
    entropies: Float32Array
    values: Float32Array
  }
  forward(h: EngineHandle, tokens: Int32Array, targets: Int32Array, B: number, T: number, mode: 1): Float32Array
  backward(h: EngineHandle, N: number, dLogprobs?: Float32Array, dEntropies?: Float32Array, dValues?: Float32Array): void
  zeroGrad(h: EngineHandle): void
  gradNorm(h: EngineHandle): number
  adamw(h: EngineHandle, lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, gscale: number, bc1: number, bc2: number): void
  decoder(h: EngineHandle, B: number, maxLength: number): SessionHandle
  feed(s: SessionHandle, tokens: Int32Array, counts: Int32Array, last: Float32Array): void
  disposeDecoder(s: SessionHandle): void
  /** C (+)= op(A) op(B) with A [M, K] (or [K, M] transposed), B [K, N] (or [N, K]); for tests. */
  matmul(
    a: Float32Array,
    b: Float32Array,
    c: Float32Array,
    M: number,
    N: number,
    K: number,
    transA: number,
    transB: number,
    accumulate: number,
    threads: number,
    isa: string
  ): void
  /** GFLOP/s of our product C = A B on n x n matrices over about `seconds`. */
  peak(n: number, seconds: number, threads: number, isa: string): number
  /** CPU seconds of the calling thread per kernel label since the last call (profiling on with `on` = 1 or ETO_NATIVE_PROFILE=1). */
  profile(on?: number): Record<string, number>
}

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..")
export const addonPath = path.join(packageRoot, "build", "native", "eto_native.node")
const statusPath = path.join(packageRoot, "build", "native", "status.json")

export type NativeLoad = { readonly ok: true; readonly binding: NativeBinding } | { readonly ok: false; readonly reason: string }

let loaded: NativeLoad | undefined

/** Why the last build did not produce the addon, as its build script recorded it. */
const buildReason = (): string => {
  try {
    const status = JSON.parse(fs.readFileSync(statusPath, "utf8")) as { ok?: boolean; reason?: string }
    if (status.ok === false && typeof status.reason === "string") return status.reason
  } catch {
    // no record: never built here
  }
  return `${path.relative(process.cwd(), addonPath)} is missing (build it: pnpm --filter @eto/policy build:native)`
}

/** The addon, or why it is unavailable (ETO_NATIVE=0 disables it). Loaded once per process. */
export const loadNative = (): NativeLoad => {
  if (loaded) return loaded
  if (process.env.ETO_NATIVE === "0") loaded = { ok: false, reason: "disabled by ETO_NATIVE=0" }
  else if (!fs.existsSync(addonPath)) loaded = { ok: false, reason: buildReason() }
  else {
    try {
      const binding = createRequire(import.meta.url)(addonPath) as NativeBinding
      loaded = { ok: true, binding }
    } catch (e) {
      loaded = { ok: false, reason: `cannot load ${path.relative(process.cwd(), addonPath)}: ${(e as Error).message.split("\n")[0]}` }
    }
  }
  return loaded
}

/** The addon; throws a NativeEngineError saying why when it is unavailable. */
export const nativeBinding = (): NativeBinding => {
  const l = loadNative()
  if (!l.ok) throw new NativeEngineError({ message: `the native engine is unavailable: ${l.reason}; use --engine cpu` })
  return l.binding
}
