/**
 * Fidelity to the original simulator on its own gold episodes: every logged
 * episode (first test variations of the 24 task types) is replayed through
 * this engine with the official setting (containers closed) and must accept
 * and reject the same actions and end on the same score.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { loadVariations } from "./data"
import { faithful, loadGold, replayGold, type ReplayResult } from "./gold"
import { DEFAULT_SETTINGS } from "./settings"
import { TASK_TYPES } from "./tasks"

const variations = Effect.runSync(loadVariations())
const gold = Effect.runSync(loadGold())
const settings = { ...DEFAULT_SETTINGS, openContainers: false }
const results: ReadonlyArray<ReplayResult> = gold.map((ep) => {
  const v = variations.find((x) => x.id === ep.task && x.variation === ep.variation)
  if (!v) throw new Error(`gold episode ${ep.task}/${ep.variation}: no such variation`)
  return replayGold(ep, v, settings)
})

/**
 * Heat exchange between touching objects followed the logging jar's hash-set
 * order; 1.3.0 (and this engine) follow creation order, so in these three the
 * metal melts one tick apart from the log (the gold agent's "examine liquid
 * tin" is rejected in the log and accepted here, or the reverse).
 */
const HEAT_ORDER = ["1-1/22", "1-3/29", "1-4/22"]

const explain = (r: ReplayResult): string => {
  const d = r.firstAcceptanceDiff
  const step = d ? ` first at step ${d.step} ${JSON.stringify(d.action)}: log ${JSON.stringify(d.logged.slice(0, 80))}, here ${JSON.stringify(d.ours.slice(0, 80))}` : ""
  return `${r.id} (score ${Math.round(r.loggedScore * 100)} logged, ${Math.round(r.ourScore * 100)} here)${step}`
}

describe("gold episodes logged by the original simulator", () => {
  it("cover every task type", () => {
    expect(gold.length).toBe(211)
    expect(new Set(gold.map((g) => g.task))).toEqual(new Set(TASK_TYPES.map((t) => t.id)))
  })

  it("replay with the same accepted actions and final score (198 of the 201 without random bees)", () => {
    const fixed = results.filter((r) => !r.id.startsWith("5-2/"))
    const off = fixed.filter((r) => !faithful(r))
    expect(off.map(explain)).toEqual(off.filter((r) => HEAT_ORDER.includes(r.id)).map(explain))
    expect(fixed.length - off.length).toBeGreaterThanOrEqual(198)
  })

  it("replay grow-fruit with its bees drawn from this engine's generator: the same final score in 8 of 10", () => {
    const fruit = results.filter((r) => r.id.startsWith("5-2/"))
    expect(fruit.length).toBe(10)
    const sameScore = fruit.filter((r) => r.sameScore)
    expect(sameScore.length, fruit.filter((r) => !r.sameScore).map(explain).join("\n")).toBeGreaterThanOrEqual(8)
    expect(fruit.filter(faithful).length).toBeGreaterThanOrEqual(6)
  })

  it("reproduce the logged observations character for character", () => {
    const steps = results.reduce((n, r) => n + r.steps, 0)
    const same = results.reduce((n, r) => n + r.sameObservations, 0)
    expect(steps).toBe(7531)
    expect(same).toBeGreaterThanOrEqual(7277)
  })
})
