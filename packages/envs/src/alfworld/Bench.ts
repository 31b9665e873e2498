/**
 * ALFWorld speed: time to load and compile all 3,828 games, median latency of
 * one environment turn (list the admissible commands, then step one of them,
 * over seeded random walks through the seen games), and expert episodes per
 * second over the seen split. Bars: load <= 10 s, step <= 0.2 ms median.
 * Run through benchmarks/envs/alfworld.ts (`npx tsx benchmarks/envs.bench.ts alfworld`).
 */
import { Effect } from "effect"
import { Bench } from "tinybench"
import { type Episode, Random, rollout } from "@eto/core"
import { module } from "./index"

export const run = async (): Promise<Record<string, number | string>> => {
  // wall time, and CPU time (which a busy machine inflates much less)
  const t0 = performance.now()
  const c0 = process.cpuUsage()
  const env = await Effect.runPromise(module.load())
  const loadMs = performance.now() - t0
  const loadCpu = process.cpuUsage(c0)
  const seen = await Effect.runPromise(env.tasks("seen"))

  const rng = Random.make("alfworld-bench")
  let episode: Episode | undefined
  let steps = 0
  let next = 0
  const fresh = () => {
    episode = Effect.runSync(env.reset(seen[next++ % seen.length]!.id))
    steps = 0
  }
  fresh()
  // build the admissible lists of the first state outside the timing
  episode!.availableActions()

  const bench = new Bench({ time: 3000 })
  bench.add(
    "turn",
    () => {
      const actions = episode!.availableActions()!
      const r = episode!.step(rng.pick(actions))
      steps++
      if (r.done || steps >= 40) {
        fresh()
        episode!.availableActions()
      }
    }
  )
  await bench.run()
  const turn = bench.tasks.find((t: { name: string }) => t.name === "turn")!.result as unknown as { latency: { p50: number; mean: number; p99: number } }

  // CPU time per turn over a fixed number of turns
  const turns = 20000
  const c1 = process.cpuUsage()
  for (let k = 0; k < turns; k++) {
    const r = episode!.step(rng.pick(episode!.availableActions()!))
    steps++
    if (r.done || steps >= 40) fresh()
  }
  const turnCpu = process.cpuUsage(c1)

  const te = performance.now()
  const trajectories = await Effect.runPromise(rollout(env, env.expert(1), seen, { source: { kind: "expert" }, batchSize: 16 }))
  const expertMs = performance.now() - te
  const solved = trajectories.filter((t) => t.success).length

  return {
    games: (await Effect.runPromise(env.tasks("train"))).length + seen.length + (await Effect.runPromise(env.tasks("unseen"))).length,
    loadMs: Number(loadMs.toFixed(0)),
    loadCpuMs: Number(((loadCpu.user + loadCpu.system) / 1000).toFixed(0)),
    stepMedianMs: Number(turn.latency.p50.toFixed(4)),
    stepMeanMs: Number(turn.latency.mean.toFixed(4)),
    stepP99Ms: Number(turn.latency.p99.toFixed(4)),
    stepCpuMeanMs: Number(((turnCpu.user + turnCpu.system) / 1000 / turns).toFixed(4)),
    expertEpisodesPerSec: Number((seen.length / (expertMs / 1000)).toFixed(1)),
    expertSeen: `${solved}/${seen.length}`,
    expertMeanSteps: Number((trajectories.reduce((s, t) => s + t.steps, 0) / trajectories.length).toFixed(2))
  }
}
