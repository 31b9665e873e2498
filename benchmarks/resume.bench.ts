/**
 * `pnpm bench:resume [--kills N] [--env E] [--seed S] [--keep]`: how a
 * benchmark run survives being killed. For each environment (default: all
 * three) the smoke-scale bench runs once uninterrupted into a fresh
 * temporary directory; then, N times, a fresh run of the same command is
 * killed with SIGKILL (its whole process group) at a seeded random moment,
 * the moments spread evenly over the uninterrupted run's duration, and the
 * same command is run again on the same runs directory until it completes.
 * Every results CSV is then compared byte for byte with the uninterrupted
 * run's, except columns of measured time (`wall_seconds`), which differ
 * between any two runs; the summary names the columns left out. Prints one JSON line per kill and a summary line per environment:
 * `{env, kills, identical, seconds}`. Nothing is written outside the
 * temporary directory, which is removed unless `--keep` is given.
 */
import * as child from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Paths, Random } from "@eto/core"
import { Schema } from "effect"
import { parseFlags } from "./flags"

const ENVS = ["webshop", "alfworld", "sciworld"] as const

const Options = Schema.Struct({
  kills: Schema.optionalKey(Schema.NumberFromString.check(Schema.isInt(), Schema.isBetween({ minimum: 1, maximum: 1000 }))),
  env: Schema.optionalKey(Schema.Literals(ENVS)),
  seed: Schema.optionalKey(Schema.NumberFromString.check(Schema.isInt())),
  keep: Schema.optionalKey(Schema.Literal("true"))
})

const options = parseFlags("bench:resume", Options, process.argv.slice(2), ["keep"])
const kills = options.kills ?? 20
const seed = options.seed ?? 1
const envs = options.env !== undefined ? [options.env] : ENVS
const bin = path.join(Paths.repoRoot(), "packages", "harness", "src", "bin.ts")

interface Outcome {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly seconds: number
  readonly stderr: string
  /** The phase that had started and not ended when the process stopped. */
  readonly phase: string | undefined
}

const phaseAt = (stderr: string): string | undefined => {
  let current: string | undefined
  for (const line of stderr.split("\n")) {
    const m = /^phase (\S+) \[[0-9a-f]{16}\] (started|done in|reused)/.exec(line)
    if (m !== null) current = m[2] === "started" ? m[1] : undefined
  }
  return current
}

/** The process group of the bench now running, killed with this script should it be interrupted. */
let running: number | undefined
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    if (running !== undefined) {
      try {
        process.kill(-running, "SIGKILL")
      } catch {
        // Already gone.
      }
    }
    process.exit(130)
  })
}

/** Runs the smoke bench of `env` with its files under `dir`; kills its process group after `killAfter` seconds. */
const runBench = (env: string, dir: string, killAfter?: number): Promise<Outcome> =>
  new Promise((resolve, reject) => {
    const t0 = performance.now()
    const args = ["--import", "tsx", bin, "bench", env, "--scale", "smoke"]
    for (const sub of ["runs", "results", "reports"]) args.push(`--${sub}`, path.join(dir, sub))
    const p = child.spawn(process.execPath, args, { cwd: Paths.repoRoot(), detached: true, stdio: ["ignore", "ignore", "pipe"] })
    running = p.pid
    let stderr = ""
    p.stderr!.on("data", (d) => (stderr += String(d)))
    const timer = killAfter === undefined ? undefined : setTimeout(() => {
      try {
        process.kill(-p.pid!, "SIGKILL")
      } catch {
        // Already gone.
      }
    }, killAfter * 1000)
    p.on("error", reject)
    p.on("close", (code, signal) => {
      if (timer !== undefined) clearTimeout(timer)
      running = undefined
      resolve({ code, signal, seconds: (performance.now() - t0) / 1000, stderr, phase: phaseAt(stderr) })
    })
  })

const lastLines = (text: string) => text.trim().split("\n").slice(-3).join(" | ")

/** A measured time (`wall_seconds`): differs between any two runs, so it is left out of the comparison. */
const TIMING = /(^|_)seconds$/

/** Splits one CSV line at the commas outside quotes; the pieces keep their bytes (quotes included). */
const csvFields = (line: string): Array<string> => {
  const out: Array<string> = []
  let start = 0, quoted = false
  for (let i = 0; i < line.length; i++) {
    if (line[i] === "\"") quoted = !quoted
    else if (line[i] === "," && !quoted) {
      out.push(line.slice(start, i))
      start = i + 1
    }
  }
  out.push(line.slice(start))
  return out
}

/** The CSV text with its timing columns emptied; every other byte kept. */
const withoutTimings = (text: string): string => {
  const lines = text.split("\n")
  const timing = csvFields(lines[0] ?? "").map((h) => TIMING.test(h))
  if (!timing.includes(true)) return text
  return lines.map((l, i) => (i === 0 || l === "" ? l : csvFields(l).map((f, j) => (timing[j] ? "" : f)).join(","))).join("\n")
}

/** Timing columns of the CSVs of a results directory, as `file:column`. */
const timingColumns = (dir: string): Array<string> =>
  fs.readdirSync(dir).filter((f) => f.endsWith(".csv")).sort().flatMap((f) =>
    csvFields(fs.readFileSync(path.join(dir, f), "utf8").split("\n")[0] ?? "").filter((h) => TIMING.test(h)).map((h) => `${f}:${h}`))

/** Names of the CSV files that differ between two results directories (or exist in one only), timing columns aside. */
const differingCsvs = (a: string, b: string): Array<string> => {
  const csvs = (d: string) => (fs.existsSync(d) ? fs.readdirSync(d).filter((f) => f.endsWith(".csv")) : [])
  const names = [...new Set([...csvs(a), ...csvs(b)])].sort()
  return names.filter((n) => {
    const fa = path.join(a, n), fb = path.join(b, n)
    return !fs.existsSync(fa) || !fs.existsSync(fb) ||
      withoutTimings(fs.readFileSync(fa, "utf8")) !== withoutTimings(fs.readFileSync(fb, "utf8"))
  })
}

const count = (text: string, re: RegExp) => text.split("\n").filter((l) => re.test(l)).length

for (const env of envs) {
  const t0 = performance.now()
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `eto-resume-${env}-`))
  const baseDir = path.join(tmp, "uninterrupted")
  const base = await runBench(env, baseDir)
  if (base.code !== 0) {
    console.error(`bench:resume: the uninterrupted ${env} run failed (exit ${base.code}): ${lastLines(base.stderr)}`)
    process.exit(1)
  }
  const baseCsvs = fs.readdirSync(path.join(baseDir, "results")).filter((f) => f.endsWith(".csv")).sort()
  const ignored = timingColumns(path.join(baseDir, "results"))
  const rng = Random.make(`bench-resume:${env}:${seed}`)
  let identical = 0
  let delivered = 0
  for (let i = 0; i < kills; i++) {
    const dir = path.join(tmp, `kill-${i + 1}`)
    // Stratified: kill i lands in the i-th of `kills` equal slices of the run (the last 5% left out).
    let at = 0.95 * base.seconds * ((i + rng.next()) / kills)
    let killed = await runBench(env, dir, at)
    let redrawn = 0
    for (; killed.signal !== "SIGKILL" && killed.code === 0 && redrawn < 3; redrawn++) {
      // This run was faster than the uninterrupted one and finished first: start over,
      // with the moment drawn in the same slice of this (shorter) run.
      fs.rmSync(dir, { recursive: true, force: true })
      at = 0.9 * killed.seconds * ((i + rng.next()) / kills)
      killed = await runBench(env, dir, at)
    }
    if (killed.signal !== "SIGKILL") {
      console.error(`bench:resume: kill ${i + 1} of ${env} was not delivered (exit ${killed.code}): ${lastLines(killed.stderr)}`)
      process.exit(1)
    }
    delivered++
    const resumes: Array<Outcome> = []
    do resumes.push(await runBench(env, dir))
    while (resumes.at(-1)!.code !== 0 && resumes.length < 3)
    const resumed = resumes.at(-1)!
    const differing = resumed.code === 0 ? differingCsvs(path.join(baseDir, "results"), path.join(dir, "results")) : baseCsvs
    const same = resumed.code === 0 && differing.length === 0
    if (same) identical++
    console.log(JSON.stringify({
      env,
      kill: i + 1,
      atSeconds: Number(at.toFixed(2)),
      ...(redrawn > 0 ? { redrawn } : {}),
      phase: killed.phase ?? null,
      resumes: resumes.length,
      resumeExit: resumed.code,
      phasesReused: count(resumed.stderr, / reused \(produced in /),
      phasesRun: count(resumed.stderr, / done in /),
      recomputedInvalid: count(resumed.stderr, /: not reused, /),
      resumeSeconds: Number(resumed.seconds.toFixed(2)),
      csvs: baseCsvs.length,
      identical: same,
      ...(differing.length > 0 ? { differing } : {}),
      ...(resumed.code !== 0 ? { error: lastLines(resumed.stderr) } : {})
    }))
    if (!options.keep) fs.rmSync(dir, { recursive: true, force: true })
  }
  console.log(JSON.stringify({
    env,
    kills: delivered,
    identical,
    csvs: baseCsvs,
    timingColumnsIgnored: ignored,
    uninterruptedSeconds: Number(base.seconds.toFixed(2)),
    seconds: Number(((performance.now() - t0) / 1000).toFixed(1))
  }))
  if (!options.keep) fs.rmSync(tmp, { recursive: true, force: true })
}
