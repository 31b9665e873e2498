/**
 * The Markdown report: our tables (mean ± 95% CI over seeds, x100) beside the
 * paper's numbers, the plots, and the claims check per environment (paired
 * on per-episode outcomes where the results have them).
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { type DataFileError, type EnvName, Jsonl } from "@eto/core"
import { Effect } from "effect"
import { aggregate, type Cell, fmt, type Results } from "./Aggregate"
import { checkClaims, type ClaimResult, selfPlayMethod } from "./Claims"
import { type EfficiencyEpisode, efficiencySection } from "./Efficiency"
import { EPISODES, readEpisodes } from "./Episodes"
import { EQUIVALENCE_MARGIN, RESAMPLES, REWARD_RANGE, STEPS_MARGIN } from "./Paired"
import { CONTRASTIVE_LEVELS, ITERATIONS, MAIN, readCsv, SELF_PLAY, type SelfPlayRow, type TableSpec } from "./Csv"
import { columnTitle, type PaperTables, paperColumn, paperValue } from "./Paper"
import { PROMPTED, promptedTable } from "./Prompted"
import { barChart, lineChart } from "./Svg"

const ENV_TITLE: Record<EnvName, string> = { webshop: "WebShop", sciworld: "ScienceWorld", alfworld: "ALFWorld" }
const ENV_ORDER: ReadonlyArray<EnvName> = ["webshop", "sciworld", "alfworld"]

const num = (v: number | null | undefined, digits = 1): string => (v === null || v === undefined ? "—" : v.toFixed(digits))
const esc = (s: string): string => s.replace(/\|/g, "\\|")

const table = (head: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string =>
  [
    `| ${head.join(" | ")} |`,
    `| ${head.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.map(esc).join(" | ")} |`)
  ].join("\n")

const seedsOf = (c: Cell): string => String(c.seeds.length)

/** The environments present in any of our tables, in the paper's order. */
export const envsOf = (r: Results): Array<EnvName> => {
  const present = new Set<EnvName>([...r.main, ...r.iterations, ...r.levels, ...r.selfPlay].map((x) => x.env))
  return ENV_ORDER.filter((e) => present.has(e))
}

const splitLabel = (env: EnvName, split: string): string => {
  const col = paperColumn(env, split)
  return col === undefined ? split : `${split} (${columnTitle(col)})`
}

const mainSection = (r: Results, paper: PaperTables, env: EnvName): string => {
  const cells = aggregate(r.main.filter((x) => x.env === env), (x) => `${x.split}\u0000${x.method}`, (x) => x.mean_steps)
  const rows = [...cells.entries()].map(([k, c]) => {
    const [split, method] = k.split("\u0000") as [string, string]
    const col = paperColumn(env, split)
    const pr = col === undefined ? undefined : paperValue(paper, "avg_reward", method, col)
    const ps = col === undefined ? undefined : paperValue(paper, "success_rate", method, col)
    return [method, splitLabel(env, split), fmt(c.reward), num(pr), fmt(c.success), num(ps), fmt(c.steps), seedsOf(c)]
  })
  return [
    `### ${ENV_TITLE[env]}`,
    "",
    table(["Method", "Split", "Avg reward (ours)", "Avg reward (paper)", "Success (ours)", "Success (paper)", "Steps", "Seeds"], rows)
  ].join("\n")
}

const iterationsSection = (r: Results, paper: PaperTables): string => {
  const cells = aggregate(r.iterations, (x) => `${x.env}\u0000${x.split}\u0000${x.iteration}`)
  const rows = [...cells.entries()]
    .map(([k, c]) => {
      const [env, split, it] = k.split("\u0000") as [EnvName, string, string]
      return { env, split, it: Number(it), c }
    })
    .sort((a, b) => ENV_ORDER.indexOf(a.env) - ENV_ORDER.indexOf(b.env) || a.split.localeCompare(b.split) || a.it - b.it)
    .map((x) => [ENV_TITLE[x.env], splitLabel(x.env, x.split), x.it === 0 ? "0 (SFT)" : String(x.it), fmt(x.c.reward), fmt(x.c.success), seedsOf(x.c)])
  return [
    table(["Environment", "Split", "Iteration", "Avg reward (ours)", "Success (ours)", "Seeds"], rows),
    "",
    `Paper (Figure 4, no numbers given): ${paper.figure4_iterations}`
  ].join("\n")
}

const levelsSection = (r: Results, paper: PaperTables): string => {
  const cells = aggregate(r.levels, (x) => `${x.env}\u0000${x.method}\u0000${x.level}\u0000${x.lr ?? ""}\u0000${x.beta ?? ""}\u0000${x.split}`)
  const rows = [...cells.entries()].map(([k, c]) => {
    const [env, method, level, lr, beta, split] = k.split("\u0000") as [EnvName, string, string, string, string, string]
    const ours = { level: level === "none" ? null : level, lr: lr === "" ? null : Number(lr), beta: beta === "" ? null : Number(beta) }
    const p = env === "webshop"
      ? paper.table4_contrastive_level_webshop.find((x) => x.level === ours.level && x.lr === ours.lr && x.beta === ours.beta)
      : undefined
    return [ENV_TITLE[env], method, level, lr || "—", beta || "—", splitLabel(env, split), fmt(c.reward), num(p?.avg_reward), seedsOf(c)]
  })
  return table(["Environment", "Method", "Level", "lr", "β", "Split", "Avg reward (ours)", "Avg reward (paper, WebShop)", "Seeds"], rows)
}

/**
 * "31, 32 trajectories; 25, 30 pairs" over the seeds of a self-play cell; "—" for rows without self-generated
 * data, "not recorded" for self-play rows of results written before the counts were.
 */
const trainingData = (method: string, withBc: boolean, rows: ReadonlyArray<SelfPlayRow>): string => {
  const list = (xs: ReadonlyArray<number | null>) => xs.map((x) => (x === null ? "?" : String(x))).join(", ")
  const parts = [
    rows.some((x) => x.trajectories !== null) ? `${list(rows.map((x) => x.trajectories))} trajectories` : undefined,
    rows.some((x) => x.pairs !== null) ? `${list(rows.map((x) => x.pairs))} pairs` : undefined
  ].filter((x) => x !== undefined)
  if (parts.length > 0) return parts.join("; ")
  return !withBc && selfPlayMethod(method) !== "untuned" ? "not recorded" : "—"
}

const selfPlaySection = (r: Results, paper: PaperTables): string => {
  const cells = aggregate(r.selfPlay, (x) => `${x.env}\u0000${x.method}\u0000${x.with_bc}\u0000${x.split}`)
  const rows = [...cells.entries()].map(([k, c]) => {
    const [env, method, withBc, split] = k.split("\u0000") as [EnvName, string, string, string]
    const p = env === "webshop"
      ? paper.table5_self_play_webshop.find((x) => selfPlayMethod(x.method) === selfPlayMethod(method) && String(x.with_bc) === withBc)
      : undefined
    return [ENV_TITLE[env], method, withBc === "true" ? "yes" : "no", splitLabel(env, split), fmt(c.reward), num(p?.avg_reward), trainingData(method, withBc === "true", c.rows), seedsOf(c)]
  })
  return [
    table(["Environment", "Method", "With BC", "Split", "Avg reward (ours)", "Avg reward (paper, WebShop)", "Self-generated training data (per seed)", "Seeds"], rows),
    "",
    "Self-generated training data: the samples the RFT stage kept and the preference pairs the ETO stage trained on, per seed " +
    "(a stage with none leaves its policy unchanged)."
  ].join("\n")
}

const claimsSection = (claims: ReadonlyArray<ClaimResult>): string =>
  claims.map((c) => {
    const lines = [`- **${c.verdict}**: ${c.claim}`]
    if (c.note !== undefined) lines.push(`  - ${c.note}`)
    for (const k of c.checks) lines.push(`  - ${k.evidence}`)
    return lines.join("\n")
  }).join("\n")

/** How the verdicts are reached: paired on per-episode outcomes, or (older results) from seed means. */
export const claimsIntro = (paired: boolean): string =>
  paired
    ? `Every comparison is paired: the two methods on the same test goals with the same seeds. Its number is the mean ` +
      `per-goal difference A − B (reward x100) with a 95% percentile bootstrap interval over goals, stratified by seed ` +
      `(${RESAMPLES.toLocaleString("en-US")} seeded resamples; a drawn goal brings its differences under every seed). ` +
      `**holds**: the interval lies above 0 (above the required lead where the claim names one); **does not hold**: the ` +
      `interval lies below ${EQUIVALENCE_MARGIN} point (the equivalence margin; for steps ${STEPS_MARGIN}) or below the required ` +
      `lead, i.e. the claimed lead is absent, reversed or too small. Both keep a distance of one goal's weight from the ` +
      `boundary (${REWARD_RANGE} / (goals + 1): what one more goal with the largest possible difference would move the mean), ` +
      `so that a few goals, or goals with no spread, do not decide. **inconclusive** otherwise, with the seeds (on the ` +
      `evaluated goals) or goals (with the seeds run) that would give a decision 80% power at a two-sided 5% level if the ` +
      `true difference is the measured one (its distance from the nearer decision boundary), from the measured variance ` +
      `of the paired differences between goals, between seeds and residual. A claim holds when all its comparisons hold ` +
      `and does not hold when one does not.`
    : "No per-episode outcomes were stored with these results, so the comparisons are not paired: **holds** when every " +
      "comparison behind a claim has separated 95% intervals (Student t over seed means) in the claimed direction; " +
      "**does not hold** when one is separated the other way (or misses a required gap); **inconclusive** when intervals " +
      "overlap, a side has a single seed, or numbers are missing. A rerun of the experiment stores `episodes.csv`, and " +
      "the claims are then checked paired."

export interface Plot {
  readonly file: string
  readonly svg: string
}

/** The main-table bar charts (ours, and the paper's for the same cells) and the iteration line chart. */
export const plots = (r: Results, paper: PaperTables): Array<Plot> => {
  const out: Array<Plot> = []
  if (r.main.length > 0) {
    const cells = aggregate(r.main, (x) => `${x.env}\u0000${x.split}\u0000${x.method}`)
    const groups = [...new Set(r.main.map((x) => `${x.env}\u0000${x.split}`))]
    const methods = [...new Set(r.main.map((x) => x.method))]
    const groupName = (g: string) => {
      const [env, split] = g.split("\u0000") as [EnvName, string]
      const col = paperColumn(env, split)
      return col === undefined ? `${ENV_TITLE[env]} ${split}` : columnTitle(col)
    }
    const values = groups.map((g) =>
      methods.map((m) => {
        const c = cells.get(`${g}\u0000${m}`)
        return c === undefined ? undefined : { y: c.reward.mean, low: c.reward.low, high: c.reward.high }
      })
    )
    out.push({
      file: "main.svg",
      svg: barChart({
        title: "Average reward on the test splits (ours, mean ± 95% CI over seeds)",
        yLabel: "Average reward (x100)",
        groups: groups.map(groupName),
        series: methods,
        values,
        yMin: 0,
        yMax: 100
      })
    })
    const paperValues = groups.map((g) => {
      const [env, split] = g.split("\u0000") as [EnvName, string]
      const col = paperColumn(env, split)
      return methods.map((m) => {
        const v = col === undefined ? undefined : paperValue(paper, "avg_reward", m, col)
        return v === undefined ? undefined : { y: v }
      })
    })
    if (paperValues.some((g) => g.some((v) => v !== undefined))) {
      out.push({
        file: "main-paper.svg",
        svg: barChart({
          title: "Average reward reported in the paper (Llama-2-7B-Chat)",
          yLabel: "Average reward (x100)",
          groups: groups.map(groupName),
          series: methods,
          values: paperValues,
          yMin: 0,
          yMax: 100
        })
      })
    }
  }
  if (r.iterations.length > 0) {
    const cells = aggregate(r.iterations, (x) => `${x.env}\u0000${x.split}\u0000${x.iteration}`)
    const lines = new Map<string, Array<{ x: number; y: number; low?: number | undefined; high?: number | undefined }>>()
    for (const [k, c] of cells) {
      const [env, split, it] = k.split("\u0000") as [EnvName, string, string]
      const name = splitLabel(env, split).includes("(") ? columnTitle(paperColumn(env, split)!) : `${ENV_TITLE[env]} ${split}`
      const pts = lines.get(name) ?? []
      pts.push({ x: Number(it), y: c.reward.mean, low: c.reward.low, high: c.reward.high })
      lines.set(name, pts)
    }
    out.push({
      file: "iterations.svg",
      svg: lineChart({
        title: "ETO over iterations (iteration 0 = SFT)",
        xLabel: "ETO iteration",
        yLabel: "Average reward (x100)",
        series: [...lines.entries()].map(([name, points]) => ({ name, points })),
        integerX: true
      })
    })
  }
  return out
}

/** The Markdown text; `plotDir` is where the plots are, relative to the report. */
export const renderReport = (
  r: Results,
  paper: PaperTables,
  options: {
    readonly title?: string
    readonly plotDir?: string
    readonly plotFiles?: ReadonlyArray<string>
    /** ScienceWorld's per-step scores (Figure 3): a section, and the efficiency claim's evidence. */
    readonly efficiency?: ReadonlyArray<EfficiencyEpisode> | undefined
  } = {}
): string => {
  const envs = envsOf(r)
  const plotDir = options.plotDir ?? "plots"
  const has = (f: string) => (options.plotFiles ?? []).includes(f)
  const out: Array<string> = [
    `# ${options.title ?? "ETO Bench results"}`,
    "",
    "Our numbers are means over seeds with a 95% confidence interval (Student t, n − 1 degrees of freedom; " +
    "a single seed shows no interval), rewards and success rates x100. Paper numbers: " +
    `${paper.source}. ${paper.metric_note}`,
    ""
  ]
  if (r.main.length > 0) {
    out.push("## Main results (Table 2, success rates: Table 7)", "")
    for (const env of envs.filter((e) => r.main.some((x) => x.env === e))) out.push(mainSection(r, paper, env), "")
    if (has("main.svg")) out.push(`![Average reward, ours](${plotDir}/main.svg)`, "")
    if (has("main-paper.svg")) out.push(`![Average reward, paper](${plotDir}/main-paper.svg)`, "")
  }
  const prompted = r.prompted ?? []
  if (prompted.length > 0) {
    out.push("## Prompted models (Table 2's prompted rows)", "")
    out.push("Models behind an OpenAI-compatible API, shown the instruction and a one-shot example, not trained; the paper's prompted rows on the same columns follow ours.", "")
    for (const env of ENV_ORDER.filter((e) => prompted.some((x) => x.env === e))) {
      const t = promptedTable(prompted.filter((x) => x.env === env), paper)
      out.push(`### ${ENV_TITLE[env]}`, "", table(t.head, t.rows), "")
    }
  }
  if (r.iterations.length > 0) {
    out.push("## ETO iterations (Figure 4)", "", iterationsSection(r, paper), "")
    if (has("iterations.svg")) out.push(`![ETO over iterations](${plotDir}/iterations.svg)`, "")
  }
  if (r.levels.length > 0) out.push("## Contrastive levels (Table 4)", "", levelsSection(r, paper), "")
  if (r.selfPlay.length > 0) out.push("## Self-play without expert trajectories (Table 5)", "", selfPlaySection(r, paper), "")
  if (options.efficiency !== undefined && options.efficiency.length > 0) {
    out.push(efficiencySection(options.efficiency, has("efficiency.svg") ? `${plotDir}/efficiency.svg` : undefined))
  }
  out.push("## Claims check", "")
  out.push(claimsIntro(r.episodes !== undefined && r.episodes.length > 0), "")
  if (envs.length === 0) out.push("No results yet.", "")
  for (const env of envs) {
    out.push(`### ${ENV_TITLE[env]}`, "", claimsSection(checkClaims(paper.claims, r, env, { efficiency: options.efficiency })), "")
  }
  return out.join("\n")
}

/** Reads whichever of the four CSV files and the per-episode file exist in `dir`. */
export const readResults = (dir: string): Effect.Effect<Results, DataFileError> =>
  Effect.gen(function*() {
    const read = <A>(t: TableSpec<A>) => {
      const file = path.join(dir, t.file)
      return fs.existsSync(file) ? readCsv(file, t) : Effect.succeed([] as Array<A>)
    }
    const episodes = path.join(dir, EPISODES.file)
    const prompted = yield* read(PROMPTED)
    return {
      main: yield* read(MAIN),
      iterations: yield* read(ITERATIONS),
      levels: yield* read(CONTRASTIVE_LEVELS),
      selfPlay: yield* read(SELF_PLAY),
      ...(fs.existsSync(episodes) ? { episodes: yield* readEpisodes(episodes) } : {}),
      ...(prompted.length > 0 ? { prompted } : {})
    }
  })

/** Writes `report.md` and `plots/*.svg` into `outDir`; returns the files written. */
export const writeReport = (
  outDir: string,
  r: Results,
  paper: PaperTables,
  options: { readonly title?: string } = {}
): Effect.Effect<Array<string>, DataFileError> =>
  Effect.gen(function*() {
    const ps = plots(r, paper)
    const written: Array<string> = []
    for (const p of ps) {
      const file = path.join(outDir, "plots", p.file)
      yield* Jsonl.writeFileAtomic(file, p.svg)
      written.push(file)
    }
    const md = renderReport(r, paper, { ...options, plotDir: "plots", plotFiles: ps.map((p) => p.file) })
    const file = path.join(outDir, "report.md")
    yield* Jsonl.writeFileAtomic(file, md)
    written.push(file)
    return written
  })
