/**
 * Checking the paper's claims (tables.json `claims`) against our numbers.
 *
 * Each claim is recognised by its wording and turned into comparisons of
 * two sides (a method on a split, an ETO iteration, a contrastive level, a
 * self-play method). With per-episode outcomes (`episodes.csv`) every
 * comparison is paired: the two sides on the same test goals with the same
 * seeds, the verdict from the bootstrap interval of the mean paired
 * difference and the equivalence margin, and, when that cannot decide, the
 * seeds and goals a decision would need (Paired.ts, Power.ts). Without
 * them (results from before the per-episode file) a comparison falls back
 * to the seed means and their Student t intervals: holds when A's interval
 * lies above B's, does not hold when below, inconclusive when they overlap
 * or a side has one seed.
 *
 * The kinds of checks: `A > B` (optionally by a required gap), a gain
 * comparison ((A − B) on one split against (A − B) on another), and rise
 * then decline over iterations. A claim made of several checks holds when
 * all hold, does not hold when any does not, and is inconclusive otherwise.
 */
import type { EnvName } from "@eto/core"
import { aggregate, type Cell, fmt, type MeanCi, type Results } from "./Aggregate"
import { type EfficiencyEpisode, efficiencyChecks } from "./Efficiency"
import type { EpisodeRow } from "./Episodes"
import {
  compareLeads,
  comparePaired,
  type DecideOptions,
  intervalText,
  needText,
  type Observation,
  pairedEvidence,
  pairUp,
  type Relation,
  STEPS_MARGIN,
  type Verdict
} from "./Paired"
import { columnEnv, columnTitle, PAPER_COLUMNS, type PaperColumn, paperColumn } from "./Paper"

export type { Relation, Verdict } from "./Paired"

export interface Check {
  readonly verdict: Verdict
  /** The numbers behind the verdict, one line. */
  readonly evidence: string
}

export interface ClaimResult {
  readonly claim: string
  readonly verdict: Verdict
  readonly checks: ReadonlyArray<Check>
  /** Set when the claim's wording is not one we know how to check. */
  readonly note?: string
}

const hasInterval = (m: MeanCi | undefined): m is MeanCi & { halfWidth: number; low: number; high: number } =>
  m !== undefined && m.halfWidth !== undefined && m.low !== undefined && m.high !== undefined

export interface CompareOptions {
  /** The metric is better when lower (e.g. steps). */
  readonly lowerIsBetter?: boolean
  /** The lead, in the metric's units, the claim requires ("far below"). */
  readonly minGap?: number
  readonly unit?: string
}

/** The verdict on "`a` is better than `b`". */
export const compareCells = (
  aName: string,
  a: MeanCi | undefined,
  bName: string,
  b: MeanCi | undefined,
  options: CompareOptions = {}
): Check & { readonly relation: Relation } => {
  const sign = options.lowerIsBetter === true ? -1 : 1
  const rel = options.lowerIsBetter === true ? "<" : ">"
  const gapText = options.minGap !== undefined ? ` by ≥ ${options.minGap}` : ""
  const unit = options.unit ?? ""
  const text = `${aName} ${fmt(a)}${unit} ${rel} ${bName} ${fmt(b)}${unit}${gapText}`
  if (a === undefined || b === undefined || !Number.isFinite(a.mean) || !Number.isFinite(b.mean)) {
    return { verdict: "inconclusive", evidence: `${text}: no data`, relation: "missing" }
  }
  if (!hasInterval(a) || !hasInterval(b)) {
    return { verdict: "inconclusive", evidence: `${text}: one seed, no interval`, relation: "missing" }
  }
  const lead = sign * (a.mean - b.mean)
  const separated = a.low > b.high || b.low > a.high
  if (!separated) return { verdict: "inconclusive", evidence: `${text}: intervals overlap`, relation: "overlap" }
  if (lead > 0 && lead >= (options.minGap ?? 0)) return { verdict: "holds", evidence: `${text}: holds`, relation: "above" }
  return lead > 0
    ? { verdict: "does not hold", evidence: `${text}: ahead by only ${lead.toFixed(1)}`, relation: "above" }
    : { verdict: "does not hold", evidence: `${text}: the reverse holds`, relation: "below" }
}

/** Interval of a difference of two independent means (half-widths added in quadrature). */
export const difference = (a: MeanCi, b: MeanCi): MeanCi => {
  const mean = a.mean - b.mean
  const n = Math.min(a.n, b.n)
  if (!hasInterval(a) || !hasInterval(b)) return { n, mean, sd: undefined, halfWidth: undefined, low: undefined, high: undefined }
  const halfWidth = Math.hypot(a.halfWidth, b.halfWidth)
  return { n, mean, sd: undefined, halfWidth, low: mean - halfWidth, high: mean + halfWidth }
}

/** Combines the checks of one claim. */
export const combine = (checks: ReadonlyArray<Check>): Verdict =>
  checks.length === 0
    ? "inconclusive"
    : checks.some((c) => c.verdict === "does not hold")
    ? "does not hold"
    : checks.every((c) => c.verdict === "holds")
    ? "holds"
    : "inconclusive"

// ---------------------------------------------------------------------------
// Sides of a comparison

/** One side of a comparison: its seed means (the tables) and, where stored, its per-episode rewards. */
export interface Side {
  readonly name: string
  readonly cell: MeanCi | undefined
  /** Per (seed, goal) values; undefined without per-episode outcomes. */
  readonly episodes: ReadonlyArray<Observation> | undefined
}

/** The episodes matching `keep` as observations (reward x100, or steps); undefined without an episodes file. */
const observations = (
  r: Results,
  keep: (e: EpisodeRow) => boolean,
  value: (e: EpisodeRow) => number = (e) => e.reward
): ReadonlyArray<Observation> | undefined =>
  r.episodes === undefined ? undefined : r.episodes.filter(keep).map((e) => ({ seed: e.seed, goal: e.task, value: value(e) }))

/**
 * The verdict on "`a` beats `b`": paired over the (seed, goal)s both sides
 * evaluated when per-episode outcomes exist, else from the seed means.
 */
export const compareSides = (a: Side, b: Side, options: DecideOptions = {}): Check & { readonly relation: Relation } => {
  const pairs = a.episodes !== undefined && b.episodes !== undefined ? pairUp(a.episodes, b.episodes) : []
  const c = comparePaired(pairs, options)
  if (c === undefined) {
    const both = a.episodes !== undefined && b.episodes !== undefined && a.episodes.length > 0 && b.episodes.length > 0
    const why = both ? " (no paired episodes)" : ""
    const fallback = compareCells(a.name, a.cell, b.name, b.cell, options)
    return { ...fallback, evidence: `${fallback.evidence}${why}` }
  }
  return { verdict: c.decision.verdict, relation: c.decision.relation, evidence: pairedEvidence(a.name, b.name, c, options) }
}

const columnsOf = (env: EnvName): ReadonlyArray<PaperColumn> => PAPER_COLUMNS.filter((c) => columnEnv(c) === env)

/** The splits of our main table that are paper columns of `env`. */
const splitsOf = (r: Results, env: EnvName): Array<{ split: string; col: PaperColumn }> => {
  const out: Array<{ split: string; col: PaperColumn }> = []
  for (const col of columnsOf(env)) {
    const split = [...new Set(r.main.filter((x) => x.env === env).map((x) => x.split))].find((s) => paperColumn(env, s) === col)
    out.push({ split: split ?? "", col })
  }
  return out
}

/** Main-table cells by split and method label. */
const mainCells = (r: Results, env: EnvName): Map<string, Cell> =>
  aggregate(r.main.filter((x) => x.env === env), (x) => `${x.split}\u0000${x.method}`, (x) => x.mean_steps)

/** A method of the main table on a split: its reward (or steps). */
const mainSide = (r: Results, cells: Map<string, Cell>, env: EnvName, split: string, method: string, steps = false): Side => {
  const cell = cells.get(`${split}\u0000${method}`)
  return {
    name: steps ? `${method} steps` : method,
    cell: steps ? cell?.steps : cell?.reward,
    episodes: observations(
      r,
      (e) => e.env === env && e.split === split && e.method === method && e.iteration === null,
      steps ? (e) => e.steps : undefined
    )
  }
}

/** Normalised self-play method: "untuned", "rft", "eto", "rft+eto", ... */
export const selfPlayMethod = (label: string): string => {
  const s = label.replace(/^self-?play\s*/i, "").replace(/\s+/g, "").toLowerCase()
  return /untuned|prompted|^base$/.test(s) ? "untuned" : s
}

// ---------------------------------------------------------------------------
// The claims

/** Evidence beyond the result tables. */
export interface ClaimInputs {
  /** Per-step scores of ETO, SFT and the oracle on ScienceWorld seen (Efficiency.ts). */
  readonly efficiency?: ReadonlyArray<EfficiencyEpisode> | undefined
}

interface ClaimSpec {
  readonly pattern: RegExp
  /** The environments the claim speaks about. */
  readonly envs: ReadonlyArray<EnvName>
  readonly check: (r: Results, env: EnvName, inputs: ClaimInputs) => ReadonlyArray<Check>
}

const ALL: ReadonlyArray<EnvName> = ["webshop", "sciworld", "alfworld"]

const labelled = (where: string, c: Check): Check => ({ ...c, evidence: `${where}: ${c.evidence}` })

const beatsOnEveryColumn = (winner: string, losers: ReadonlyArray<string>, options: DecideOptions = {}) => (r: Results, env: EnvName) => {
  const cells = mainCells(r, env)
  return splitsOf(r, env).flatMap(({ split, col }) =>
    losers.map((loser) =>
      labelled(columnTitle(col), compareSides(mainSide(r, cells, env, split, winner), mainSide(r, cells, env, split, loser), options))
    )
  )
}

const iterationChecks = (r: Results, env: EnvName): ReadonlyArray<Check> => {
  const rows = r.iterations.filter((x) => x.env === env)
  const splits = [...new Set(rows.map((x) => x.split))]
  if (splits.length === 0) return [{ verdict: "inconclusive", evidence: `${env}: no iteration results` }]
  return splits.map((split) => {
    const mine = rows.filter((x) => x.split === split)
    const methods = new Set(mine.map((x) => x.method))
    const cells = aggregate(mine, (x) => String(x.iteration))
    const at = (i: number): Side => ({
      name: `it${i}`,
      cell: cells.get(String(i))?.reward,
      episodes: observations(r, (e) => e.env === env && e.split === split && methods.has(e.method) && e.iteration === i)
    })
    const series = [...cells.keys()].map(Number).sort((a, b) => a - b)
    const shown = series.map((i) => `it${i} ${fmt(cells.get(String(i))?.reward)}`).join(", ")
    const where = `${env}/${split} (${shown})`
    if (!cells.has("0") || !cells.has("1")) {
      return { verdict: "inconclusive" as const, evidence: `${where}: needs iteration 0 (SFT) and 1` }
    }
    // The peak among the first two iterations.
    const peak = cells.has("2") && cells.get("2")!.reward.mean > cells.get("1")!.reward.mean ? 2 : 1
    const improve = compareSides(at(peak), at(0))
    const later = series.filter((i) => i > peak)
    if (improve.verdict === "does not hold") return { verdict: "does not hold" as const, evidence: `${where}: rise ${improve.evidence}` }
    if (later.length === 0) return { verdict: "inconclusive" as const, evidence: `${where}: no iteration after the peak (it${peak})` }
    const declines = later.map((i) => compareSides(at(peak), at(i)))
    const anyDecline = declines.some((d) => d.verdict === "holds")
    const keepsRising = declines.some((d) => d.relation === "below")
    const verdict: Verdict = keepsRising
      ? "does not hold"
      : improve.verdict === "holds" && anyDecline
      ? "holds"
      : "inconclusive"
    return { verdict, evidence: `${where}: rise ${improve.evidence}; decline ${declines.map((d) => d.evidence).join("; ")}` }
  })
}

const short = (v: number | undefined): string => (v === undefined ? "?" : v !== 0 && Math.abs(v) < 1e-3 ? v.toExponential() : String(v))

const levelChecks = (r: Results, env: EnvName): ReadonlyArray<Check> => {
  const rows = r.levels.filter((x) => x.env === env)
  const splits = [...new Set(rows.map((x) => x.split))]
  if (splits.length === 0) return [{ verdict: "inconclusive", evidence: `${env}: no contrastive-level results` }]
  return splits.flatMap((split) => {
    const cells = aggregate(rows.filter((x) => x.split === split), (x) => x.method)
    const variants = [...cells.entries()].map(([method, cell]) => {
      const first = cell.rows[0]!
      return { method, level: first.level, lr: first.lr ?? undefined, beta: first.beta ?? undefined, cell }
    })
    type Variant = (typeof variants)[number]
    const side = (v: Variant): Side => ({
      name: v.lr === undefined && v.beta === undefined ? v.level : `${v.level} (lr ${short(v.lr)}, β ${short(v.beta)})`,
      cell: v.cell.reward,
      episodes: observations(r, (e) => e.env === env && e.split === split && e.method === v.method && e.iteration === null)
    })
    const traj = variants.find((v) => v.level === "trajectory")
    const others = variants.filter((v) => v.level === "step" || v.level === "mixture")
    const checks: Array<Check> = []
    if (traj === undefined || others.length === 0) {
      checks.push({ verdict: "inconclusive", evidence: `${split}: needs trajectory and step or mixture results` })
    } else {
      for (const o of others) checks.push(compareSides(side(traj), side(o)))
    }
    const steps = variants.filter((v) => v.level === "step" && v.lr !== undefined && v.beta !== undefined)
    const stable = steps.find((s) => steps.every((t) => s.lr! <= t.lr! && s.beta! >= t.beta!))
    const loose = steps.find((s) => steps.every((t) => s.lr! >= t.lr! && s.beta! <= t.beta!))
    if (stable === undefined || loose === undefined || stable === loose) {
      checks.push({ verdict: "inconclusive", evidence: `${split}: needs two step-level runs, one with lower lr and higher β` })
    } else {
      checks.push(compareSides(side(stable), side(loose)))
    }
    return checks.map((c) => labelled(`${env}/${split}`, c))
  })
}

/**
 * "A does not beat B": the negation of `compareSides(a, b)` (holds when A's
 * lead is absent, reversed or within the margin; does not hold when A
 * leads; inconclusive otherwise).
 */
export const doesNotBeat = (a: Side, b: Side): Check => {
  const c = compareSides(a, b)
  const verdict: Verdict = c.verdict === "holds" ? "does not hold" : c.verdict === "does not hold" ? "holds" : "inconclusive"
  return { verdict, evidence: `${a.name} does not beat ${b.name}: ${verdict} (${c.evidence})` }
}

/** Self-play table methods and the strategy kinds their episodes carry. */
const SELF_PLAY_KINDS: Record<string, string> = {
  untuned: "base",
  rft: "self-play:rft",
  eto: "self-play:eto",
  "rft+eto": "self-play:rft+eto"
}

const selfPlayChecks = (r: Results, env: EnvName): ReadonlyArray<Check> => {
  const rows = r.selfPlay.filter((x) => x.env === env && !x.with_bc)
  const splits = [...new Set(rows.map((x) => x.split))]
  if (splits.length === 0) return [{ verdict: "inconclusive", evidence: `${env}: no self-play results` }]
  return splits.flatMap((split) => {
    const cells = aggregate(rows.filter((x) => x.split === split), (x) => selfPlayMethod(x.method))
    const side = (m: string, name: string): Side => ({
      name,
      cell: cells.get(m)?.reward,
      episodes: observations(r, (e) => e.env === env && e.split === split && e.kind === SELF_PLAY_KINDS[m] && e.iteration === null)
    })
    return [
      // "ETO alone does not improve performance" (Section 4.5): ETO alone does not beat the untuned model.
      doesNotBeat(side("eto", "ETO alone"), side("untuned", "untuned")),
      compareSides(side("rft", "RFT"), side("untuned", "untuned")),
      compareSides(side("rft+eto", "RFT+ETO"), side("rft", "RFT")),
      compareSides(side("rft+eto", "RFT+ETO"), side("eto", "ETO alone"))
    ].map((x) => labelled(`${env}/${split}`, x))
  })
}

/** ETO's gain over SFT, larger on the first split than on the second. */
const gainChecks = (r: Results, env: EnvName): ReadonlyArray<Check> => {
  const cells = mainCells(r, env)
  const [seen, unseen] = splitsOf(r, env).map((x) => x.split) as [string, string]
  const side = (split: string, m: string) => mainSide(r, cells, env, split, m)
  const pairsOf = (split: string) => {
    const eto = side(split, "ETO"), sft = side(split, "SFT")
    return eto.episodes !== undefined && sft.episodes !== undefined ? pairUp(eto.episodes, sft.episodes) : []
  }
  const c = compareLeads(pairsOf(unseen), pairsOf(seen))
  if (c !== undefined) {
    const text = `gain(ETO − SFT) unseen − gain seen: ${intervalText(c.lead)}, paired over goals and seeds, each split resampled: ${c.decision.reason}`
    return [{
      verdict: c.decision.verdict,
      evidence: c.need === undefined ? text : `${text}; ${needText(c.need, [], "the goals evaluated")}`
    }]
  }
  const gain = (split: string) => {
    const eto = side(split, "ETO").cell, sft = side(split, "SFT").cell
    return eto === undefined || sft === undefined ? undefined : difference(eto, sft)
  }
  const gu = gain(unseen), gs = gain(seen)
  if (gu === undefined || gs === undefined) return [compareCells("gain(ETO-SFT) unseen", gu, "gain seen", gs)]
  // The intervals of the two gains may overlap while their difference is still clear.
  const d = difference(gu, gs)
  const verdict: Verdict = !hasInterval(d) ? "inconclusive" : d.low > 0 ? "holds" : d.high < 0 ? "does not hold" : "inconclusive"
  return [{ verdict, evidence: `gain unseen ${fmt(gu)} − gain seen ${fmt(gs)} = ${fmt(d)}: ${verdict}` }]
}

export const CLAIMS: ReadonlyArray<ClaimSpec> = [
  { pattern: /^ETO beats SFT on every dataset/i, envs: ALL, check: beatsOnEveryColumn("ETO", ["SFT"]) },
  {
    pattern: /^ETO beats Best-of-N, RFT and PPO on every dataset/i,
    envs: ALL,
    check: beatsOnEveryColumn("ETO", ["Best-of-N", "RFT", "PPO"])
  },
  { pattern: /gain over SFT is larger on unseen than on seen ScienceWorld/i, envs: ["sciworld"], check: gainChecks },
  {
    pattern: /PPO is unstable with binary rewards/i,
    envs: ["alfworld"],
    // "Far below": a lead of at least 10 points (the paper's gap is 38).
    check: (r, env) => {
      const cells = mainCells(r, env)
      return splitsOf(r, env).map(({ split, col }) =>
        labelled(columnTitle(col), compareSides(mainSide(r, cells, env, split, "SFT"), mainSide(r, cells, env, split, "PPO"), { minGap: 10 })))
    }
  },
  { pattern: /^Iterations help/i, envs: ALL, check: iterationChecks },
  { pattern: /^Trajectory-wise contrast beats step-wise and mixture/i, envs: ["webshop"], check: levelChecks },
  { pattern: /^Without behavioural cloning/i, envs: ["webshop"], check: selfPlayChecks },
  {
    pattern: /higher reward in fewer steps than SFT/i,
    envs: ["sciworld"],
    check: (r, env, inputs) => {
      // With per-step scores, the curves decide (paired over instances); otherwise the main table's rewards and steps.
      const eff = (inputs.efficiency ?? []).filter((e) => e.env === env)
      if (eff.length > 0) return efficiencyChecks(eff)
      const cells = mainCells(r, env)
      return splitsOf(r, env).flatMap(({ split, col }) =>
        [
          compareSides(mainSide(r, cells, env, split, "ETO"), mainSide(r, cells, env, split, "SFT")),
          // Fewer steps: SFT's steps above ETO's.
          compareSides(mainSide(r, cells, env, split, "SFT", true), mainSide(r, cells, env, split, "ETO", true), { margin: STEPS_MARGIN })
        ].map((c) => labelled(columnTitle(col), c))
      )
    }
  }
]

/** The claims of `claims` that concern `env`, each with its verdict on our results. */
export const checkClaims = (
  claims: ReadonlyArray<string>,
  results: Results,
  env: EnvName,
  inputs: ClaimInputs = {}
): Array<ClaimResult> => {
  const out: Array<ClaimResult> = []
  for (const claim of claims) {
    const spec = CLAIMS.find((s) => s.pattern.test(claim))
    if (spec === undefined) {
      out.push({ claim, verdict: "inconclusive", checks: [], note: "no automatic check for this claim's wording" })
      continue
    }
    if (!spec.envs.includes(env)) continue
    const checks = spec.check(results, env, inputs)
    out.push({ claim, verdict: combine(checks), checks })
  }
  return out
}
