/**
 * Running an experiment end to end and writing its result tables, report
 * and figures: the work behind `eto bench <env>` (and `pnpm bench:webshop`).
 *
 * The experiment configuration for a scale is
 * packages/strategies/src/configs/<env>-<scale>.json; `--seeds N` runs seeds
 * 1..N. Phases are memoised under the runs directory, so a rerun reuses what
 * is finished and an interrupted run resumes.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { type EnvName, Jsonl, Paths } from "@eto/core"
import { modules } from "@eto/envs"
import { Engines } from "@eto/policy"
import { Config, Experiment, Runner, strategies } from "@eto/strategies"
import { Effect, Layer, Result } from "effect"
import { loadPaperTables, type PaperTables } from "../report/Paper"
import { aggregate, fmt, type Results } from "../report/Aggregate"
import { plots, renderReport } from "../report/Markdown"
import { resultsFromOutcomes, writeResultTables } from "../report/Outcomes"
import { collectEfficiency, EFFICIENCY, type EfficiencyEpisode, efficiencySvg, toRows } from "../report/Efficiency"
import { writeCsv } from "../report/Csv"
import { collectEpisodes, EPISODES, EVALUATION_PHASES, type PhaseRef } from "../report/Episodes"

export interface BenchOptions {
  readonly env: EnvName
  readonly scale: Config.Scale
  /** Seeds 1..seeds; the configuration's seeds when absent. */
  readonly seeds?: number | undefined
  readonly runsDir: string
  readonly resultsDir: string
  /** Where `<env>.md` and `figures/` go; no report when absent. */
  readonly reportsDir?: string | undefined
  readonly configFile?: string | undefined
  /** Progress and phase lines. */
  readonly log: (line: string) => void
}

export const configFileFor = (env: EnvName, scale: Config.Scale): string =>
  path.join(Paths.repoRoot(), "packages", "strategies", "src", "configs", `${env}-${scale}.json`)

/** Default output places: ci results are the committed ones. */
export const defaultDirs = (env: EnvName, scale: Config.Scale) => {
  const root = Paths.repoRoot()
  return scale === "ci"
    ? { resultsDir: path.join(root, "results", env), reportsDir: path.join(root, "reports") }
    : { resultsDir: path.join(root, "results", env, scale), reportsDir: path.join(root, "reports", scale) }
}

const ENV_NAMES: Record<EnvName, string> = { webshop: "WebShop", sciworld: "ScienceWorld", alfworld: "ALFWorld" }

/** The report text and figures for one environment. */
export const writeEnvReport = (
  env: EnvName,
  reportsDir: string,
  results: Results,
  paper: PaperTables,
  notes: ReadonlyArray<string>,
  efficiency?: ReadonlyArray<EfficiencyEpisode>
) =>
  Effect.gen(function*() {
    const written: Array<string> = []
    const ps = plots(results, paper)
    if (efficiency !== undefined && efficiency.length > 0) {
      ps.push({ file: "efficiency.svg", svg: efficiencySvg(efficiency, `${ENV_NAMES[env]} seen: score against action step (ETO, SFT, oracle)`) })
    }
    for (const p of ps) {
      const file = path.join(reportsDir, "figures", `${env}-${p.file}`)
      yield* Jsonl.writeFileAtomic(file, p.svg)
      written.push(file)
    }
    let md = renderReport(results, paper, {
      title: `${ENV_NAMES[env]} results`,
      plotDir: "figures",
      plotFiles: ps.map((p) => p.file),
      efficiency
    })
    md = md.replaceAll("](figures/", `](figures/${env}-`)
    if (notes.length > 0) md = md.replace("\n## ", `\n${notes.join("\n")}\n\n## `)
    const file = path.join(reportsDir, `${env}.md`)
    yield* Jsonl.writeFileAtomic(file, md)
    written.push(file)
    return written
  })

/** How the experiment was run, for the report's head. */
const setupNotes = (
  c: Config.ExperimentConfig,
  structuredView: boolean,
  wallSeconds: number,
  computeSeconds: number,
  engine: string
): Array<string> => {
  const m = c.model ?? {}
  const limits = Config.scaleLimits(c)
  const view = [
    m.maxObservationChars === undefined
      ? undefined
      : structuredView
      ? `the environment's structure-aware compact view with a budget of ${m.maxObservationChars} characters (what it keeps: ` +
        `the environment's README and the notes below)`
      : `observations cut to ${m.maxObservationChars} characters (a restated instruction at their start removed)`,
    m.observationView === "structured" ? "the environment's structured view of its observations (`model.observationView`)" : undefined,
    m.instructionPrompt === "none" ? "no instruction prompt" : undefined,
    m.thoughts === "drop" ? "replies with an empty thought" : m.thoughts === "none" ? "replies written as the action alone" : undefined,
    m.stateNotes === "env" ? "the environment's state note after every observation (`model.stateNotes`)" : undefined,
    m.repeatedObservations === "mark" ? "an observation identical to the one before it shown as a short mark" : undefined,
    m.windows === "episode" ? "training windows of whole episodes" : undefined,
    m.actionRepair === "nearest"
      ? "an action the environment does not list as admissible goes out as the nearest listed one with the same command word (`model.actionRepair`)"
      : undefined
  ].filter((x) => x !== undefined)
  const perturbed = Config.perturbationOf(c)
  const expert = [
    Config.lookAroundOf(c) ? "looking around wherever it arrives" : undefined,
    Config.searchOf(c) === "listed" ? "searching in the listed order (`expert.search`)" : undefined,
    perturbed === undefined
      ? undefined
      : `with ${perturbed.episodes} perturbed episode${perturbed.episodes === 1 ? "" : "s"} per task for SFT (mistake rate ${perturbed.mistakeRate})`
  ].filter((x) => x !== undefined)
  return [
    "## Setup",
    "",
    `Scale \`${c.scale}\` (config \`${c.name}\`): ${limits.trainTasks ?? "all"} training tasks with expert data` +
    `${limits.exploreTasks !== undefined ? ` (${limits.exploreTasks} of them explored)` : ""}, ${limits.testTasks ?? "all"} test tasks, ` +
    `seeds ${c.seeds.join(", ")}; a GPT-2-style model trained from scratch (${m.nLayer ?? 4} layers, width ${m.nEmbd ?? 128}, ` +
    `${m.nHead ?? 4} heads, context ${m.nPositions ?? 512}, vocabulary ${m.vocabSize ?? 2048}) on the ${engine} engine. ` +
    `${view.length > 0 ? `Model view: ${view.join("; ")}. ` : ""}` +
    `${expert.length > 0 ? `Expert data: the expert ${expert.join(", ")}. ` : ""}` +
    `Compute time of all phases ${(computeSeconds / 60).toFixed(1)} min (as produced, possibly by earlier or parallel runs); ` +
    `this invocation ${(wallSeconds / 60).toFixed(1)} min.`,
    "",
    "No pretrained chat model exists here: the \"untuned\" model (Table 5's prompted row, and the start of self-play) " +
    "is one trained only on episodes of the random valid-action policy, so it knows the reply format, not the task. " +
    "\"Random\" is that random policy itself. Hyper-parameters are set in the configuration file and were chosen on " +
    "the dev split only.",
    "",
    ...(c.notes ?? []).flatMap((n) => [n, ""])
  ]
}

/** Plain statements of where the trained agents stand against the floors, from the main table. */
export const summaryNotes = (results: Results): Array<string> => {
  const cells = aggregate(results.main, (x) => `${x.split}\u0000${x.method}`)
  const splits = [...new Set(results.main.map((x) => x.split))]
  const lines: Array<string> = ["## Summary", ""]
  for (const split of splits) {
    const get = (m: string) => cells.get(`${split}\u0000${m}`)?.reward
    const sft = get("SFT"), random = get("Random"), untuned = get("Untuned"), eto = get("ETO")
    const floor = [random && `the random policy ${fmt(random)}`, untuned && `the untuned model ${fmt(untuned)}`].filter(Boolean).join(", ")
    if (sft !== undefined) {
      const above = random !== undefined && sft.mean > random.mean
      lines.push(`- ${split}: SFT reaches ${fmt(sft)} average reward; the floor is ${floor || "not measured"}. ` +
        (random === undefined ? "" : above ? "SFT is above the random floor." : "SFT is NOT above the random floor at this scale."))
    }
    if (sft !== undefined && eto !== undefined) {
      lines.push(`- ${split}: ETO ${fmt(eto)} vs SFT ${fmt(sft)}: ` +
        (eto.mean > sft.mean
          ? "ETO's mean is higher; the claims check says whether the paired per-goal differences decide it."
          : "ETO's mean is not above SFT's at this scale."))
    }
  }
  lines.push("")
  return lines
}

export const runBench = (o: BenchOptions) =>
  Effect.gen(function*() {
    const t0 = performance.now()
    const loaded = yield* Config.loadConfig(o.configFile ?? configFileFor(o.env, o.scale))
    const config = yield* Effect.fromResult(Config.withOverrides(loaded, {
      scale: o.scale,
      ...(o.seeds !== undefined ? { seeds: Array.from({ length: o.seeds }, (_, i) => i + 1) } : {})
    }))
    const mod = yield* Effect.promise(() => modules[o.env]!())
    const env = yield* mod.load()
    const text = Runner.textReporter(o.log)
    const produced = new Map<string, number>()
    // The evaluation phases the run used: their trajectories give the per-episode outcomes.
    const evaluations: Array<PhaseRef> = []
    const reporter: Runner.RunReporterShape = {
      ...text,
      phaseEnd: (e) => {
        produced.set(`${e.phase}/${e.key}`, e.producedInSeconds)
        if (EVALUATION_PHASES.includes(e.phase)) evaluations.push({ phase: e.phase, key: e.key })
        text.phaseEnd(e)
      }
    }
    const layers = Layer.mergeAll(Runner.layerRunStore(o.runsDir), Layer.succeed(Runner.RunReporter, reporter))
    const outcomes = yield* Experiment.runExperiment(config, env, strategies).pipe(Effect.provide(layers))
    // Figure 3: ScienceWorld seen, ETO and SFT against the expert on the same instances.
    const efficiency = o.env === "sciworld" && (config.evalSplits ?? [env.defaultSplit]).includes("seen")
      ? yield* collectEfficiency({
        env,
        outcomes,
        runsDir: o.runsDir,
        phases: evaluations,
        split: "seen",
        testTasks: Config.scaleLimits(config).testTasks,
        expertSeed: Experiment.EXPERT_SEED
      }).pipe(Effect.provide(layers))
      : undefined
    const computeSeconds = [...produced.values()].reduce((a, b) => a + b, 0)
    const episodes = yield* collectEpisodes({ outcomes, runsDir: o.runsDir, phases: evaluations })
    const results = { ...resultsFromOutcomes(outcomes), episodes }
    fs.mkdirSync(o.resultsDir, { recursive: true })
    const written = yield* writeResultTables(o.resultsDir, results)
    yield* writeCsv(path.join(o.resultsDir, EPISODES.file), EPISODES, episodes)
    written.push(path.join(o.resultsDir, EPISODES.file))
    if (efficiency !== undefined) {
      yield* writeCsv(path.join(o.resultsDir, EFFICIENCY.file), EFFICIENCY, toRows(efficiency))
      written.push(path.join(o.resultsDir, EFFICIENCY.file))
    }
    if (o.reportsDir !== undefined) {
      const paper = yield* loadPaperTables()
      const requested = config.engine ?? "auto"
      const resolved = yield* Effect.promise(() => Engines.resolveKind(requested))
      const engine = requested === "auto" ? `${resolved} (auto)` : resolved
      const notes = setupNotes(config, env.compactObservation !== undefined, (performance.now() - t0) / 1000, computeSeconds, engine)
      written.push(...yield* writeEnvReport(o.env, o.reportsDir, results, paper, [...notes, ...summaryNotes(results)], efficiency))
    }
    return { outcomes, results, efficiency, written }
  })

export const checkSeeds = (n: number | undefined) =>
  n === undefined || (Number.isInteger(n) && n > 0) ? Result.succeed(n) : Result.fail(`--seeds must be a positive integer, got ${n}`)
