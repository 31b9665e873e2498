/**
 * `pnpm bench:fuzz [--inputs N] [--seed S] [--target NAME]`: runs every fuzz
 * target (test/fuzz/) for N inputs (default 10,000), counting each failing
 * input, and prints one JSON line per target:
 * `{target, inputs, failures, seconds, outcomes}` (plus the first failure,
 * shortened, when there is one). Exits 1 when any input failed.
 */
import { Schema } from "effect"
import { runTarget } from "../test/fuzz/Target"
import { targets } from "../test/fuzz/targets"
import { parseFlags } from "./flags"

const Options = Schema.Struct({
  inputs: Schema.optionalKey(Schema.NumberFromString.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(1))),
  seed: Schema.optionalKey(Schema.NumberFromString.check(Schema.isInt())),
  target: Schema.optionalKey(Schema.Literals(targets.map((t) => t.name)))
})

const options = parseFlags("bench:fuzz", Options, process.argv.slice(2))
let failed = 0
for (const target of targets) {
  if (options.target !== undefined && target.name !== options.target) continue
  const r = await runTarget(target, options.inputs ?? 10_000, options.seed ?? 1)
  failed += r.failures
  console.log(JSON.stringify({ ...r, seconds: Number(r.seconds.toFixed(2)) }))
}
process.exitCode = failed > 0 ? 1 : 0
