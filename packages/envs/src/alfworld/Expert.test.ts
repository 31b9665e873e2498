/**
 * The expert and the floor: the expert solves a seeded sample of the test
 * games within the step limit with valid actions and ReAct replies, and is
 * deterministic per seed; a random policy scores near zero.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { parseReply, Random, randomPolicy, rollout, type Trajectory } from "@eto/core"
import { loadData } from "./Data"
import { makeEnvironment, MAX_STEPS } from "./index"

// about one game in eight of each test split, and a few train games, picked by a fixed hash
const pick = (id: string) => {
  const h = Random.hashString(`alfworld-expert-test|${id}`)
  return id.startsWith("train/") ? h % 400 === 0 : h % 8 === 0
}
const data = Effect.runSync(loadData(undefined, pick))
const env = makeEnvironment(data)
const tasksOf = (split: string) => Effect.runSync(env.tasks(split))

const run = (policy: Parameters<typeof rollout>[1], split: string) =>
  rollout(env, policy, tasksOf(split), { source: { kind: "expert" }, batchSize: 8 })

const allValid = (t: Trajectory) => t.turns.every((u) => u.observation !== "Nothing happens.")

describe("alfworld expert", () => {
  it("has a sample of every split", () => {
    expect(tasksOf("seen").length).toBeGreaterThanOrEqual(10)
    expect(tasksOf("unseen").length).toBeGreaterThanOrEqual(10)
    expect(tasksOf("train").length).toBeGreaterThanOrEqual(5)
  })

  it.effect("solves the sampled seen and unseen games within the step limit, with valid actions", () =>
    Effect.gen(function*() {
      for (const split of ["seen", "unseen", "train"]) {
        const trajectories = yield* run(env.expert(7), split)
        const solved = trajectories.filter((t) => t.success)
        expect(solved.length / trajectories.length, split).toBeGreaterThanOrEqual(0.99)
        for (const t of trajectories) {
          expect(t.steps).toBeLessThanOrEqual(MAX_STEPS)
          expect(t.reward).toBe(1)
          expect(allValid(t), t.task.id).toBe(true)
        }
      }
    }))

  it.effect("replies in the ReAct format with a thought, and is deterministic per seed", () =>
    Effect.gen(function*() {
      const tasks = tasksOf("seen").slice(0, 6)
      const a = yield* rollout(env, env.expert(3), tasks, { source: { kind: "expert" } })
      const b = yield* rollout(env, env.expert(3), tasks, { source: { kind: "expert" } })
      const c = yield* rollout(env, env.expert(4), tasks, { source: { kind: "expert" } })
      expect(a).toEqual(b)
      const thoughts = (ts: ReadonlyArray<Trajectory>) => ts.flatMap((t) => t.turns.map((u) => u.thought))
      expect(thoughts(a)).not.toEqual(thoughts(c))
      for (const u of a.flatMap((t) => t.turns)) {
        expect(u.thought.length).toBeGreaterThan(10)
        expect(u.thought).not.toMatch(/\{\w+\}/)
      }
      const replies = yield* env.expert(3).act([{ task: tasks[0]!, initialObservation: "", turns: [] }])
      expect(replies[0]).toMatch(/^Thought: .+\nAction: .+$/)
      expect(parseReply(replies[0]!)?.action).toBe(a[0]!.turns[0]!.action)
    }))

  it.effect("takes over from any point of an episode, including after wrong moves", () =>
    Effect.gen(function*() {
      const task = tasksOf("unseen")[0]!
      const ep = yield* env.reset(task.id)
      const expert = env.expert(11)
      const turns: Array<{ thought: string; action: string; observation: string; reward: number }> = []
      // a few random moves first, then the expert
      const rng = Random.make("takeover")
      for (let i = 0; i < 6; i++) {
        const action = rng.pick(ep.availableActions()!)
        const r = ep.step(action)
        turns.push({ thought: "", action, observation: r.observation, reward: r.reward })
      }
      let done = false
      while (!done && turns.length < MAX_STEPS) {
        const [reply] = yield* expert.act([{ task, initialObservation: ep.initialObservation, turns, availableActions: ep.availableActions() }])
        const action = parseReply(reply!)!.action
        const r = ep.step(action)
        expect(r.valid, action).toBe(true)
        turns.push({ thought: "", action, observation: r.observation, reward: r.reward })
        done = r.done
      }
      expect(done).toBe(true)
    }))

  it.effect("a random policy scores near zero", () =>
    Effect.gen(function*() {
      const tasks = [...tasksOf("seen"), ...tasksOf("unseen")].slice(0, 30)
      expect(tasks).toHaveLength(30)
      const trajectories = yield* rollout(env, randomPolicy(5), tasks, { source: { kind: "policy", name: "random" } })
      const rate = trajectories.filter((t) => t.success).length / trajectories.length
      expect(rate).toBeLessThanOrEqual(0.1)
      expect(trajectories.every((t) => t.success || t.steps === MAX_STEPS)).toBe(true)
    }))
})
