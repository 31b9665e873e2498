/**
 * `eto bench <env> [--scale smoke|ci|paper] [--seeds N]`: every method of
 * the environment's experiment configuration for that scale, then the
 * result tables, the report and its figures (bench/Bench.ts).
 */
import { EnvName } from "@eto/core"
import { Config, Runner } from "@eto/strategies"
import { Effect, Option, Schema } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { defaultDirs, runBench } from "../bench/Bench"
import { CommandFailed } from "../Errors"
import { println } from "../Io"

export const benchCommand = Command.make(
  "bench",
  {
    env: Argument.String("env").pipe(Argument.withDescription("Environment (webshop, sciworld, alfworld)")),
    scale: Flag.String("scale").pipe(
      Flag.withDefault("ci"),
      Flag.withDescription("smoke (minutes, runs in the tests), ci (the committed results), paper (full splits); default ci")
    ),
    seeds: Flag.Int("seeds").pipe(Flag.optional, Flag.withDescription("Run seeds 1..N (default: the configuration's seeds)")),
    runs: Flag.String("runs").pipe(Flag.optional, Flag.withMetavar("dir"), Flag.withDescription("Phase directory (default: $ETO_RUNS_DIR, else runs/)")),
    results: Flag.String("results").pipe(Flag.optional, Flag.withMetavar("dir"), Flag.withDescription("CSV directory (default: results/<env> for ci, results/<env>/<scale> otherwise)")),
    reports: Flag.String("reports").pipe(Flag.optional, Flag.withMetavar("dir"), Flag.withDescription("Report directory (default: reports for ci, reports/<scale> otherwise)")),
    config: Flag.String("config").pipe(Flag.optional, Flag.withMetavar("file"), Flag.withDescription("Experiment configuration (default: packages/strategies/src/configs/<env>-<scale>.json)"))
  },
  (args) =>
    Effect.gen(function*() {
      const env = Schema.decodeUnknownOption(EnvName)(args.env)
      if (Option.isNone(env)) return yield* new CommandFailed({ reason: `unknown environment '${args.env}' (webshop, sciworld, alfworld)` })
      const scale = Schema.decodeUnknownOption(Config.Scale)(args.scale)
      if (Option.isNone(scale)) return yield* new CommandFailed({ reason: `--scale must be smoke, ci or paper (got '${args.scale}')` })
      const seeds = Option.getOrUndefined(args.seeds)
      if (seeds !== undefined && !(seeds >= 1)) return yield* new CommandFailed({ reason: `--seeds must be at least 1 (got ${seeds})` })
      const dirs = defaultDirs(env.value, scale.value)
      const r = yield* runBench({
        env: env.value,
        scale: scale.value,
        seeds,
        runsDir: Option.getOrUndefined(args.runs) ?? Runner.defaultRunsDir(),
        resultsDir: Option.getOrUndefined(args.results) ?? dirs.resultsDir,
        reportsDir: Option.getOrUndefined(args.reports) ?? dirs.reportsDir,
        configFile: Option.getOrUndefined(args.config),
        log: (line) => process.stderr.write(`${line}\n`)
      })
      for (const f of r.written) yield* println(`wrote ${f}`)
    })
).pipe(Command.withDescription("Run every method of an environment's experiment and write results, report and figures"))
