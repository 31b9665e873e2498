/**
 * From an experiment's outcomes to the four result tables:
 * - main.csv: every strategy's final evaluations;
 * - iterations.csv: the per-iteration evaluations of iterative strategies;
 * - contrastive_levels.csv: when the experiment compares ETO pair levels
 *   (an ETO strategy at step or mixture level), its SFT and ETO runs with
 *   level, lr and beta;
 * - self_play.csv: when the experiment has self-play strategies, those
 *   (without behavioural cloning, with the number of trajectories and pairs
 *   their stages trained on), the untuned base (without) and SFT / RFT / ETO
 *   (with).
 */
import * as path from "node:path"
import type { DataFileError, EvaluationSummary } from "@eto/core"
import type { Experiment } from "@eto/strategies"
import { Effect } from "effect"
import type { Results } from "./Aggregate"
import {
  CONTRASTIVE_LEVELS,
  type ContrastiveLevelRow,
  ITERATIONS,
  type IterationRow,
  MAIN,
  mainRow,
  SELF_PLAY,
  type SelfPlayRow,
  type TableSpec,
  writeCsv
} from "./Csv"
import { PROMPTED, promptedRows } from "./Prompted"

type Outcome = Experiment.Outcome

const base = (e: EvaluationSummary, method: string) => {
  const m = mainRow(e, method)
  return { env: m.env, method, split: m.split, seed: m.seed, avg_reward: m.avg_reward, success_rate: m.success_rate, tasks: m.tasks }
}

/** Method names of Table 5: "RFT", "ETO", "RFT+ETO", "untuned"; with a remote sampler, e.g. "RFT (openai:m samples)", not the paper's setting. */
const selfPlayName = (o: Outcome): string | undefined => {
  switch (o.strategy._tag) {
    case "self-play":
      return `${o.strategy.method.toUpperCase()}${o.strategy.sampler === undefined ? "" : ` (${o.strategy.sampler.model} samples)`}`
    case "base":
      return "untuned"
    case "sft":
      return "SFT"
    case "rft":
      return "RFT"
    case "eto":
      return o.strategy.level === "trajectory" ? "ETO" : undefined
    default:
      return undefined
  }
}

export const resultsFromOutcomes = (outcomes: ReadonlyArray<Outcome>): Results => {
  const main = outcomes.flatMap((o) => o.evaluations.map((e) => mainRow(e, o.label)))
  const iterations: Array<IterationRow> = outcomes.flatMap((o) =>
    (o.iterations ?? []).flatMap((it) => it.evaluations.map((e) => ({ ...base(e, o.label), iteration: it.iteration })))
  )
  const comparesLevels = outcomes.some((o) => o.strategy._tag === "eto" && o.strategy.level !== "trajectory")
  const levels: Array<ContrastiveLevelRow> = !comparesLevels ? [] : outcomes.flatMap((o): Array<ContrastiveLevelRow> => {
    const s = o.strategy
    if (s._tag === "sft") return o.evaluations.map((e) => ({ ...base(e, o.label), level: "none" as const, lr: null, beta: null }))
    if (s._tag === "eto") {
      return o.evaluations.map((e) => ({ ...base(e, o.label), level: s.level, lr: s.training.lr, beta: s.beta }))
    }
    return []
  })
  const hasSelfPlay = outcomes.some((o) => o.strategy._tag === "self-play")
  const selfPlay: Array<SelfPlayRow> = !hasSelfPlay ? [] : outcomes.flatMap((o): Array<SelfPlayRow> => {
    const name = selfPlayName(o)
    if (name === undefined) return []
    const withBc = o.strategy._tag === "sft" || o.strategy._tag === "rft" || o.strategy._tag === "eto"
    const data = o.strategy._tag === "self-play" ? o.data : undefined
    return o.evaluations.map((e) => ({
      ...base(e, name),
      with_bc: withBc,
      trajectories: data?.trajectories ?? null,
      pairs: data?.pairs ?? null
    }))
  })
  const prompted = promptedRows(outcomes)
  return { main, iterations, levels, selfPlay, ...(prompted.length > 0 ? { prompted } : {}) }
}

/** Writes the non-empty tables into `dir`; returns the files written. */
export const writeResultTables = (dir: string, r: Results): Effect.Effect<Array<string>, DataFileError> =>
  Effect.gen(function*() {
    const written: Array<string> = []
    const put = <A>(spec: TableSpec<A>, rows: ReadonlyArray<A>) =>
      Effect.gen(function*() {
        if (rows.length === 0) return
        const file = path.join(dir, spec.file)
        yield* writeCsv(file, spec, rows)
        written.push(file)
      })
    yield* put(MAIN, r.main)
    yield* put(ITERATIONS, r.iterations)
    yield* put(CONTRASTIVE_LEVELS, r.levels)
    yield* put(SELF_PLAY, r.selfPlay)
    yield* put(PROMPTED, r.prompted ?? [])
    return written
  })
