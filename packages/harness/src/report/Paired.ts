/**
 * Paired comparisons of two methods on the same test goals with the same
 * seeds: the verdicts of the claims check.
 *
 * For methods A and B, every (seed, goal) both evaluated gives a paired
 * difference d = A − B (reward x100; a claim that lower is better, e.g.
 * steps, is compared as B − A, so a positive lead is always the claimed
 * direction). The estimate is the mean of the differences. Its 95% interval is a percentile bootstrap over goals
 * stratified by seed: every resample draws the evaluated goals with
 * replacement, and a drawn goal brings its differences under every seed
 * (the seeds are evaluated on the same goals, so a goal's differences are
 * resampled together). The generator is seeded, so the same data give the
 * same interval. The interval speaks about the trained agents at hand on
 * the population of goals; training randomness enters through the seeds
 * in the data, and through the power estimate (Power.ts) for a new run.
 *
 * Verdict on "A beats B (by at least `minGap`)", with the interval [lo, hi]
 * of the lead, the equivalence margin m (EQUIVALENCE_MARGIN) and the
 * one-goal slack s = R / (G + 1) (Power.goalSlack: how far one more goal
 * with the largest possible difference R, 100 for rewards x100, would move
 * the mean over G goals; it keeps a verdict from resting on a few goals or
 * on data without spread, where a bootstrap interval has no width):
 * - **does not hold** when hi + s < max(minGap, m): the lead is below what
 *   the claim needs: B is ahead, the two are equal within the margin, or
 *   the lead misses the required gap;
 * - **holds** otherwise when lo − s > minGap;
 * - **inconclusive** otherwise; then the check states how many seeds (on the
 *   goals evaluated) or goals (with the seeds run) would give 80% power at a
 *   two-sided 5% level to reach a verdict, if the true lead is the measured
 *   one (its distance from the nearer decision boundary).
 */
import { Random } from "@eto/core"
import { goalSlack, type PowerNeed, powerNeed, type PowerStratum, varianceComponents, type VarianceComponents } from "./Power"

export type Verdict = "holds" | "does not hold" | "inconclusive"
/** How the first side of a comparison stands to the second: its interval above 0, below, across, or no data. */
export type Relation = "above" | "below" | "overlap" | "missing"

/** Bootstrap resamples per interval. */
export const RESAMPLES = 10_000
/** The bootstrap generator's seed. */
export const BOOTSTRAP_SEED = "paired-bootstrap"
/** A lead smaller than this (reward x100, i.e. points) is no lead: two methods this close are equivalent. */
export const EQUIVALENCE_MARGIN = 1
/** The same for a comparison of episode lengths: half a step. */
export const STEPS_MARGIN = 0.5
/** The largest difference one goal can show in reward x100. */
export const REWARD_RANGE = 100

/** One method's value on one goal under one seed. */
export interface Observation {
  readonly seed: number
  readonly goal: string
  readonly value: number
}

export interface PairedDifference {
  readonly seed: number
  readonly goal: string
  readonly a: number
  readonly b: number
}

/** The (seed, goal) pairs both sides evaluated, in A's order. */
export const pairUp = (a: ReadonlyArray<Observation>, b: ReadonlyArray<Observation>): Array<PairedDifference> => {
  const key = (o: Observation) => `${o.seed}\u0000${o.goal}`
  const bs = new Map(b.map((o) => [key(o), o.value]))
  const out: Array<PairedDifference> = []
  const seen = new Set<string>()
  for (const o of a) {
    const k = key(o)
    const v = bs.get(k)
    if (v === undefined || seen.has(k)) continue
    seen.add(k)
    out.push({ seed: o.seed, goal: o.goal, a: o.value, b: v })
  }
  return out
}

/** A set of paired differences entering a statistic with a sign: the statistic is Σ sign × mean difference. */
export interface Stratum {
  readonly sign: number
  readonly pairs: ReadonlyArray<PairedDifference>
}

interface Cluster {
  readonly sum: number
  readonly count: number
}

/** Per goal: the sum and count of its differences over the seeds. */
const clusters = (pairs: ReadonlyArray<PairedDifference>): Array<Cluster> => {
  const by = new Map<string, { sum: number; count: number }>()
  for (const p of pairs) {
    const c = by.get(p.goal) ?? { sum: 0, count: 0 }
    c.sum += p.a - p.b
    c.count++
    by.set(p.goal, c)
  }
  return [...by.values()]
}

/** Linear interpolation between order statistics (type 7) of sorted values. */
export const quantileSorted = (sorted: ArrayLike<number>, p: number): number => {
  const h = (sorted.length - 1) * p
  const lo = Math.floor(h)
  const hi = Math.min(lo + 1, sorted.length - 1)
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!)
}

export interface Interval {
  readonly estimate: number
  readonly low: number
  readonly high: number
}

/**
 * The statistic Σ sign × mean(d) and its percentile bootstrap interval, goals
 * resampled within each stratum (every seed's differences of a drawn goal
 * together).
 */
export const bootstrapInterval = (
  strata: ReadonlyArray<Stratum>,
  options: { readonly resamples?: number; readonly seed?: string; readonly level?: number } = {}
): Interval => {
  const resamples = options.resamples ?? RESAMPLES
  const level = options.level ?? 0.95
  const cs = strata.map((s) => ({ sign: s.sign, clusters: clusters(s.pairs) }))
  const mean = (xs: ReadonlyArray<Cluster>) => xs.reduce((a, c) => a + c.sum, 0) / xs.reduce((a, c) => a + c.count, 0)
  const estimate = cs.reduce((a, s) => a + s.sign * mean(s.clusters), 0)
  const rng = Random.make(options.seed ?? BOOTSTRAP_SEED)
  const stats = new Float64Array(resamples)
  for (let r = 0; r < resamples; r++) {
    let stat = 0
    for (const s of cs) {
      let sum = 0, count = 0
      for (let i = 0; i < s.clusters.length; i++) {
        const c = s.clusters[rng.int(s.clusters.length)]!
        sum += c.sum
        count += c.count
      }
      stat += s.sign * (sum / count)
    }
    stats[r] = stat
  }
  stats.sort()
  return { estimate, low: quantileSorted(stats, (1 - level) / 2), high: quantileSorted(stats, 1 - (1 - level) / 2) }
}

/** The balanced seed × goal table of differences (goals every seed has), for the variance components. */
export const differenceTable = (pairs: ReadonlyArray<PairedDifference>): Array<Array<number>> => {
  const seeds = [...new Set(pairs.map((p) => p.seed))].sort((x, y) => x - y)
  const by = new Map(pairs.map((p) => [`${p.seed}\u0000${p.goal}`, p.a - p.b]))
  const goals = [...new Set(pairs.map((p) => p.goal))].filter((g) => seeds.every((s) => by.has(`${s}\u0000${g}`)))
  return seeds.map((s) => goals.map((g) => by.get(`${s}\u0000${g}`)!))
}

export interface DecideOptions {
  /** The lead the claim requires, in the metric's units ("far below"). */
  readonly minGap?: number
  /** The equivalence margin (default EQUIVALENCE_MARGIN). */
  readonly margin?: number
  /** The largest difference one goal can show (default REWARD_RANGE). */
  readonly range?: number
}

export interface Decision {
  readonly verdict: Verdict
  readonly relation: Relation
  /** Why, in a few words. */
  readonly reason: string
}

/** The verdict on a lead's interval, `slack` the one-goal distance kept from the boundaries (see the module comment). */
export const decide = (lead: Interval, options: Omit<DecideOptions, "range"> & { readonly slack?: number } = {}): Decision => {
  const gap = options.minGap ?? 0
  const margin = options.margin ?? EQUIVALENCE_MARGIN
  const slack = options.slack ?? 0
  const bar = Math.max(gap, margin)
  const relation: Relation = lead.low > 0 ? "above" : lead.high < 0 ? "below" : "overlap"
  if (lead.high + slack < bar) {
    const reason = lead.high + slack < 0
      ? "the reverse holds"
      : gap >= margin
      ? `the lead is below the required ${gap}`
      : lead.high < 0
      ? `the interval lies below 0 (the other ahead); one more goal keeps the lead under the ${margin}-point margin`
      : `equal within the ${margin}-point margin`
    return { verdict: "does not hold", relation, reason }
  }
  if (lead.low - slack > gap) return { verdict: "holds", relation, reason: "holds" }
  const weight = `one more goal could move the mean by ${slack.toFixed(1)}`
  if (lead.low > gap) return { verdict: "inconclusive", relation, reason: `above ${gap}, but ${weight}` }
  if (lead.high < bar) return { verdict: "inconclusive", relation, reason: `below ${bar}, but ${weight}` }
  const spans = gap >= margin ? `the required ${gap}` : gap === 0 ? `0 and the ${margin}-point margin` : `${gap} and ${bar}`
  return { verdict: "inconclusive", relation, reason: `the interval spans ${spans}` }
}

/**
 * The difference a design must detect: the distance of the measured lead
 * from the decision boundary it is nearer to passing (lo > gap for holds,
 * hi < max(gap, margin) for does not hold).
 */
export const detectable = (estimate: number, options: DecideOptions = {}): number => {
  const gap = options.minGap ?? 0
  const bar = Math.max(gap, options.margin ?? EQUIVALENCE_MARGIN)
  return Math.max(estimate - gap, bar - estimate)
}

export interface PairedComparison {
  readonly pairs: number
  readonly goals: number
  readonly seeds: ReadonlyArray<number>
  readonly meanA: number
  readonly meanB: number
  /** The lead A − B and its interval. */
  readonly lead: Interval
  /** Per seed: the mean lead. */
  readonly perSeed: ReadonlyArray<{ readonly seed: number; readonly lead: number }>
  readonly components: VarianceComponents | undefined
  readonly decision: Decision
  /** Set when the verdict is inconclusive. */
  readonly need: PowerNeed | undefined
}

const avg = (xs: ReadonlyArray<number>): number => xs.reduce((a, b) => a + b, 0) / xs.length

/** A paired comparison of A with B; undefined without a single shared (seed, goal). */
export const comparePaired = (
  pairs: ReadonlyArray<PairedDifference>,
  options: DecideOptions & { readonly resamples?: number } = {}
): PairedComparison | undefined => {
  if (pairs.length === 0) return undefined
  const lead = bootstrapInterval([{ sign: 1, pairs }], options.resamples !== undefined ? { resamples: options.resamples } : {})
  const seeds = [...new Set(pairs.map((p) => p.seed))].sort((x, y) => x - y)
  const goals = new Set(pairs.map((p) => p.goal)).size
  const range = options.range ?? REWARD_RANGE
  const components = varianceComponents(differenceTable(pairs))
  const decision = decide(lead, { ...options, slack: goalSlack([{ goals, range }]) })
  const need = decision.verdict === "inconclusive" && components !== undefined
    ? powerNeed([{ components, goals: components.goals, range }], detectable(lead.estimate, options), seeds.length)
    : undefined
  return {
    pairs: pairs.length,
    goals,
    seeds,
    meanA: avg(pairs.map((p) => p.a)),
    meanB: avg(pairs.map((p) => p.b)),
    lead,
    perSeed: seeds.map((s) => ({ seed: s, lead: avg(pairs.filter((p) => p.seed === s).map((p) => p.a - p.b)) })),
    components,
    decision,
    need
  }
}

/**
 * A difference of two paired leads measured on different goals (e.g. ETO's
 * gain over SFT on unseen minus on seen): both strata resampled in one
 * bootstrap, the verdict on "first lead > second lead".
 */
export const compareLeads = (
  first: ReadonlyArray<PairedDifference>,
  second: ReadonlyArray<PairedDifference>,
  options: DecideOptions & { readonly resamples?: number } = {}
): { readonly lead: Interval; readonly decision: Decision; readonly need: PowerNeed | undefined; readonly seeds: number } | undefined => {
  if (first.length === 0 || second.length === 0) return undefined
  const lead = bootstrapInterval(
    [{ sign: 1, pairs: first }, { sign: -1, pairs: second }],
    options.resamples !== undefined ? { resamples: options.resamples } : {}
  )
  const range = options.range ?? REWARD_RANGE
  const goalsOf = (ps: ReadonlyArray<PairedDifference>) => new Set(ps.map((p) => p.goal)).size
  const decision = decide(lead, { ...options, slack: goalSlack([first, second].map((ps) => ({ goals: goalsOf(ps), range }))) })
  const strata: Array<PowerStratum> = []
  for (const ps of [first, second]) {
    const c = varianceComponents(differenceTable(ps))
    if (c !== undefined) strata.push({ components: c, goals: c.goals, range })
  }
  const seeds = Math.min(new Set(first.map((p) => p.seed)).size, new Set(second.map((p) => p.seed)).size)
  const need = decision.verdict === "inconclusive" && strata.length === 2
    ? powerNeed(strata, detectable(lead.estimate, options), seeds)
    : undefined
  return { lead, decision, need, seeds }
}

// ---------------------------------------------------------------------------
// Wording

const signed = (v: number): string => `${v >= 0 ? "+" : "−"}${Math.abs(v).toFixed(1)}`

/** "+1.2 [95% CI −0.8, +3.1]" */
export const intervalText = (i: Interval): string => `${signed(i.estimate)} [95% CI ${signed(i.low)}, ${signed(i.high)}]`

const sd = (v: number): string => Math.sqrt(v).toFixed(1)

/** What a decision would need, one clause. */
export const needText = (need: PowerNeed, components: ReadonlyArray<VarianceComponents>, goals: string): string => {
  const plus = (xs: ReadonlyArray<number>) => xs.join(" + ")
  const options = [
    need.seedsAtGoals === undefined ? undefined : `≈ ${need.seedsAtGoals} seed${need.seedsAtGoals === 1 ? "" : "s"} on ${goals}`,
    need.goalsAtSeeds === undefined ? undefined : `≈ ${plus(need.goalsAtSeeds)} goals with these seeds`,
    need.fewestEpisodes === undefined
      ? undefined
      : `(fewest episodes) ${need.fewestEpisodes.seeds} seed${need.fewestEpisodes.seeds === 1 ? "" : "s"} on ${plus(need.fewestEpisodes.goals)} goals`
  ].filter((x) => x !== undefined)
  const parts = components.map((c) =>
    `sd between goals ${sd(c.goal)}, between seeds ${c.seedMeasured ? sd(c.seed) : "unmeasured (one seed)"}, residual ${c.seedMeasured ? sd(c.residual) : "—"}`)
  const what = options.length === 0 ? "more than 100 seeds and 1,000,000 goals" : options.join(", or ")
  return `a decision at 80% power (two-sided 5%) against a true lead of ${need.delta.toFixed(1)} needs ${what}` +
    (parts.length > 0 ? ` (${parts.join("; ")})` : "")
}

/** One line of evidence for a paired comparison; `minGap` is named when the claim requires a lead. */
export const pairedEvidence = (aName: string, bName: string, c: PairedComparison, options: { readonly minGap?: number } = {}): string => {
  const perSeed = c.perSeed.length > 1 ? `; per seed ${c.perSeed.map((s) => signed(s.lead)).join(", ")}` : ""
  const gap = options.minGap !== undefined && options.minGap > 0 ? `, required lead ${options.minGap}` : ""
  const head = `${aName} − ${bName}: ${intervalText(c.lead)}, paired over ${c.goals} goals × ${c.seeds.length} seed${c.seeds.length === 1 ? "" : "s"} ` +
    `(${aName} ${c.meanA.toFixed(1)}, ${bName} ${c.meanB.toFixed(1)}${perSeed}${gap}): ${c.decision.reason}`
  return c.need === undefined || c.components === undefined
    ? head
    : `${head}; ${needText(c.need, [c.components], `these ${c.goals} goals`)}`
}
