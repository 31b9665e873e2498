/**
 * `tsx packages/policy/src/cpu/selfcheck.ts [threads]`: builds a small cpu
 * engine with worker threads, runs one forward pass and prints one JSON line
 * (thread count and the summed log-probs). Shows that the kernel workers start
 * under the tsx CLI, as the tests show they do under vitest.
 */
import { defaultConfig, initParams } from "../Init"
import { makeCpuEngine } from "./index"

export const selfCheckConfig = defaultConfig({ vocabSize: 97, nPositions: 32, nEmbd: 32, nLayer: 2, nHead: 4 })

export const selfCheckBatch = () => {
  const B = 4
  const T = 32
  const tokens = Int32Array.from({ length: B * T }, (_, i) => (i * 31 + 7) % 97)
  const targets = Int32Array.from({ length: B * T }, (_, i) => (i * 17 + 3) % 97)
  return { tokens, targets, B, T }
}

export const selfCheck = async (threads: number): Promise<{ threads: number; sumLogprobs: number }> => {
  const engine = await makeCpuEngine(selfCheckConfig, initParams(selfCheckConfig, 3), { threads })
  try {
    const out = engine.forward(selfCheckBatch())
    let s = 0
    for (const x of out.logprobs) s += x
    return { threads, sumLogprobs: s }
  } finally {
    engine.dispose()
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop()!)) {
  const threads = Number(process.argv[2] ?? 2)
  if (!Number.isInteger(threads) || threads < 1) {
    console.error(`selfcheck: threads must be a positive integer, got ${process.argv[2]}`)
    process.exit(1)
  }
  console.log(JSON.stringify(await selfCheck(threads)))
}
