/**
 * `pnpm bench:core`: speed of the cpu engine (training, forward, KV-cache
 * generation, GFLOP/s, peak RSS) on the "small" GPT-2; `--compare-torch` adds
 * PyTorch's figures measured in the same run and the ratios. One JSON line
 * per measurement. Flags: --seconds S, --threads N, and optionally which
 * parts to run (train forward generate peak).
 */
import { runCoreBench } from "../packages/policy/src/cpu/bench"

try {
  await runCoreBench(process.argv.slice(2))
} catch (e) {
  console.error(`bench:core: ${(e as Error).message}`)
  process.exit(1)
}
