/**
 * The `cpu` engine: GPT-2 on WebAssembly SIMD kernels across all cores.
 *
 *   const engine = await makeCpuEngine(defaultConfig(), initParams(config, seed), { threads: 2 })
 */
import type { GPTConfig, Params } from "../Engine"
import { initParams } from "../Init"
import { CpuEngine, type CpuEngineOptions } from "./CpuEngine"
import { Runtime } from "./Runtime"

export { CpuEngine, type CpuEngineOptions } from "./CpuEngine"
export { CpuEngineError } from "./Runtime"

/**
 * Builds a cpu engine for `config`, loaded with `params` (default: GPT-2
 * initialisation with seed 0). `options.threads` sets how many threads run
 * each kernel (default: os.availableParallelism()).
 */
export const makeCpuEngine = async (config: GPTConfig, params?: Params, options: CpuEngineOptions = {}): Promise<CpuEngine> => {
  const rt = await Runtime.make(options)
  try {
    const engine = new CpuEngine(rt, config)
    engine.setParams(params ?? initParams(config, 0))
    return engine
  } catch (e) {
    rt.dispose()
    throw e
  }
}
