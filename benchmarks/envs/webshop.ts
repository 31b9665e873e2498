/**
 * WebShop speed: search latency, step latency, and full expert episodes
 * (reset, expert replies and steps until the purchase) on one core.
 * Bars: search <= 1 ms median, expert episode <= 5 ms median.
 */
// tinybench is a dependency of @eto/envs; the repository root does not list it.
import { Bench } from "tinybench"
import { type Goal, loadSync } from "../../packages/envs/src/webshop/index"

export const run = async (): Promise<Record<string, number | string>> => {
  const t0 = performance.now()
  const env = loadSync()
  const loadMs = performance.now() - t0
  const shop = env.shop
  const expert = env.expert(0)

  const goals = shop.goals("test")!

  /** One expert episode: reset, then reply and step until done or the step limit; returns the reward. */
  function expertEpisodeOf(goal: Goal): number {
    const episode = shop.episode(goal)
    const turns: Array<{ thought: string; action: string; observation: string; reward: number }> = []
    let reward = 0
    while (turns.length < episode.maxSteps) {
      const reply = expert.reply({ task: episode.task, initialObservation: episode.initialObservation, turns })
      const at = reply.indexOf("Action: ")
      const action = reply.slice(at + "Action: ".length).trim()
      const r = episode.step(action)
      turns.push({ thought: reply.slice(0, at), action, observation: r.observation, reward: r.reward })
      reward = r.reward
      if (r.done) break
    }
    return reward
  }
  const expertEpisode = (k: number): number => expertEpisodeOf(goals[k % goals.length]!)

  // Queries as an agent types them: each goal's product phrase, made new to the engine by a number.
  const queries = shop.catalog.goals.slice(0, 5000).map((g, i) => `${g.instruction.replace(/^Find me /, "").toLowerCase()} ${i}`)
  let qi = 0
  // Steps: a walk through result pages, a product page and back, over many goals.
  const walk = ["click[Next >]", "click[< Prev]", "click[Description]", "click[< Prev]", "click[< Prev]", "click[Back to Search]"]
  let episode = shop.episode(goals[0]!)
  let wi = walk.length
  let gi = 0
  let ei = 0

  const bench = new Bench({ time: 2000 })
  bench.add("search", () => {
    shop.index.search(queries[qi++ % queries.length]!)
  })
  bench.add("step", () => {
    if (wi === walk.length) {
      episode = shop.episode(goals[gi++ % goals.length]!)
      const results = episode.step(`search[${queries[gi % queries.length]}]`).observation
      const first = /\[SEP\] Next > \[SEP\] ([A-Z0-9]{10}) /.exec(results)
      episode.step(`click[${first?.[1] ?? "next >"}]`)
      wi = 0
    }
    episode.step(walk[wi++]!)
  })
  bench.add("expert-episode", () => {
    expertEpisode(ei++)
  })
  await bench.run()

  const median = (name: string): number => {
    const result = bench.getTask(name)?.result
    if (result === undefined || !("latency" in result)) throw new Error(`benchmark ${name} did not complete`)
    return result.latency.p50
  }

  // First episodes of goals not played before (their searches and title nouns not cached yet): mean time.
  const cold = shop.goals("dev")!.slice(0, 300)
  const tCold = performance.now()
  for (const goal of cold) expertEpisodeOf(goal)
  const coldMs = (performance.now() - tCold) / cold.length

  // Expert episodes per second over the whole test split, one core, after the warm-up above.
  const tStart = performance.now()
  let total = 0
  for (let k = 0; k < goals.length; k++) total += expertEpisode(k)
  const seconds = (performance.now() - tStart) / 1000

  return {
    load_ms: Number(loadMs.toFixed(1)),
    search_median_ms: Number(median("search").toFixed(4)),
    step_median_ms: Number(median("step").toFixed(4)),
    expert_episode_median_ms: Number(median("expert-episode").toFixed(4)),
    expert_cold_episode_mean_ms: Number(coldMs.toFixed(3)),
    expert_episodes_per_s: Number((goals.length / seconds).toFixed(1)),
    expert_test_avg_reward: Number((total / goals.length).toFixed(4))
  }
}
