/**
 * ScienceWorld speed: median latency of one environment step over a scripted
 * walk (looks, teleports, moves, an ambiguity prompt and its answer), and full
 * expert episodes per second over the seen list. Bar: step <= 1 ms median.
 * Also the fidelity figures of the original simulator's gold episodes (see
 * packages/envs/src/sciworld/README.md): episodes replayed with the logged
 * acceptance of every action and the logged final score, and identical observations.
 */
// tinybench is a dependency of @eto/envs; the repository root does not list it.
import { Bench } from "tinybench"
import { Effect } from "effect"
import { expertReply } from "../../packages/envs/src/sciworld/expert"
import { faithful, loadGold, replayGold } from "../../packages/envs/src/sciworld/gold"
import { loadSync } from "../../packages/envs/src/sciworld/index"
import { DEFAULT_SETTINGS } from "../../packages/envs/src/sciworld/settings"
import { newGame } from "../../packages/envs/src/sciworld/tasks"

const splitReply = (reply: string) => {
  const at = reply.indexOf("Action: ")
  return { thought: reply.slice(0, at).replace(/^Thought:\s*/, "").trim(), action: reply.slice(at + "Action: ".length).trim() }
}

export const run = async (): Promise<Record<string, number | string>> => {
  const t0 = performance.now()
  const env = loadSync()
  const loadMs = performance.now() - t0
  const seen = env.tasksSync("seen")

  const walk = [
    "look around",
    "teleport to kitchen",
    "look around",
    "pick up thermometer",
    "use thermometer on orange",
    "teleport to art studio",
    "look around",
    "pour red paint into table",
    "0",
    "examine table",
    "inventory",
    "teleport to outside",
    "look around",
    "wait1"
  ]
  let game = newGame(env.variation(seen[0]!.id)!, DEFAULT_SETTINGS)
  let wi = 0
  let gi = 0

  const source = { variation: env.variation, settings: DEFAULT_SETTINGS }
  const expertEpisode = (k: number): number => {
    const task = seen[k % seen.length]!
    const episode = env.resetSync(task.id)
    const turns: Array<{ thought: string; action: string; observation: string; reward: number }> = []
    let reward = 0
    while (turns.length < episode.maxSteps) {
      const reply = expertReply(source, 0, { task, initialObservation: episode.initialObservation, turns })
      const parsed = splitReply(reply)
      const r = episode.step(parsed.action)
      turns.push({ thought: parsed.thought, action: parsed.action, observation: r.observation, reward: r.reward })
      reward = r.reward
      if (r.done) break
    }
    return reward
  }

  // Whole seen list once, for the success figure.
  let full = 0
  const te = performance.now()
  for (let k = 0; k < seen.length; k++) if (expertEpisode(k) >= 1) full++
  const listMs = performance.now() - te

  // Fidelity: the original simulator's gold episodes replayed with containers closed.
  const closed = { ...DEFAULT_SETTINGS, openContainers: false }
  const replays = Effect.runSync(loadGold()).map((ep) => {
    const v = env.variation(`${ep.task}/${ep.variation}`)
    if (!v) throw new Error(`gold episode ${ep.task}/${ep.variation}: no such variation`)
    return replayGold(ep, v, closed)
  })
  type Replay = (typeof replays)[number]
  const ratio = (xs: ReadonlyArray<Replay>, pred: (r: Replay) => boolean) => `${xs.filter(pred).length}/${xs.length}`
  const withBees = replays.filter((r) => r.id.startsWith("5-2/"))
  const withoutBees = replays.filter((r) => !r.id.startsWith("5-2/"))

  let ei = 0
  const bench = new Bench({ time: 2000 })
  bench.add("step", () => {
    if (wi === walk.length) {
      game = newGame(env.variation(seen[gi++ % seen.length]!.id)!, DEFAULT_SETTINGS)
      wi = 0
    }
    game.step(walk[wi++]!)
  })
  bench.add("expert-episode", () => {
    expertEpisode(ei++)
  })
  await bench.run()
  const stat = (name: string) => bench.tasks.find((t) => t.name === name)!.result!
  const step = stat("step") as unknown as { latency: { p50: number; mean: number } }
  const ep = stat("expert-episode") as unknown as { latency: { p50: number }; throughput: { mean: number } }
  return {
    loadMs: Number(loadMs.toFixed(1)),
    stepMedianMs: Number(step.latency.p50.toFixed(4)),
    stepMeanMs: Number(step.latency.mean.toFixed(4)),
    expertEpisodeMedianMs: Number(ep.latency.p50.toFixed(3)),
    expertEpisodesPerSec: Number((1000 / ep.latency.p50).toFixed(1)),
    seenExpertFull: `${full}/${seen.length}`,
    goldFaithful: ratio(withoutBees, faithful),
    goldFaithfulGrowFruit: ratio(withBees, faithful),
    goldSameScoreGrowFruit: ratio(withBees, (r) => r.sameScore),
    goldSameObservations: `${replays.reduce((n, r) => n + r.sameObservations, 0)}/${replays.reduce((n, r) => n + r.steps, 0)}`,
    seenListSeconds: Number((listMs / 1000).toFixed(2))
  }
}
