/**
 * `pnpm bench:core`: the policy engines side by side in one run — native (C++
 * kernels), cpu (WebAssembly) and, with `--compare-torch`, PyTorch — on the
 * "small" GPT-2 and the ci configs' models: training, forward, KV-cache prefill
 * and batch-1 / batch-8 decoding tokens/s, GFLOP/s, each engine's share of the
 * machine's float32 peak, peak memory, then a table and the targets. One JSON
 * line per measurement. Flags: --seconds S, --threads N, --configs a,b,
 * --engines native,cpu, and optionally which parts to run (train forward
 * generate peak).
 */
import { runCoreBench } from "../packages/policy/src/cpu/bench"

try {
  await runCoreBench(process.argv.slice(2))
} catch (e) {
  console.error(`bench:core: ${(e as Error).message}`)
  process.exit(1)
}
