/**
 * How many seeds and goals a paired comparison needs to be decided.
 *
 * Per-goal paired differences d(s, g) (seed s, goal g; reward x100) are read
 * as a two-way random-effects model without interaction replicates,
 *
 *   d(s, g) = μ + a(s) + b(g) + e(s, g),
 *
 * with a between-seed component σ²_seed (training randomness), a
 * between-goal component σ²_goal (some goals favour one method) and the
 * residual σ²_res. From the balanced seed × goal table (goals every seed
 * evaluated) the usual ANOVA estimates are
 *
 *   MS_seed = G Σ_s (d̄_s· − d̄)² / (S − 1)
 *   MS_goal = S Σ_g (d̄_·g − d̄)² / (G − 1)
 *   MS_res  = Σ (d − d̄_s· − d̄_·g + d̄)² / ((S − 1)(G − 1))
 *   σ²_res = MS_res, σ²_seed = max(0, (MS_seed − MS_res) / G), σ²_goal = max(0, (MS_goal − MS_res) / S).
 *
 * With one seed the seed component cannot be measured (taken as 0) and the
 * goal and residual components cannot be told apart (all of it is counted
 * as between-goal, the side more seeds cannot reduce). The variance of the
 * mean difference of a new run with S seeds on G goals is
 *
 *   V(S, G) = σ²_seed / S + σ²_goal / G + σ²_res / (S G),
 *
 * and a two-sided test at level α has power 1 − β against a true
 * difference δ when δ ≥ (z_{1−α/2} + z_{1−β}) √V (normal approximation),
 * plus the one-goal slack the decisions keep (`goalSlack`). The design
 * asked for is the smallest S at the goals evaluated, and the smallest G at
 * the seeds run.
 */

/** Acklam's rational approximation of the standard normal quantile (relative error below 1.2e-9). */
const A = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239]
const B = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1]
const C = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783]
const D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416]

/** The `p` quantile of the standard normal distribution. */
export const normalQuantile = (p: number): number => {
  if (!(p > 0 && p < 1)) throw new RangeError(`normal quantile needs 0 < p < 1 (got ${p})`)
  const low = 0.02425
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p))
    return (((((C[0]! * q + C[1]!) * q + C[2]!) * q + C[3]!) * q + C[4]!) * q + C[5]!) /
      ((((D[0]! * q + D[1]!) * q + D[2]!) * q + D[3]!) * q + 1)
  }
  if (p > 1 - low) return -normalQuantile(1 - p)
  const q = p - 0.5
  const r = q * q
  return ((((((A[0]! * r + A[1]!) * r + A[2]!) * r + A[3]!) * r + A[4]!) * r + A[5]!) * q) /
    (((((B[0]! * r + B[1]!) * r + B[2]!) * r + B[3]!) * r + B[4]!) * r + 1)
}

export interface VarianceComponents {
  /** Seeds and goals of the balanced table the components come from. */
  readonly seeds: number
  readonly goals: number
  /** Variances, in the squared units of the differences. */
  readonly seed: number
  readonly goal: number
  readonly residual: number
  /** False with a single seed: the seed component is unknown (0 here). */
  readonly seedMeasured: boolean
}

/**
 * The components from differences by seed and goal: `table[s][g]`, every
 * row the same goals in the same order. Undefined with fewer than two goals.
 */
export const varianceComponents = (table: ReadonlyArray<ReadonlyArray<number>>): VarianceComponents | undefined => {
  const S = table.length
  const G = S === 0 ? 0 : table[0]!.length
  if (S === 0 || G < 2 || table.some((row) => row.length !== G)) return undefined
  const seedMean = table.map((row) => row.reduce((a, b) => a + b, 0) / G)
  const goalMean = Array.from({ length: G }, (_, g) => table.reduce((a, row) => a + row[g]!, 0) / S)
  const grand = seedMean.reduce((a, b) => a + b, 0) / S
  const msGoal = (S * goalMean.reduce((a, m) => a + (m - grand) ** 2, 0)) / (G - 1)
  if (S === 1) return { seeds: 1, goals: G, seed: 0, goal: msGoal, residual: 0, seedMeasured: false }
  const msSeed = (G * seedMean.reduce((a, m) => a + (m - grand) ** 2, 0)) / (S - 1)
  let ss = 0
  for (let s = 0; s < S; s++) {
    for (let g = 0; g < G; g++) ss += (table[s]![g]! - seedMean[s]! - goalMean[g]! + grand) ** 2
  }
  const msRes = ss / ((S - 1) * (G - 1))
  return {
    seeds: S,
    goals: G,
    seed: Math.max(0, (msSeed - msRes) / G),
    goal: Math.max(0, (msGoal - msRes) / S),
    residual: msRes,
    seedMeasured: true
  }
}

/** The variance of the mean difference of a run with `seeds` seeds on `goals` goals. */
export const meanVariance = (c: VarianceComponents, seeds: number, goals: number): number =>
  c.seed / seeds + c.goal / goals + c.residual / (seeds * goals)

/** Design sizes are searched up to these (beyond: "not reachable"). */
export const MAX_SEEDS = 1000
export const MAX_GOALS = 1_000_000

/** z_{1−α/2} + z_{power}: the standardised distance a difference must lie from the boundary. */
export const zSum = (alpha = 0.05, power = 0.8): number => normalQuantile(1 - alpha / 2) + normalQuantile(power)

/** One set of paired differences: its components, the goals it was measured on and the range of a difference. */
export interface PowerStratum {
  readonly components: VarianceComponents
  readonly goals: number
  /** The largest difference one goal can show (100 for rewards x100); see `goalSlack`. */
  readonly range: number
}

/**
 * How far one more goal could move a stratum's mean difference: R / (G + 1),
 * a goal with the largest possible difference R added to G goals. Decisions
 * keep this distance from their boundaries (Paired.ts), so that a verdict
 * does not rest on a handful of goals or on data with no spread.
 */
export const goalSlack = (strata: ReadonlyArray<{ readonly goals: number; readonly range: number }>, factor = 1): number =>
  strata.reduce((a, k) => a + k.range / (factor * k.goals + 1), 0)

export interface PowerNeed {
  /** The difference to detect (distance of the measured mean from the decision boundary). */
  readonly delta: number
  /** Seeds needed on the evaluated goals; undefined when no seed count up to MAX_SEEDS reaches the power there. */
  readonly seedsAtGoals: number | undefined
  /** Goals needed (per stratum) with the seeds run; undefined when no goal count up to MAX_GOALS reaches it. */
  readonly goalsAtSeeds: ReadonlyArray<number> | undefined
  /** The design with the fewest episodes (seeds × goals) that reaches it; undefined when none up to the maxima does. */
  readonly fewestEpisodes: { readonly seeds: number; readonly goals: ReadonlyArray<number> } | undefined
}

/**
 * The smallest seed count on the evaluated goals, the smallest goal counts
 * (every stratum's goals scaled by one factor) with `seeds` seeds, and the
 * design with the fewest episodes, that give `power` (two-sided level
 * `alpha`) against a true difference `delta` from the boundary:
 * z √V + slack ≤ delta, with V the variance of the statistic (a difference
 * of two paired differences on different goals adds its strata's variances)
 * and slack the one-goal distance (`goalSlack`).
 */
export const powerNeed = (
  strata: ReadonlyArray<PowerStratum>,
  delta: number,
  seeds: number,
  options: { readonly alpha?: number; readonly power?: number } = {}
): PowerNeed => {
  const z = zSum(options.alpha, options.power)
  const d = Math.abs(delta)
  // At the evaluated goals: V(S) = perSeed / S + fixed.
  const perSeed = strata.reduce((a, k) => a + k.components.seed + k.components.residual / k.goals, 0)
  const fixed = strata.reduce((a, k) => a + k.components.goal / k.goals, 0)
  const room = d - goalSlack(strata)
  const budget = room > 0 ? (room / z) ** 2 : 0
  const sNeed = budget - fixed > 0 ? Math.max(1, Math.ceil(perSeed / (budget - fixed) - 1e-9)) : Infinity
  // With S seeds and every stratum's goals times f: V = seedPart + scaled / f.
  const goalsWith = (s: number): Array<number> | undefined => {
    const seedPart = strata.reduce((a, k) => a + k.components.seed / s, 0)
    const scaled = strata.reduce((a, k) => a + (k.components.goal + k.components.residual / s) / k.goals, 0)
    const enough = (f: number) => z * Math.sqrt(seedPart + scaled / f) + goalSlack(strata, f) <= d
    const fMax = MAX_GOALS / Math.min(...strata.map((k) => k.goals))
    if (strata.length === 0 || !enough(fMax)) return undefined
    let lo = 0, hi = fMax
    for (let i = 0; i < 200 && hi - lo > 1e-9 * hi; i++) {
      const mid = (lo + hi) / 2
      if (enough(mid)) hi = mid
      else lo = mid
    }
    return strata.map((k) => Math.max(2, Math.ceil(hi * k.goals - 1e-6)))
  }
  let fewest: PowerNeed["fewestEpisodes"]
  for (let s = 1; s <= 100; s++) {
    const g = goalsWith(s)
    const sum = (xs: ReadonlyArray<number>) => xs.reduce((a, b) => a + b, 0)
    if (g !== undefined && (fewest === undefined || s * sum(g) < fewest.seeds * sum(fewest.goals))) fewest = { seeds: s, goals: g }
  }
  return { delta: d, seedsAtGoals: sNeed <= MAX_SEEDS ? sNeed : undefined, goalsAtSeeds: goalsWith(seeds), fewestEpisodes: fewest }
}
