/**
 * Engine selection. `native` is our C++ engine (./native, AVX-512 / AVX2 /
 * portable kernels through a Node addon built by `pnpm install`); `cpu` is our
 * WebAssembly engine (./cpu); `tfjs` runs GPT-2 through @tensorflow/tfjs (GPU
 * when the native bindings are present). `auto` picks tfjs when a tfjs GPU
 * backend loads, else native when its addon loads, else cpu, else (no cpu
 * engine in this build) tfjs on whatever backend it has.
 */
import * as fs from "node:fs"
import { fileURLToPath } from "node:url"
import { Schema } from "effect"
import type { Engine, GPTConfig, Params } from "./Engine"
import { loadNative } from "./native/Binding"
import { hasTfjsGpu, makeTfjsEngine } from "./tfjs/index"

export const EngineKind = Schema.Literals(["auto", "native", "cpu", "tfjs"])
export type EngineKind = typeof EngineKind.Type

/** The engines `--engine` accepts, and what each is (for flag help). */
export const engineHelp =
  "Compute engine: native (our C++ kernels, AVX-512/AVX2), cpu (our WebAssembly kernels), tfjs (@tensorflow/tfjs, GPU when available), auto (tfjs on a GPU, else native when built, else cpu)"

export interface EngineOptions {
  /** Initialisation seed when no parameters are given. */
  readonly seed?: number
}

type CpuFactory = (config: GPTConfig, params?: Params, options?: Record<string, unknown>) => Engine | Promise<Engine>

const cpuModuleUrl = new URL("./cpu/index.ts", import.meta.url)

/** The cpu engine's factory, when this build has one. */
export const loadCpuFactory = async (): Promise<CpuFactory | undefined> => {
  if (!fs.existsSync(fileURLToPath(cpuModuleUrl))) return undefined
  const mod = (await import(/* @vite-ignore */ cpuModuleUrl.href)) as { makeCpuEngine?: CpuFactory }
  return mod.makeCpuEngine
}

/** Whether the native engine's addon loads here (and, if not, why). */
export const nativeStatus = (): { available: boolean; reason?: string } => {
  const l = loadNative()
  return l.ok ? { available: true } : { available: false, reason: l.reason }
}

/** Which engine `auto` resolves to here. */
export const resolveKind = async (kind: EngineKind): Promise<"native" | "cpu" | "tfjs"> => {
  if (kind !== "auto") return kind
  if (await hasTfjsGpu()) return "tfjs"
  if (loadNative().ok) return "native"
  return (await loadCpuFactory()) ? "cpu" : "tfjs"
}

export const makeEngine = async (kind: EngineKind, config: GPTConfig, params?: Params, options: EngineOptions = {}): Promise<Engine> => {
  const resolved = await resolveKind(kind)
  if (resolved === "tfjs") return makeTfjsEngine(config, params, options)
  const initial = async () => params ?? (await import("./Init")).initParams(config, options.seed ?? 0)
  if (resolved === "native") {
    const { makeNativeEngine } = await import("./native/index")
    return makeNativeEngine(config, await initial())
  }
  const factory = await loadCpuFactory()
  if (!factory) throw new Error("the cpu engine is not part of this build; use --engine tfjs")
  return factory(config, await initial())
}
