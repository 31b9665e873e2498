import { describe, expect, it } from "@effect/vitest"
import type { Trajectory } from "@eto/core"
import { Effect, Result } from "effect"
import { emptyResults } from "./Aggregate"
import { checkClaims } from "./Claims"
import { parseCsv, toCsv } from "./Csv"
import {
  area,
  EFFICIENCY,
  type EfficiencyEpisode,
  efficiencyChecks,
  efficiencySection,
  efficiencySvg,
  episodeOf,
  finalScore,
  fromRows,
  meanCurve,
  panelTasks,
  scoreAt,
  stepsToFinal,
  summarizeMethods,
  toRows
} from "./Efficiency"

/** A ScienceWorld-like trajectory whose turns carry the given rewards in [0, 1]. */
const trajectory = (id: string, rewards: ReadonlyArray<number>): Trajectory => ({
  task: { id, env: "sciworld", split: "seen", instruction: "boil water", metadata: { etoInstanceId: `${id.length}_${id.slice(-1)}` } },
  initialObservation: "This room is called the kitchen.",
  turns: rewards.map((reward, i) => ({ thought: "", action: `look around ${i}`, observation: "ok", reward })),
  reward: rewards[rewards.length - 1] ?? 0,
  success: rewards[rewards.length - 1] === 1,
  steps: rewards.length,
  source: { kind: "policy", name: "x" }
})

const ep = (method: string, seed: number, task: string, scores: ReadonlyArray<number>): EfficiencyEpisode => ({
  env: "sciworld",
  method,
  split: "seen",
  seed,
  task,
  instance: "",
  scores
})

const EFFICIENCY_CLAIM = "ETO reaches higher reward in fewer steps than SFT (ScienceWorld efficiency)"

describe("efficiency curves", () => {
  it("reads the per-turn rewards of a trajectory as scores x100", () => {
    const e = episodeOf(trajectory("1-1/7", [0, 0.08, 0.08, 0.5]), "ETO", 2)
    expect(e.scores).toEqual([0, 8, 8, 50])
    expect(e).toMatchObject({ method: "ETO", seed: 2, task: "1-1/7", split: "seen", instance: "5_7" })
  })

  it("carries the final score forward and starts from 0", () => {
    const s = [0, 25, 25, 100]
    expect([0, 1, 2, 3, 4, 5, 50].map((k) => scoreAt(s, k))).toEqual([0, 0, 25, 25, 100, 100, 100])
    expect(scoreAt([], 3)).toBe(0)
    expect(finalScore(s)).toBe(100)
    // A reply without an action resets the running reward: the curve may fall.
    expect(finalScore([10, 0])).toBe(0)
  })

  it("counts the steps to the final score from the last change", () => {
    expect(stepsToFinal([0, 25, 25, 100, 100])).toBe(4)
    expect(stepsToFinal([50, 50, 50])).toBe(1)
    expect(stepsToFinal([0, 0, 0])).toBe(0)
    expect(stepsToFinal([10, 10, 0, 10])).toBe(4)
    expect(stepsToFinal([])).toBe(0)
  })

  it("averages curves step by step and measures the area under the first steps", () => {
    expect(meanCurve([[0, 100], [50]], 3)).toEqual([0, 25, 75, 75])
    expect(area([0, 100], 4)).toBe(75)
    expect(area([20], 5)).toBe(20)
  })

  it("picks panel instances spread over the evaluated tasks in order", () => {
    const eps = Array.from({ length: 10 }, (_, i) => ep("SFT", 1, `t${i}`, [0]))
    expect(panelTasks(eps, 5)).toEqual(["t0", "t2", "t4", "t6", "t8"])
    expect(panelTasks(eps, 3)).toEqual(["t0", "t3", "t6"])
    expect(panelTasks(eps.slice(0, 2), 5)).toEqual(["t0", "t1"])
  })

  it("summarises each method: scores after 5/10/20/all steps and steps to the final score", () => {
    const eps = [
      ep("SFT", 1, "a", [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 40]),
      ep("SFT", 2, "a", [0]),
      ep("ETO", 1, "a", [0, 60, 60, 100]),
      ep("Oracle", 0, "a", [20, 40, 60, 80, 100])
    ]
    const rows = summarizeMethods(eps)
    expect(rows.map((r) => r.method)).toEqual(["ETO", "SFT", "Oracle"])
    const sft = rows.find((r) => r.method === "SFT")!
    expect(sft.at).toEqual([0, 0, 20])
    expect(sft.final).toBe(20)
    expect(sft.seeds).toEqual([1, 2])
    expect(sft.meanSteps).toBe(6.5)
    expect(sft.stepsToFinal).toBe(12)
    expect(sft.scoring).toBe(1)
    const eto = rows.find((r) => r.method === "ETO")!
    expect(eto.at).toEqual([100, 100, 100])
    expect(eto.stepsToFinal).toBe(4)
    expect(rows.find((r) => r.method === "Oracle")!.at).toEqual([100, 100, 100])
  })
})

describe("the efficiency claim", () => {
  const tasks = ["a", "b", "c", "d", "e", "f"]
  it("holds when ETO's curves lie above SFT's on every instance", () => {
    const eps = tasks.flatMap((t, i) => [
      ep("ETO", 1, t, [0, 50 + i, 100]),
      ep("SFT", 1, t, [0, 0, 0, 0, 10 + i, 20 + i])
    ])
    const checks = efficiencyChecks(eps)
    expect(checks).toHaveLength(2)
    expect(checks.map((c) => c.verdict)).toEqual(["holds", "holds"])
    expect(checks[0]!.evidence).toContain("paired over 6 goals × 1 seed")
    const [claim] = checkClaims([EFFICIENCY_CLAIM], emptyResults, "sciworld", { efficiency: eps })
    expect(claim!.verdict).toBe("holds")
  })

  it("does not hold when SFT is ahead, and is inconclusive when the differences straddle 0", () => {
    const behind = tasks.flatMap((t) => [ep("ETO", 1, t, [0]), ep("SFT", 1, t, [30 + t.charCodeAt(0) % 3])])
    expect(efficiencyChecks(behind).map((c) => c.verdict)).toEqual(["does not hold", "does not hold"])
    const mixed = tasks.flatMap((t, i) => [ep("ETO", 1, t, [i % 2 === 0 ? 60 : 0]), ep("SFT", 1, t, [i % 2 === 0 ? 0 : 55])])
    expect(efficiencyChecks(mixed).map((c) => c.verdict)).toEqual(["inconclusive", "inconclusive"])
    expect(efficiencyChecks(mixed)[0]!.evidence).toContain("the interval spans 0 and the 1-point margin")
    // Equal on 6 instances: too few to call them equal (one more could move the mean by 100/7).
    const equal = tasks.flatMap((t) => [ep("ETO", 1, t, [0, 0]), ep("SFT", 1, t, [0])])
    const [same] = efficiencyChecks(equal)
    expect(same!.verdict).toBe("inconclusive")
    expect(same!.evidence).toContain("+0.0 [95% CI +0.0, +0.0]")
    expect(same!.evidence).toContain("below 1, but one more goal could move the mean by 14.3")
    // Equal on 200: no lead, so the claim does not hold.
    const many = Array.from({ length: 200 }, (_, i) => `t${i}`).flatMap((t) => [ep("ETO", 1, t, [0, 0]), ep("SFT", 1, t, [0])])
    expect(efficiencyChecks(many)[1]!.evidence).toContain("equal within the 1-point margin")
  })

  it("pairs each seed with the same seed and resamples an instance's seeds together", () => {
    // Seed 1 and seed 2 of ETO average to 50 on each of 30 instances, SFT is 40: ETO ahead by 10 on every instance.
    const eps = Array.from({ length: 30 }, (_, i) => `i${i}`).flatMap((t, i) => [
      ep("ETO", 1, t, [100]),
      ep("ETO", 2, t, [0]),
      ep("SFT", 1, t, [40 + (i % 2)]),
      ep("SFT", 2, t, [40 - (i % 2)])
    ])
    const [, final] = efficiencyChecks(eps)
    expect(final!.verdict).toBe("holds")
    expect(final!.evidence).toContain("+10.0 [95% CI +10.0, +10.0], paired over 30 goals × 2 seeds (ETO 50.0, SFT 40.0; per seed +59.5, −39.5)")
  })

  it("falls back to the main table without per-step scores", () => {
    const [claim] = checkClaims([EFFICIENCY_CLAIM], emptyResults, "sciworld")
    expect(claim!.verdict).toBe("inconclusive")
    expect(claim!.checks.every((c) => c.evidence.includes("no data"))).toBe(true)
  })
})

describe("efficiency files and report", () => {
  const eps = [
    ep("ETO", 1, "4-1/3", [0, 25, 100]),
    ep("SFT", 1, "4-1/3", [0, 0, 25, 25, -100]),
    { ...ep("Oracle", 0, "4-1/3", [50, 100]), instance: "9_3" },
    ep("ETO", 1, "6-2/1", [12.5]),
    ep("SFT", 1, "6-2/1", []),
    ep("Oracle", 0, "6-2/1", [33.3333, 100])
  ]

  it.effect("round-trips through efficiency.csv and refuses rows whose counts disagree", () =>
    Effect.gen(function*() {
      const text = toCsv(EFFICIENCY, toRows(eps))
      expect(text.split("\n")[0]).toBe("env,method,split,seed,task,instance,steps,final,scores")
      const rows = yield* Effect.fromResult(parseCsv(EFFICIENCY, text, "efficiency.csv"))
      expect(yield* fromRows(rows, "efficiency.csv")).toEqual(eps)
      const bad = text.replace("4-1/3,,3,100,0 25 100", "4-1/3,,4,100,0 25 100")
      const badRows = yield* Effect.fromResult(parseCsv(EFFICIENCY, bad, "efficiency.csv"))
      const err = yield* Effect.flip(fromRows(badRows, "efficiency.csv"))
      expect(err.line).toBe(2)
      const garbled = Result.getFailure(parseCsv(EFFICIENCY, text.replace("0 25 100", "0 2x 100"), "efficiency.csv"))
      expect(garbled._tag).toBe("Some")
    }))

  it("draws one panel per chosen instance and one for the mean, with a step curve per method", () => {
    const svg = efficiencySvg(eps, "ScienceWorld seen")
    expect(svg.startsWith("<svg")).toBe(true)
    expect(svg.match(/<g class="panel">/g)).toHaveLength(3)
    expect(svg).toContain("4-1/3 (paper id 9-3)")
    expect(svg).toContain("Mean over all 2 instances")
    // 3 methods in each of the 3 panels.
    expect(svg.match(/<path d="M/g)).toHaveLength(9)
    expect(svg).toContain("stroke-dasharray")
  })

  it("writes the section with the table and the figure link", () => {
    const md = efficiencySection(eps, "figures/sciworld-efficiency.svg")
    expect(md).toContain("## Efficiency (Figure 3)")
    expect(md).toContain("![Score against action step](figures/sciworld-efficiency.svg)")
    expect(md).toContain("| ETO | 2 (1) | 56.3 | 56.3 | 56.3 | 56.3 | 2.0 | 2.0 (2) |")
    expect(md).toContain("| SFT | 2 (1) | -50.0 | -50.0 | -50.0 | -50.0 | 2.5 | — (0) |")
  })
})
