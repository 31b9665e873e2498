import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { Results } from "./Aggregate"
import { checkClaims, compareCells, compareSides, doesNotBeat } from "./Claims"
import type { MainRow } from "./Csv"
import type { EpisodeRow } from "./Episodes"
import {
  bootstrapInterval,
  compareLeads,
  comparePaired,
  decide,
  detectable,
  differenceTable,
  type Observation,
  type PairedDifference,
  pairUp,
  quantileSorted
} from "./Paired"
import { loadPaperTables } from "./Paper"
import { goalSlack, meanVariance, normalQuantile, powerNeed, varianceComponents, zSum } from "./Power"
import { Stats } from "@eto/strategies"

/** Differences d(s, g) = a − b with b = 50: `f(seed, goal index)` gives d. */
const pairsOf = (seeds: ReadonlyArray<number>, goals: number, f: (seed: number, g: number) => number): Array<PairedDifference> =>
  seeds.flatMap((seed) => Array.from({ length: goals }, (_, g) => ({ seed, goal: `g${g}`, a: 50 + f(seed, g), b: 50 })))

describe("normal quantiles and the power formula", () => {
  it("match tabulated normal quantiles", () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963985, 8)
    expect(normalQuantile(0.8)).toBeCloseTo(0.841621234, 8)
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232306, 8)
    expect(normalQuantile(0.5)).toBe(0)
    expect(zSum()).toBeCloseTo(2.801585218, 8)
    expect(() => normalQuantile(1)).toThrow(RangeError)
  })

  it("estimates the seed, goal and residual components of a seed × goal table by hand", () => {
    // Seed means 2 and 4, goal means 2, 3, 4, no interaction: MS_seed 6, MS_goal 2, MS_res 0.
    expect(varianceComponents([[1, 2, 3], [3, 4, 5]])).toEqual({ seeds: 2, goals: 3, seed: 2, goal: 1, residual: 0, seedMeasured: true })
    // MS_seed 1.5, MS_goal 6.5, MS_res 1.5: σ²_seed max(0, 0) = 0, σ²_goal (6.5 − 1.5) / 2 = 2.5.
    const c = varianceComponents([[1, 2, 6], [3, 4, 5]])!
    expect(c.seed).toBe(0)
    expect(c.goal).toBeCloseTo(2.5, 12)
    expect(c.residual).toBeCloseTo(1.5, 12)
    // One seed: everything is between goals, the seed component unmeasured.
    expect(varianceComponents([[1, 2, 6]])).toMatchObject({ seed: 0, goal: 7, residual: 0, seedMeasured: false })
    expect(varianceComponents([[1]])).toBeUndefined()
  })

  it("gives the seeds and goals a decision needs, as computed by hand", () => {
    // σ²_goal 400, σ²_seed 4, σ²_res 100; δ 5; no slack (range 0): budget (5 / 2.8016)² = 3.1852.
    // Seeds at 200 goals: (4 + 100/200) / (3.1852 − 400/200) = 3.797 → 4.
    // Goals at 3 seeds: factor (400 + 100/3) / 200 / (3.1852 − 4/3) = 1.1700 → 235 goals.
    const c = { seeds: 3, goals: 200, seed: 4, goal: 400, residual: 100, seedMeasured: true }
    const bare = { components: c, goals: 200, range: 0 }
    expect(powerNeed([bare], 5, 3)).toMatchObject({ delta: 5, seedsAtGoals: 4, goalsAtSeeds: [235] })
    // The design found has the power: its variance is within the budget, one fewer seed is not.
    const budget = (5 / zSum()) ** 2
    expect(meanVariance(c, 4, 200)).toBeLessThanOrEqual(budget)
    expect(meanVariance(c, 3, 200)).toBeGreaterThan(budget)
    // A difference smaller than the goal variance allows at 200 goals: no seed count reaches it.
    expect(powerNeed([bare], 3, 3).seedsAtGoals).toBeUndefined()
    // Two strata (a difference of two leads) add their variances.
    const two = powerNeed([bare, bare], 5, 3)
    expect(two.seedsAtGoals).toBeUndefined() // 2 × 400 / 200 = 4 > 3.185 already
    // Factor 2 × (400 + 100/3) / 200 / (3.1852 − 2 × 4/3) = 4.3333 / 0.5185 = 8.357: 1672 goals per split.
    expect(two.goalsAtSeeds).toEqual([1672, 1672])
    // With the one-goal slack of rewards x100, 100 / 201 = 0.4975: the budget is ((5 − 0.4975) / 2.8016)² = 2.5828,
    // seeds 4.5 / (2.5828 − 2) = 7.72 → 8; goals: the smallest G with 2.8016 √(4/3 + 433.3/G) + 100/(G + 1) ≤ 5 is 301.
    expect(goalSlack([{ goals: 200, range: 100 }])).toBeCloseTo(0.4975, 4)
    const slacked = powerNeed([{ ...bare, range: 100 }], 5, 3)
    expect(slacked).toMatchObject({ delta: 5, seedsAtGoals: 8, goalsAtSeeds: [301] })
    // Fewest episodes: no design with fewer seeds × goals has the power, and this one has.
    const f = slacked.fewestEpisodes!
    const ok = (s: number, g: number) => zSum() * Math.sqrt(meanVariance(c, s, g)) + 100 / (g + 1) <= 5
    expect(ok(f.seeds, f.goals[0]!)).toBe(true)
    for (let s = 1; s <= 100; s++) {
      for (let g = 2; s * g < f.seeds * f.goals[0]!; g++) expect(ok(s, g)).toBe(false)
    }
  })
})

describe("paired bootstrap", () => {
  it("is deterministic for a seed and changes with it", () => {
    const pairs = pairsOf([1, 2, 3], 40, (s, g) => ((g * 37 + s * 11) % 21) - 8)
    const a = bootstrapInterval([{ sign: 1, pairs }])
    expect(bootstrapInterval([{ sign: 1, pairs }])).toEqual(a)
    const b = bootstrapInterval([{ sign: 1, pairs }], { seed: "another" })
    expect(b.estimate).toBe(a.estimate)
    expect(b.low).not.toBe(a.low)
  })

  it("has the normal-theory width for independent goals and keeps a goal's seeds together", () => {
    // 400 goals, differences ±10 around 2 (sd 10): standard error 0.5, interval ≈ 2 ± 0.98.
    const one = bootstrapInterval([{ sign: 1, pairs: pairsOf([1], 400, (_, g) => 2 + (g % 2 === 0 ? 10 : -10)) }])
    expect(one.estimate).toBeCloseTo(2, 12)
    expect(one.low).toBeCloseTo(2 - 0.98, 1)
    expect(one.high).toBeCloseTo(2 + 0.98, 1)
    // The same goal effect under two seeds is one goal's evidence, not two: the width stays that of
    // 100 goals (2 × 1.96 × 10 / √100 = 3.9), not of 200 independent pairs (2.8).
    const shared = bootstrapInterval([{ sign: 1, pairs: pairsOf([1, 2], 100, (_, g) => (g % 2 === 0 ? 10 : -10)) }])
    expect(shared.high - shared.low).toBeGreaterThan(3.5)
    expect(shared.high - shared.low).toBeLessThan(4.4)
    // Constant differences: no spread.
    expect(bootstrapInterval([{ sign: 1, pairs: pairsOf([1, 2], 10, () => 3) }])).toEqual({ estimate: 3, low: 3, high: 3 })
  })

  it("subtracts a second stratum's lead", () => {
    const i = bootstrapInterval([{ sign: 1, pairs: pairsOf([1], 20, () => 7) }, { sign: -1, pairs: pairsOf([1], 30, () => 2) }])
    expect(i).toEqual({ estimate: 5, low: 5, high: 5 })
  })

  it("compares two leads on different goals (a gain on unseen against one on seen)", () => {
    const unseen = pairsOf([1, 2], 200, (s, g) => 13 + ((g * 7 + s) % 9) - 4)
    const seen = pairsOf([1, 2], 150, (s, g) => 7 + ((g * 5 + s) % 7) - 3)
    const c = compareLeads(unseen, seen)!
    expect(c.lead.estimate).toBeCloseTo(6, 1)
    expect(c.decision.verdict).toBe("holds")
    expect(compareLeads(seen, unseen)!.decision).toMatchObject({ verdict: "does not hold", reason: "the reverse holds" })
    // Gains of 6 and 5 with per-goal spread ±40 on 40 goals: undecided, with a design for the two splits together.
    const wide = compareLeads(pairsOf([1, 2], 40, (_, g) => 6 + (g % 2 === 0 ? 40 : -40)), pairsOf([1, 2], 40, (_, g) => 5 + (g % 2 === 0 ? 40 : -40)))!
    expect(wide.decision.verdict).toBe("inconclusive")
    expect(wide.need!.goalsAtSeeds![0]).toBeGreaterThan(1000)
    expect(compareLeads([], seen)).toBeUndefined()
  })

  it("interpolates quantiles between order statistics", () => {
    expect(quantileSorted([1, 2, 3, 4], 0.5)).toBe(2.5)
    expect(quantileSorted([1, 2, 3, 4], 0)).toBe(1)
    expect(quantileSorted([1, 2, 3, 4], 1)).toBe(4)
  })

  it("pairs only the (seed, goal)s both sides have", () => {
    const a: Array<Observation> = [{ seed: 1, goal: "x", value: 3 }, { seed: 1, goal: "y", value: 4 }, { seed: 2, goal: "x", value: 5 }]
    const b: Array<Observation> = [{ seed: 1, goal: "x", value: 1 }, { seed: 2, goal: "x", value: 2 }, { seed: 2, goal: "z", value: 0 }]
    expect(pairUp(a, b)).toEqual([{ seed: 1, goal: "x", a: 3, b: 1 }, { seed: 2, goal: "x", a: 5, b: 2 }])
    // The balanced table keeps goals every seed has.
    expect(differenceTable([...pairUp(a, b), { seed: 1, goal: "y", a: 4, b: 0 }])).toEqual([[2], [3]])
  })
})

describe("paired verdicts", () => {
  it("holds when the interval lies above 0", () => {
    const c = comparePaired(pairsOf([1, 2, 3], 50, (s, g) => 4 + ((g * 7 + s) % 5) - 2))!
    expect(c.decision).toMatchObject({ verdict: "holds", relation: "above" })
    expect(c.lead.estimate).toBeCloseTo(4, 1)
    expect(c.need).toBeUndefined()
  })

  it("does not hold when reversed, when equal within the margin, or below a required lead", () => {
    expect(comparePaired(pairsOf([1, 2], 200, (_, g) => -3 + (g % 3)))!.decision).toMatchObject({
      verdict: "does not hold",
      reason: "the reverse holds",
      relation: "below"
    })
    // Differences of ±0.3 around 0 on 300 goals: the interval, widened by one goal's weight 100/301, lies below 1.
    const equal = comparePaired(pairsOf([1, 2], 300, (_, g) => (g % 2 === 0 ? 0.3 : -0.3)))!
    expect(equal.decision).toMatchObject({ verdict: "does not hold", reason: "equal within the 1-point margin" })
    // B ahead by about 0.5 on 150 goals: the interval lies below 0, but one goal's weight (100/151) reaches past 0
    // and stays under the margin, so "does not hold" without claiming the reverse.
    const behind = comparePaired(pairsOf([1, 2], 150, (_, g) => -0.5 + (g % 2 === 0 ? 0.1 : -0.1)))!
    expect(behind.decision).toMatchObject({
      verdict: "does not hold",
      relation: "below",
      reason: "the interval lies below 0 (the other ahead); one more goal keeps the lead under the 1-point margin"
    })
    // Every goal the same under both on 200 goals: "does not hold" (no lead).
    expect(comparePaired(pairsOf([1], 200, () => 0))!.decision.verdict).toBe("does not hold")
    // On 20 goals a bootstrap interval of [0, 0] proves little: one more goal could move the mean by 100/21.
    expect(comparePaired(pairsOf([1], 20, () => 0))!.decision).toMatchObject({
      verdict: "inconclusive",
      reason: "below 1, but one more goal could move the mean by 4.8"
    })
    // A clear lead of 5 where 10 is required.
    const short = comparePaired(pairsOf([1, 2], 60, (_, g) => 5 + (g % 3) - 1), { minGap: 10 })!
    expect(short.decision).toMatchObject({ verdict: "does not hold", reason: "the lead is below the required 10" })
    expect(comparePaired(pairsOf([1, 2], 60, (_, g) => 30 + (g % 3) - 1), { minGap: 10 })!.decision.verdict).toBe("holds")
  })

  it("is inconclusive when the interval spans 0, and then states the seeds and goals needed", () => {
    // Mean lead 3 with per-goal differences of ±40 on 20 goals, 2 seeds.
    const c = comparePaired(pairsOf([1, 2], 20, (s, g) => 3 + (g % 2 === 0 ? 40 : -40) + (s === 1 ? 1 : -1)))!
    expect(c.decision.verdict).toBe("inconclusive")
    expect(c.lead.low).toBeLessThan(0)
    expect(c.lead.high).toBeGreaterThan(1)
    expect(c.need).toBeDefined()
    expect(c.need!.delta).toBeCloseTo(3, 10)
    // Between goals the differences are ±40 and the same for both seeds: σ²_goal ≈ 1600 (1684 = 1600 × 20/19).
    expect(c.components!.goal).toBeCloseTo(1684.2, 0)
    // Seed means 4 and 2: MS_seed = 20 × (1 + 1) = 40, σ²_seed = 40 / 20 = 2.
    expect(c.components!.seed).toBeCloseTo(2, 6)
    // Goal variance alone at 20 goals (84) is far above the budget (3 / 2.80)² = 1.15: seeds cannot help, goals can.
    expect(c.need!.seedsAtGoals).toBeUndefined()
    expect(c.need!.goalsAtSeeds![0]).toBeGreaterThan(1000)
  })

  it("needs a distance from the nearer boundary", () => {
    expect(detectable(3)).toBe(3)
    expect(detectable(0)).toBe(1) // the margin can still be shown
    expect(detectable(0.4)).toBeCloseTo(0.6, 12)
    expect(detectable(4, { minGap: 10 })).toBe(6)
    expect(decide({ estimate: 0.5, low: 0.2, high: 0.8 }).verdict).toBe("does not hold")
    expect(decide({ estimate: 2, low: 0.2, high: 3.8 }).verdict).toBe("holds")
    expect(decide({ estimate: 2, low: 0.2, high: 3.8 }, { slack: 0.5 })).toMatchObject({
      verdict: "inconclusive",
      reason: "above 0, but one more goal could move the mean by 0.5"
    })
  })
})

// ---------------------------------------------------------------------------
// The claims check on per-episode outcomes

const GOALS = 200
/** Episodes of a method on a split: reward = level(seed) + per-goal pattern + lead. */
const episodes = (method: string, kind: string, lead: number, seeds: ReadonlyArray<number>, split = "test"): Array<EpisodeRow> =>
  seeds.flatMap((seed) =>
    Array.from({ length: GOALS }, (_, g) => ({
      env: "webshop" as const,
      method,
      kind,
      iteration: null,
      split,
      seed,
      task: `B0${g}:1`,
      reward: Math.min(100, Math.max(0, (seed === 1 ? 20 : 40) + ((g * 13) % 30) + lead + ((g + seed + kind.length) % 3) - 1)),
      success: false,
      steps: 5
    })))

const mainOf = (eps: ReadonlyArray<EpisodeRow>): Array<MainRow> => {
  const keys = [...new Set(eps.map((e) => `${e.method}\u0000${e.seed}\u0000${e.split}`))]
  return keys.map((k) => {
    const [method, seed, split] = k.split("\u0000") as [string, string, string]
    const mine = eps.filter((e) => e.method === method && e.seed === Number(seed) && e.split === split)
    const avg = mine.reduce((a, e) => a + e.reward, 0) / mine.length
    return { env: "webshop", method, split, seed: Number(seed), avg_reward: avg, success_rate: 0, tasks: mine.length, mean_steps: 5, wall_seconds: 1 }
  })
}

describe("the claims check, paired", () => {
  it.effect("decides ETO vs SFT paired where the seed means' intervals cannot", () =>
    Effect.gen(function*() {
      const paper = yield* loadPaperTables()
      // Seed 1 scores ~20 points below seed 2 for both methods; ETO leads by 3 on every goal.
      const eps = [...episodes("SFT", "sft", 0, [1, 2]), ...episodes("ETO", "eto:trajectory", 3, [1, 2])]
      const results: Results = { main: mainOf(eps), iterations: [], levels: [], selfPlay: [], episodes: eps }
      const unpaired = compareCells(
        "ETO",
        Stats.meanCi(results.main.filter((r) => r.method === "ETO").map((r) => r.avg_reward)),
        "SFT",
        Stats.meanCi(results.main.filter((r) => r.method === "SFT").map((r) => r.avg_reward))
      )
      expect(unpaired.verdict).toBe("inconclusive")
      const [eto] = checkClaims(paper.claims, results, "webshop")
      expect(eto!.verdict).toBe("holds")
      expect(eto!.checks[0]!.evidence).toMatch(/^WebShop: ETO − SFT: \+3\.0 \[95% CI \+2\.\d, \+3\.\d\], paired over 200 goals × 2 seeds \(ETO \d+\.\d, SFT \d+\.\d; per seed \+3\.0, \+3\.0\): holds$/)
      // Without the episodes file the same tables fall back to the seed means.
      const [fallback] = checkClaims(paper.claims, { ...results, episodes: undefined }, "webshop")
      expect(fallback!.verdict).toBe("inconclusive")
      expect(fallback!.checks[0]!.evidence).toContain("intervals overlap")
    }))

  it.effect("pairs the self-play rows by strategy kind and names missing sides", () =>
    Effect.gen(function*() {
      const paper = yield* loadPaperTables()
      const eps = [
        ...episodes("Untuned", "base", 0, [1, 2]),
        ...episodes("Self-play RFT", "self-play:rft", 6, [1, 2]),
        ...episodes("Self-play ETO", "self-play:eto", -4, [1, 2]),
        ...episodes("Self-play RFT+ETO", "self-play:rft+eto", 6.2, [1, 2])
      ]
      const selfPlay = mainOf(eps).map((m) => ({
        env: m.env,
        method: m.method === "Untuned" ? "untuned" : m.method.replace("Self-play ", ""),
        with_bc: false,
        split: m.split,
        seed: m.seed,
        avg_reward: m.avg_reward,
        success_rate: 0,
        tasks: m.tasks,
        trajectories: null,
        pairs: null
      }))
      const results: Results = { main: mainOf(eps), iterations: [], levels: [], selfPlay, episodes: eps }
      const claim = checkClaims(paper.claims, results, "webshop").find((c) => c.claim.startsWith("Without behavioural"))!
      expect(claim.checks.map((c) => c.verdict)).toEqual(["holds", "holds", "does not hold", "holds"])
      expect(claim.checks[0]!.evidence).toMatch(/^webshop\/test: ETO alone does not beat untuned: holds \(ETO alone − untuned: −4\.0 /)
      expect(claim.checks[2]!.evidence).toContain("equal within the 1-point margin")
      expect(claim.verdict).toBe("does not hold")
    }))

  it("checks that a method does not beat another: equal or behind holds, ahead does not", () => {
    const obs = (lead: number) => pairsOf([1, 2], 200, (_, g) => lead + (g % 5) - 2).map((p) => ({ seed: p.seed, goal: p.goal, value: p.a }))
    const base = { name: "untuned", cell: undefined, episodes: obs(0) }
    expect(doesNotBeat({ name: "ETO alone", cell: undefined, episodes: obs(0.2) }, base).verdict).toBe("holds")
    expect(doesNotBeat({ name: "ETO alone", cell: undefined, episodes: obs(-5) }, base).verdict).toBe("holds")
    expect(doesNotBeat({ name: "ETO alone", cell: undefined, episodes: obs(5) }, base)).toMatchObject({
      verdict: "does not hold",
      evidence: expect.stringMatching(/^ETO alone does not beat untuned: does not hold \(ETO alone − untuned: \+5\.0 /)
    })
  })

  it("falls back to seed means when a side has no episodes", () => {
    const side = { name: "A", cell: Stats.meanCi([70, 71, 72]), episodes: undefined }
    const other = { name: "B", cell: Stats.meanCi([60, 61, 62]), episodes: [{ seed: 1, goal: "x", value: 1 }] }
    expect(compareSides(side, other)).toMatchObject({ verdict: "holds", evidence: "A 71.0 ± 2.5 > B 61.0 ± 2.5: holds" })
    const noShared = compareSides({ ...side, episodes: [{ seed: 2, goal: "x", value: 1 }] }, other)
    expect(noShared.evidence).toContain("(no paired episodes)")
  })
})
