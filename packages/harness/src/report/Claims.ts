/**
 * Checking the paper's claims (tables.json `claims`) against our numbers.
 *
 * Each claim is recognised by its wording and turned into checks of a few
 * generic kinds, all over means with 95% confidence intervals across seeds:
 * - `A > B`: holds when A's interval lies above B's (by at least `minGap`
 *   points where the claim says "far"), does not hold when it lies below (or
 *   above by less than the gap), and is inconclusive when the intervals
 *   overlap, a side has a single seed (no interval) or a number is missing;
 * - gain comparison: (A - B) on one column against (A - B) on another, with
 *   the interval of a difference of independent means;
 * - rise then decline over iterations.
 * A claim made of several checks holds when all hold, does not hold when any
 * does not, and is inconclusive otherwise.
 */
import type { EnvName } from "@eto/core"
import { aggregate, type Cell, fmt, type MeanCi, type Results } from "./Aggregate"
import { type EfficiencyEpisode, efficiencyChecks } from "./Efficiency"
import { columnEnv, columnTitle, PAPER_COLUMNS, type PaperColumn, paperColumn } from "./Paper"

export type Verdict = "holds" | "does not hold" | "inconclusive"

export interface Check {
  readonly verdict: Verdict
  /** The numbers behind the verdict, one line. */
  readonly evidence: string
}

/** How the first side of a comparison stands to the second. */
export type Relation = "above" | "below" | "overlap" | "missing"

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
// Lookups into our results

const columnsOf = (env: EnvName): ReadonlyArray<PaperColumn> => PAPER_COLUMNS.filter((c) => columnEnv(c) === env)

/** Main-table cells by paper column and method label. */
const mainIndex = (r: Results): Map<string, Cell> => {
  const byKey = aggregate(r.main, (x) => `${x.env}\u0000${x.split}\u0000${x.method}`, (x) => x.mean_steps)
  const out = new Map<string, Cell>()
  for (const [k, cell] of byKey) {
    const [env, split, method] = k.split("\u0000") as [EnvName, string, string]
    const col = paperColumn(env, split)
    if (col !== undefined) out.set(`${col}\u0000${method}`, cell)
  }
  return out
}

const main = (idx: Map<string, Cell>, col: PaperColumn, method: string) => idx.get(`${col}\u0000${method}`)

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

const beatsOnEveryColumn = (winner: string, losers: ReadonlyArray<string>) => (r: Results, env: EnvName) => {
  const idx = mainIndex(r)
  return columnsOf(env).flatMap((col) =>
    losers.map((loser) =>
      compareCells(winner, main(idx, col, winner)?.reward, loser, main(idx, col, loser)?.reward)
    ).map((c) => ({ ...c, evidence: `${columnTitle(col)}: ${c.evidence}` }))
  )
}

const iterationChecks = (r: Results, env: EnvName): ReadonlyArray<Check> => {
  const rows = r.iterations.filter((x) => x.env === env)
  const splits = [...new Set(rows.map((x) => x.split))]
  if (splits.length === 0) return [{ verdict: "inconclusive", evidence: `${env}: no iteration results` }]
  return splits.map((split) => {
    const cells = aggregate(rows.filter((x) => x.split === split), (x) => String(x.iteration))
    const at = (i: number) => cells.get(String(i))?.reward
    const series = [...cells.keys()].map(Number).sort((a, b) => a - b)
    const shown = series.map((i) => `it${i} ${fmt(at(i))}`).join(", ")
    const where = `${env}/${split} (${shown})`
    if (at(0) === undefined || at(1) === undefined) {
      return { verdict: "inconclusive" as const, evidence: `${where}: needs iteration 0 (SFT) and 1` }
    }
    // The peak among the first two iterations.
    const peak = at(2) !== undefined && at(2)!.mean > at(1)!.mean ? 2 : 1
    const improve = compareCells(`it${peak}`, at(peak), "it0", at(0))
    const later = series.filter((i) => i > peak)
    if (improve.verdict === "does not hold") return { verdict: "does not hold" as const, evidence: `${where}: ${improve.evidence}` }
    if (later.length === 0) return { verdict: "inconclusive" as const, evidence: `${where}: no iteration after the peak (it${peak})` }
    const declines = later.map((i) => compareCells(`it${peak}`, at(peak), `it${i}`, at(i)))
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
    const cells = aggregate(rows.filter((x) => x.split === split), (x) => `${x.level}\u0000${x.lr ?? ""}\u0000${x.beta ?? ""}`)
    const variants = [...cells.entries()].map(([k, cell]) => {
      const [level, lr, beta] = k.split("\u0000") as [string, string, string]
      return { level, lr: lr === "" ? undefined : Number(lr), beta: beta === "" ? undefined : Number(beta), cell }
    })
    const name = (v: (typeof variants)[number]) =>
      v.lr === undefined && v.beta === undefined ? v.level : `${v.level} (lr ${short(v.lr)}, β ${short(v.beta)})`
    const traj = variants.find((v) => v.level === "trajectory")
    const others = variants.filter((v) => v.level === "step" || v.level === "mixture")
    const checks: Array<Check> = []
    if (traj === undefined || others.length === 0) {
      checks.push({ verdict: "inconclusive", evidence: `${split}: needs trajectory and step or mixture results` })
    } else {
      for (const o of others) checks.push(compareCells(name(traj), traj.cell.reward, name(o), o.cell.reward))
    }
    const steps = variants.filter((v) => v.level === "step" && v.lr !== undefined && v.beta !== undefined)
    const stable = steps.find((s) => steps.every((t) => s.lr! <= t.lr! && s.beta! >= t.beta!))
    const loose = steps.find((s) => steps.every((t) => s.lr! >= t.lr! && s.beta! <= t.beta!))
    if (stable === undefined || loose === undefined || stable === loose) {
      checks.push({ verdict: "inconclusive", evidence: `${split}: needs two step-level runs, one with lower lr and higher β` })
    } else {
      checks.push(compareCells(name(stable), stable.cell.reward, name(loose), loose.cell.reward))
    }
    return checks.map((c) => ({ ...c, evidence: `${env}/${split}: ${c.evidence}` }))
  })
}

const selfPlayChecks = (r: Results, env: EnvName): ReadonlyArray<Check> => {
  const rows = r.selfPlay.filter((x) => x.env === env && !x.with_bc)
  const splits = [...new Set(rows.map((x) => x.split))]
  if (splits.length === 0) return [{ verdict: "inconclusive", evidence: `${env}: no self-play results` }]
  return splits.flatMap((split) => {
    const cells = aggregate(rows.filter((x) => x.split === split), (x) => selfPlayMethod(x.method))
    const c = (m: string) => cells.get(m)?.reward
    return [
      compareCells("untuned", c("untuned"), "ETO alone", c("eto")),
      compareCells("RFT", c("rft"), "untuned", c("untuned")),
      compareCells("RFT+ETO", c("rft+eto"), "RFT", c("rft")),
      compareCells("RFT+ETO", c("rft+eto"), "ETO alone", c("eto"))
    ].map((x) => ({ ...x, evidence: `${env}/${split}: ${x.evidence}` }))
  })
}

export const CLAIMS: ReadonlyArray<ClaimSpec> = [
  { pattern: /^ETO beats SFT on every dataset/i, envs: ALL, check: beatsOnEveryColumn("ETO", ["SFT"]) },
  {
    pattern: /^ETO beats Best-of-N, RFT and PPO on every dataset/i,
    envs: ALL,
    check: beatsOnEveryColumn("ETO", ["Best-of-N", "RFT", "PPO"])
  },
  {
    pattern: /gain over SFT is larger on unseen than on seen ScienceWorld/i,
    envs: ["sciworld"],
    check: (r) => {
      const idx = mainIndex(r)
      const gain = (col: PaperColumn) => {
        const eto = main(idx, col, "ETO")?.reward, sft = main(idx, col, "SFT")?.reward
        return eto === undefined || sft === undefined ? undefined : difference(eto, sft)
      }
      const unseen = gain("sciworld_unseen"), seen = gain("sciworld_seen")
      const check = compareCells("gain(ETO-SFT) unseen", unseen, "gain seen", seen)
      if (unseen === undefined || seen === undefined) return [check]
      // The intervals of the two gains may overlap while their difference is still clear.
      const d = difference(unseen, seen)
      const verdict: Verdict = !hasInterval(d) ? "inconclusive" : d.low > 0 ? "holds" : d.high < 0 ? "does not hold" : "inconclusive"
      return [{ verdict, evidence: `gain unseen ${fmt(unseen)} − gain seen ${fmt(seen)} = ${fmt(d)}: ${verdict}` }]
    }
  },
  {
    pattern: /PPO is unstable with binary rewards/i,
    envs: ["alfworld"],
    check: (r, env) => {
      const idx = mainIndex(r)
      // "Far below": a lead of at least 10 points (the paper's gap is 38).
      return columnsOf(env).map((col) => {
        const c = compareCells("SFT", main(idx, col, "SFT")?.reward, "PPO", main(idx, col, "PPO")?.reward, { minGap: 10 })
        return { ...c, evidence: `${columnTitle(col)}: ${c.evidence}` }
      })
    }
  },
  { pattern: /^Iterations help/i, envs: ALL, check: iterationChecks },
  { pattern: /^Trajectory-wise contrast beats step-wise and mixture/i, envs: ["webshop"], check: levelChecks },
  { pattern: /^Without behavioural cloning/i, envs: ["webshop"], check: selfPlayChecks },
  {
    pattern: /higher reward in fewer steps than SFT/i,
    envs: ["sciworld"],
    check: (r, env, inputs) => {
      // With per-step scores, the curves decide (paired over instances); otherwise the main table's means.
      const eff = (inputs.efficiency ?? []).filter((e) => e.env === env)
      if (eff.length > 0) return efficiencyChecks(eff)
      const idx = mainIndex(r)
      return columnsOf(env).flatMap((col) => {
        const eto = main(idx, col, "ETO"), sft = main(idx, col, "SFT")
        return [
          compareCells("ETO", eto?.reward, "SFT", sft?.reward),
          compareCells("ETO steps", eto?.steps, "SFT steps", sft?.steps, { lowerIsBetter: true })
        ].map((c) => ({ ...c, evidence: `${columnTitle(col)}: ${c.evidence}` }))
      })
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
