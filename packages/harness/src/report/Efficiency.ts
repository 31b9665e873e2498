/**
 * Task-solving efficiency on ScienceWorld (the paper's Figure 3): the score
 * (0-100) an agent holds after each action step, for ETO, the SFT base agent
 * and the oracle (the environment's expert), on the seen test instances.
 *
 * An episode's curve is the environment's reward after each turn (Turn.reward,
 * x100); after the episode ends its final score is carried forward, so curves
 * of different lengths can be averaged step by step. From the curves come:
 * - the mean curve over all instances and small multiples of a few instances;
 * - per method: the mean score after 5, 10 and 20 steps and after all steps,
 *   and the steps an episode needs to reach its final score;
 * - the verdict on the claim "ETO reaches higher reward in fewer steps than
 *   SFT": the area under the first `AREA_STEPS` steps and the final score,
 *   each compared paired over (seed, instance) like every claim (Paired.ts).
 *
 * The episodes are stored as `efficiency.csv` (one row per episode, the
 * per-step scores space-separated), so the figure and the numbers can be
 * rebuilt from the committed results.
 */
import { DataFileError, EnvName, type Trajectory } from "@eto/core"
import { type Experiment, Phases } from "@eto/strategies"
import { Effect, Schema, SchemaTransformation } from "effect"
import type { Check } from "./Claims"
import { evaluationIndex, type PhaseRef } from "./Episodes"
import { comparePaired, pairedEvidence, pairUp } from "./Paired"
import { Int, Num, readCsv, spec } from "./Csv"
import { escapeXml, niceTicks, PALETTE } from "./Svg"

// ---------------------------------------------------------------------------
// Episodes

/** One episode's score after each step. */
export interface EfficiencyEpisode {
  readonly env: EnvName
  /** "ETO", "SFT" or "Oracle". */
  readonly method: string
  readonly split: string
  readonly seed: number
  readonly task: string
  /** The paper's instance id when the task records one (ScienceWorld: `<task index>_<variation>`), else "". */
  readonly instance: string
  /** Scores x100 after steps 1..n. */
  readonly scores: ReadonlyArray<number>
}

export const METHODS = ["ETO", "SFT", "Oracle"] as const
/** The steps the table reports the score after. */
export const TABLE_STEPS = [5, 10, 20] as const
/** The claim's "fewer steps": the area under the first this many steps. */
export const AREA_STEPS = 20
/** Instances drawn as their own panels. */
export const PANELS = 5

const x100 = (v: number): number => Math.round(v * 100 * 10000) / 10000

export const episodeOf = (t: Trajectory, method: string, seed: number): EfficiencyEpisode => {
  const instance = t.task.metadata["etoInstanceId"]
  return {
    env: t.task.env,
    method,
    split: t.task.split,
    seed,
    task: t.task.id,
    instance: typeof instance === "string" ? instance : "",
    scores: t.turns.map((turn) => x100(turn.reward))
  }
}

/** The score after `step` steps: 0 before the first, the final score carried forward after the last. */
export const scoreAt = (scores: ReadonlyArray<number>, step: number): number =>
  step <= 0 || scores.length === 0 ? 0 : scores[Math.min(step, scores.length) - 1]!

export const finalScore = (scores: ReadonlyArray<number>): number => scoreAt(scores, scores.length)

/** The first step from which the score stays at its final value (0 when it never leaves 0). */
export const stepsToFinal = (scores: ReadonlyArray<number>): number => {
  const last = finalScore(scores)
  let s = scores.length
  while (s > 0 && scoreAt(scores, s - 1) === last) s--
  return s
}

/** The mean score over steps 1..h (the area under the curve's first h steps, divided by h). */
export const area = (scores: ReadonlyArray<number>, h: number): number => {
  let sum = 0
  for (let s = 1; s <= h; s++) sum += scoreAt(scores, s)
  return sum / h
}

/** Mean of the curves at steps 0..horizon. */
export const meanCurve = (curves: ReadonlyArray<ReadonlyArray<number>>, horizon: number): Array<number> =>
  Array.from({ length: horizon + 1 }, (_, s) =>
    curves.length === 0 ? Number.NaN : curves.reduce((a, c) => a + scoreAt(c, s), 0) / curves.length)

const mean = (xs: ReadonlyArray<number>): number => (xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length)

// ---------------------------------------------------------------------------
// Summary table

export interface MethodSummary {
  readonly method: string
  readonly episodes: number
  readonly seeds: ReadonlyArray<number>
  /** Mean score after each of TABLE_STEPS. */
  readonly at: ReadonlyArray<number>
  readonly final: number
  readonly meanSteps: number
  /** Mean steps to the final score over the episodes that end above 0, and how many those are. */
  readonly stepsToFinal: number
  readonly scoring: number
}

export const summarizeMethods = (episodes: ReadonlyArray<EfficiencyEpisode>): Array<MethodSummary> =>
  methodsOf(episodes).map((method) => {
    const es = episodes.filter((e) => e.method === method)
    const scoring = es.filter((e) => finalScore(e.scores) > 0)
    return {
      method,
      episodes: es.length,
      seeds: [...new Set(es.map((e) => e.seed))].sort((a, b) => a - b),
      at: TABLE_STEPS.map((s) => mean(es.map((e) => scoreAt(e.scores, s)))),
      final: mean(es.map((e) => finalScore(e.scores))),
      meanSteps: mean(es.map((e) => e.scores.length)),
      stepsToFinal: mean(scoring.map((e) => stepsToFinal(e.scores))),
      scoring: scoring.length
    }
  })

const methodsOf = (episodes: ReadonlyArray<EfficiencyEpisode>): Array<string> => {
  const present = [...new Set(episodes.map((e) => e.method))]
  return [...METHODS.filter((m) => present.includes(m)), ...present.filter((m) => !(METHODS as ReadonlyArray<string>).includes(m))]
}

/** The evaluated tasks in evaluation order (first appearance). */
export const tasksOf = (episodes: ReadonlyArray<EfficiencyEpisode>): Array<string> => [...new Set(episodes.map((e) => e.task))]

/**
 * The instances drawn as panels: `k` tasks spread evenly over the evaluated
 * tasks in split order (positions ⌊i·n/k⌋), which in ScienceWorld's
 * type-ordered splits means different task types.
 */
export const panelTasks = (episodes: ReadonlyArray<EfficiencyEpisode>, k: number = PANELS): Array<string> => {
  const tasks = tasksOf(episodes)
  if (tasks.length <= k) return tasks
  return Array.from({ length: k }, (_, i) => tasks[Math.floor((i * tasks.length) / k)]!)
}

// ---------------------------------------------------------------------------
// The claim

/** A method's per-episode values as paired observations (seed, instance). */
const observationsOf = (episodes: ReadonlyArray<EfficiencyEpisode>, method: string, f: (s: ReadonlyArray<number>) => number) =>
  episodes.filter((e) => e.method === method).map((e) => ({ seed: e.seed, goal: e.task, value: f(e.scores) }))

/**
 * "a > b" on a per-episode statistic, paired over the (seed, instance)s both
 * have, decided as every claim comparison (Paired.ts: bootstrap over
 * instances stratified by seed, equivalence margin, power when undecided).
 */
export const pairedCheck = (
  episodes: ReadonlyArray<EfficiencyEpisode>,
  a: string,
  b: string,
  what: string,
  f: (s: ReadonlyArray<number>) => number
): Check => {
  const c = comparePaired(pairUp(observationsOf(episodes, a, f), observationsOf(episodes, b, f)))
  return c === undefined
    ? { verdict: "inconclusive", evidence: `${what}: no instance evaluated by both ${a} and ${b}` }
    : { verdict: c.decision.verdict, evidence: `${what}: ${pairedEvidence(a, b, c)}` }
}

/**
 * The checks behind "ETO reaches higher reward in fewer steps than SFT":
 * ETO's area under the first AREA_STEPS steps and its final score, each
 * above SFT's, paired over the seen instances.
 */
export const efficiencyChecks = (episodes: ReadonlyArray<EfficiencyEpisode>): Array<Check> => {
  const label = (c: Check) => ({ ...c, evidence: `ScienceWorld seen, ${c.evidence}` })
  if (!episodes.some((e) => e.method === "ETO") || !episodes.some((e) => e.method === "SFT")) {
    return [{ verdict: "inconclusive", evidence: "ScienceWorld seen: no ETO and SFT evaluation trajectories" }]
  }
  return [
    label(pairedCheck(episodes, "ETO", "SFT", `mean score over steps 1-${AREA_STEPS} (area under the curve)`, (s) => area(s, AREA_STEPS))),
    label(pairedCheck(episodes, "ETO", "SFT", "final score", finalScore))
  ]
}

// ---------------------------------------------------------------------------
// CSV

/** Space-separated numbers, e.g. "0 0 8.3333 8.3333". */
const Scores = Schema.String.check(Schema.isPattern(/^\s*(-?\d+(\.\d+)?(e[-+]?\d+)?(\s+-?\d+(\.\d+)?(e[-+]?\d+)?)*)?\s*$/)).pipe(
  Schema.decodeTo(
    Schema.Array(Schema.Finite),
    SchemaTransformation.transform({
      decode: (s: string): ReadonlyArray<number> => (s.trim() === "" ? [] : s.trim().split(/\s+/).map(Number)),
      encode: (xs: ReadonlyArray<number>) => xs.join(" ")
    })
  )
)

export const EfficiencyRow = Schema.Struct({
  env: EnvName,
  method: Schema.String,
  split: Schema.String,
  seed: Int,
  task: Schema.String,
  instance: Schema.String,
  steps: Int,
  final: Num,
  scores: Scores
})
export type EfficiencyRow = typeof EfficiencyRow.Type

export const EFFICIENCY = spec<EfficiencyRow>(
  "efficiency.csv",
  ["env", "method", "split", "seed", "task", "instance", "steps", "final", "scores"],
  EfficiencyRow
)

export const toRows = (episodes: ReadonlyArray<EfficiencyEpisode>): Array<EfficiencyRow> =>
  episodes.map((e) => ({ ...e, steps: e.scores.length, final: finalScore(e.scores) }))

/** Episodes from rows; a row whose `steps` or `final` disagrees with its scores is refused. */
export const fromRows = (rows: ReadonlyArray<EfficiencyRow>, file: string): Effect.Effect<Array<EfficiencyEpisode>, DataFileError> =>
  Effect.forEach(rows, (r, i) =>
    r.steps !== r.scores.length || Math.abs(r.final - finalScore(r.scores)) > 1e-6
      ? Effect.fail(new DataFileError({ path: file, line: i + 2, reason: `steps ${r.steps} / final ${r.final} do not match the ${r.scores.length} scores listed` }))
      : Effect.succeed({ env: r.env, method: r.method, split: r.split, seed: r.seed, task: r.task, instance: r.instance, scores: r.scores }))

/** The episodes of an efficiency.csv file. */
export const readEfficiency = (file: string): Effect.Effect<Array<EfficiencyEpisode>, DataFileError> =>
  Effect.flatMap(readCsv(file, EFFICIENCY), (rows) => fromRows(rows, file))

// ---------------------------------------------------------------------------
// Figure: small multiples

const COLORS: Record<string, string> = { ETO: PALETTE[0]!, SFT: PALETTE[1]!, Oracle: PALETTE[7]! }
const colorOf = (method: string, i: number): string => COLORS[method] ?? PALETTE[(i + 2) % PALETTE.length]!
const r2 = (v: number): string => (Math.round(v * 100) / 100).toString()

interface Panel {
  readonly title: string
  readonly curves: ReadonlyArray<{ readonly method: string; readonly ys: ReadonlyArray<number> }>
}

const panelTitle = (es: ReadonlyArray<EfficiencyEpisode>, task: string): string => {
  const instance = es.find((e) => e.instance !== "")?.instance
  return instance === undefined ? task : `${task} (paper id ${instance.replace("_", "-")})`
}

/** The panels: one per chosen instance (each method's curve averaged over its seeds), then the mean over all instances. */
export const panels = (episodes: ReadonlyArray<EfficiencyEpisode>, k: number = PANELS): Array<Panel> => {
  const methods = methodsOf(episodes)
  const out: Array<Panel> = []
  const curveOf = (es: ReadonlyArray<EfficiencyEpisode>) => {
    const horizon = Math.max(0, ...es.map((e) => e.scores.length))
    return methods.flatMap((m) => {
      const mine = es.filter((e) => e.method === m)
      return mine.length === 0 ? [] : [{ method: m, ys: meanCurve(mine.map((e) => e.scores), horizon) }]
    })
  }
  for (const task of panelTasks(episodes, k)) {
    const es = episodes.filter((e) => e.task === task)
    out.push({ title: panelTitle(es, task), curves: curveOf(es) })
  }
  out.push({ title: `Mean over all ${tasksOf(episodes).length} instances`, curves: curveOf(episodes) })
  return out
}

/** The small-multiples SVG (score 0-100 against action step). */
export const efficiencySvg = (episodes: ReadonlyArray<EfficiencyEpisode>, title: string, k: number = PANELS): string => {
  const ps = panels(episodes, k)
  const methods = methodsOf(episodes)
  const cols = 3, rows = Math.ceil(ps.length / cols)
  const pw = 300, ph = 210, gap = 18, left = 56, top = 64, bottom = 40
  const width = left + cols * pw + (cols - 1) * gap + 20
  const height = top + rows * ph + (rows - 1) * (gap + 26) + bottom
  const all = ps.flatMap((p) => p.curves.flatMap((c) => c.ys)).filter(Number.isFinite)
  const yTicks = niceTicks(Math.min(0, ...all), Math.max(100, ...all), 5)
  const y0 = yTicks[0]!, y1 = yTicks[yTicks.length - 1]!
  const out: Array<string> = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${r2(width / 2)}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`
  ]
  // Legend along the top.
  methods.forEach((m, i) => {
    const x = left + i * 120
    out.push(`<line x1="${x}" x2="${x + 22}" y1="42" y2="42" stroke="${colorOf(m, i)}" stroke-width="2.5"${m === "Oracle" ? ` stroke-dasharray="6 4"` : ""}/>`)
    out.push(`<text x="${x + 28}" y="42" dominant-baseline="middle" font-size="12">${escapeXml(m)}</text>`)
  })
  ps.forEach((p, pi) => {
    const ox = left + (pi % cols) * (pw + gap), oy = top + Math.floor(pi / cols) * (ph + gap + 26)
    const horizon = Math.max(1, ...p.curves.map((c) => c.ys.length - 1))
    const xTicks = niceTicks(0, horizon, 5).filter((t) => t <= horizon + 1e-9 && Number.isInteger(t))
    const toX = (s: number) => ox + (s / horizon) * pw
    const toY = (v: number) => oy + ph - ((v - y0) / (y1 - y0)) * ph
    out.push(`<g class="panel">`)
    out.push(`<text x="${r2(ox + pw / 2)}" y="${oy - 6}" text-anchor="middle" font-weight="bold">${escapeXml(p.title)}</text>`)
    for (const t of yTicks) {
      const y = r2(toY(t))
      out.push(`<line x1="${ox}" x2="${ox + pw}" y1="${y}" y2="${y}" stroke="#e5e5e5"/>`)
      if (pi % cols === 0) out.push(`<text x="${ox - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${t}</text>`)
    }
    for (const t of xTicks) {
      const x = r2(toX(t))
      out.push(`<line x1="${x}" x2="${x}" y1="${oy + ph}" y2="${oy + ph + 4}" stroke="#333"/>`)
      out.push(`<text x="${x}" y="${oy + ph + 15}" text-anchor="middle">${t}</text>`)
    }
    out.push(`<rect x="${ox}" y="${oy}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`)
    // The oracle first, then SFT drawn wider, then ETO on top: equal curves stay visible as a cored line.
    const order = (m: string) => (m === "Oracle" ? 0 : m === "SFT" ? 1 : m === "ETO" ? 3 : 2)
    ;[...p.curves].sort((a, b) => order(a.method) - order(b.method)).forEach((c) => {
      const i = methods.indexOf(c.method)
      // A step function: the score holds until the next step changes it.
      let d = `M${r2(toX(0))} ${r2(toY(c.ys[0] ?? 0))}`
      for (let s = 1; s < c.ys.length; s++) d += `H${r2(toX(s))}V${r2(toY(c.ys[s]!))}`
      d += `H${r2(toX(horizon))}`
      out.push(`<path d="${d}" fill="none" stroke="${colorOf(c.method, i)}" stroke-width="${c.method === "SFT" ? 4 : 2}"${c.method === "Oracle" ? ` stroke-dasharray="6 4"` : ""}/>`)
    })
    out.push(`</g>`)
  })
  out.push(`<text x="${r2(left + (cols * pw + (cols - 1) * gap) / 2)}" y="${height - 8}" text-anchor="middle" font-size="12">Action step</text>`)
  const midY = r2(top + (rows * ph + (rows - 1) * (gap + 26)) / 2)
  out.push(`<text x="16" y="${midY}" text-anchor="middle" font-size="12" transform="rotate(-90 16 ${midY})">Score (0-100)</text>`)
  out.push(`</svg>`)
  return out.join("\n") + "\n"
}

// ---------------------------------------------------------------------------
// Report section

const num = (v: number, digits = 1): string => (Number.isFinite(v) ? v.toFixed(digits) : "—")

/** The report's efficiency section: how the figure is made, the figure, and the per-method table. */
export const efficiencySection = (episodes: ReadonlyArray<EfficiencyEpisode>, figure: string | undefined): string => {
  const rows = summarizeMethods(episodes)
  const chosen = panelTasks(episodes)
  const head = ["Method", "Episodes (seeds)", ...TABLE_STEPS.map((s) => `Score after ${s} steps`), "Score after all steps", "Mean steps", "Steps to final score (episodes scoring > 0)"]
  const lines = [
    "## Efficiency (Figure 3)",
    "",
    `Score (0-100) after each action step on the seen test instances for ETO, the SFT base agent and the oracle ` +
    `(the environment's expert on the same instances). A finished episode carries its final score forward; per instance ` +
    `each method's curve is averaged over its seeds. Panels: ${chosen.length} instances spread evenly over the ` +
    `${tasksOf(episodes).length} evaluated ones in split order (positions ⌊i·n/${PANELS}⌋, so different task types): ` +
    `${chosen.join(", ")}; the last panel is the mean over all of them.`,
    ""
  ]
  if (figure !== undefined) lines.push(`![Score against action step](${figure})`, "")
  lines.push(
    `| ${head.join(" | ")} |`,
    `| ${head.map(() => "---").join(" | ")} |`,
    ...rows.map((r) =>
      `| ${r.method} | ${r.episodes} (${r.seeds.join(", ")}) | ${r.at.map((v) => num(v)).join(" | ")} | ${num(r.final)} | ${num(r.meanSteps)} | ${num(r.stepsToFinal)} (${r.scoring}) |`
    ),
    "",
    `The claims check compares ETO with SFT on the same instances and seeds: the mean score over the first ` +
    `${AREA_STEPS} steps (area under the curve) and the final score, each as a paired mean difference with a 95% bootstrap ` +
    `interval over instances stratified by seed.`,
    ""
  )
  return lines.join("\n")
}

// ---------------------------------------------------------------------------
// Collecting the trajectories

/**
 * ETO's and SFT's evaluation trajectories on `split` (from the evaluation
 * phases the run reported, `evaluateKeys`) and the expert's on the same
 * tasks (a memoised expert phase), as efficiency episodes.
 */
export const collectEfficiency = (options: {
  readonly env: Parameters<typeof Phases.expertData>[0]
  readonly outcomes: ReadonlyArray<Experiment.Outcome>
  readonly runsDir: string
  readonly phases: ReadonlyArray<PhaseRef>
  readonly split: string
  readonly testTasks: number | undefined
  readonly expertSeed: number
}) =>
  Effect.gen(function*() {
    const find = yield* evaluationIndex(options.runsDir, options.phases)
    const episodes: Array<EfficiencyEpisode> = []
    for (const o of options.outcomes) {
      if (o.label !== "ETO" && o.label !== "SFT") continue
      for (const e of o.evaluations.filter((x) => x.split === options.split)) {
        const ts = yield* find(e)
        episodes.push(...ts.map((t) => episodeOf(t, o.label, o.seed)))
      }
    }
    const oracle = yield* Phases.expertData(options.env, { split: options.split, limit: options.testTasks, seed: options.expertSeed })
    for (const t of yield* Phases.readTrajectories(oracle)) episodes.push(episodeOf(t, "Oracle", options.expertSeed))
    return episodes
  })
