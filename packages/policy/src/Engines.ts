/**
 * Engine selection. `tfjs` runs GPT-2 through @tensorflow/tfjs (GPU when the
 * native bindings are present); `cpu` is our own CPU engine (./cpu); `auto`
 * picks tfjs when a tfjs GPU backend loads, else cpu, else (no cpu engine in
 * this build) tfjs on whatever backend it has.
 */
import * as fs from "node:fs"
import { fileURLToPath } from "node:url"
import { Schema } from "effect"
import type { Engine, GPTConfig, Params } from "./Engine"
import { hasTfjsGpu, makeTfjsEngine } from "./tfjs/index"

export const EngineKind = Schema.Literals(["auto", "cpu", "tfjs"])
export type EngineKind = typeof EngineKind.Type

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

/** Which engine `auto` resolves to here. */
export const resolveKind = async (kind: EngineKind): Promise<"cpu" | "tfjs"> => {
  if (kind !== "auto") return kind
  if (await hasTfjsGpu()) return "tfjs"
  return (await loadCpuFactory()) ? "cpu" : "tfjs"
}

export const makeEngine = async (kind: EngineKind, config: GPTConfig, params?: Params, options: EngineOptions = {}): Promise<Engine> => {
  const resolved = await resolveKind(kind)
  if (resolved === "tfjs") return makeTfjsEngine(config, params, options)
  const factory = await loadCpuFactory()
  if (!factory) throw new Error("the cpu engine is not part of this build; use --engine tfjs")
  if (params) return factory(config, params)
  const { initParams } = await import("./Init")
  return factory(config, initParams(config, options.seed ?? 0))
}
