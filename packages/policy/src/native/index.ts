/**
 * The `native` engine: GPT-2 on our C++ kernels (AVX-512 / AVX2 + FMA /
 * portable, chosen at run time) through a Node addon built by `pnpm install`.
 *
 *   const engine = await makeNativeEngine(config, initParams(config, seed), { threads: 2 })
 */
import * as os from "node:os"
import type { GPTConfig, Params } from "../Engine"
import { initParams } from "../Init"
import { nativeBinding } from "./Binding"
import { NativeEngine, type NativeEngineOptions } from "./NativeEngine"

export { loadNative, NativeEngineError } from "./Binding"
export { NativeEngine, type NativeEngineOptions } from "./NativeEngine"

/**
 * Builds a native engine for `config`, loaded with `params` (default: GPT-2
 * initialisation with seed 0). Throws a NativeEngineError when the addon is
 * unavailable or the instruction set asked for (`options.isa`, else
 * ETO_NATIVE_ISA) does not run here.
 */
export const makeNativeEngine = async (config: GPTConfig, params?: Params, options: NativeEngineOptions = {}): Promise<NativeEngine> => {
  const engine = new NativeEngine(nativeBinding(), config, {
    threads: options.threads ?? os.availableParallelism(),
    isa: options.isa ?? process.env.ETO_NATIVE_ISA
  })
  try {
    engine.setParams(params ?? initParams(config, 0))
    return engine
  } catch (e) {
    engine.dispose()
    throw e
  }
}
