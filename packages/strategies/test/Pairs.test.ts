import { describe, expect, it } from "@effect/vitest"
import { PreferencePair, type Task, type Trajectory, type Turn } from "@eto/core"
import { Result, Schema } from "effect"
import {
  bestOfN,
  mixturePairs,
  rftDataset,
  selfPlayPairs,
  stepPairs,
  successful,
  trajectoryPairs
} from "../src/Pairs"

const task = (id: string): Task => ({ id, env: "webshop", split: "train", instruction: `task ${id}`, metadata: {} })

const turns = (prefix: string, n: number): Array<Turn> =>
  Array.from({ length: n }, (_, i) => ({ thought: `${prefix} thinks ${i + 1}`, action: `${prefix}-act-${i + 1}`, observation: `obs ${i + 1}`, reward: 0 }))

const traj = (
  id: string,
  ts: ReadonlyArray<Turn>,
  reward: number,
  who: "expert" | "agent" = "agent",
  success = reward >= 1
): Trajectory => ({
  task: task(id),
  initialObservation: `start of ${id}`,
  turns: ts,
  reward,
  success,
  steps: ts.length,
  source: who === "expert" ? { kind: "expert" } : { kind: "policy", name: "sft" }
})

const ok = <A, E>(r: Result.Result<A, E>): A => {
  if (Result.isFailure(r)) throw new Error(`expected success, got ${String(r.failure)}`)
  return r.success
}

const failure = <A, E>(r: Result.Result<A, E>): E => {
  if (Result.isSuccess(r)) throw new Error("expected a failure")
  return r.failure
}

describe("trajectoryPairs", () => {
  const experts = [
    traj("a", turns("exp", 3), 1, "expert"),
    traj("b", turns("exp", 2), 0.8, "expert"),
    traj("c", turns("exp", 4), 1, "expert"),
    traj("d", turns("exp", 2), 0.75, "expert", true)
  ]

  it("pairs expert over a worse exploration and keeps every turn within the margin", () => {
    const agent = traj("a", turns("agent", 8), 0.25)
    const { pairs, stats } = ok(trajectoryPairs(experts, [agent]))
    expect(pairs).toHaveLength(1)
    const p = pairs[0]!
    expect(p.level).toBe("trajectory")
    expect(p.prefix).toEqual([])
    expect(p.chosen).toEqual(experts[0]!.turns)
    // 8 rounds = 3 expert rounds + 5: nothing cut.
    expect(p.rejected).toHaveLength(8)
    expect([p.chosenReward, p.rejectedReward]).toEqual([1, 0.25])
    expect(stats).toMatchObject({ considered: 1, pairs: 1, truncated: 0, flipped: 0 })
    Schema.decodeUnknownSync(PreferencePair)(p)
  })

  it("truncates the rejected trajectory to 5 rounds more than the expert's", () => {
    const agent = traj("a", turns("agent", 12), 0)
    const { pairs, stats } = ok(trajectoryPairs(experts, [agent]))
    expect(pairs[0]!.rejected.map((t) => t.action)).toEqual(turns("agent", 8).map((t) => t.action))
    expect(stats.truncated).toBe(1)
    const wider = ok(trajectoryPairs(experts, [agent], { margin: 2 }))
    expect(wider.pairs[0]!.rejected).toHaveLength(5)
  })

  it("drops ties", () => {
    const { pairs, stats } = ok(trajectoryPairs(experts, [traj("b", turns("agent", 6), 0.8)]))
    expect(pairs).toEqual([])
    expect(stats).toMatchObject({ considered: 1, pairs: 0, ties: 1 })
  })

  it("flips the pair when the agent beats the expert", () => {
    const agent = traj("b", turns("agent", 9), 1)
    const { pairs, stats } = ok(trajectoryPairs(experts, [agent]))
    expect(pairs).toHaveLength(1)
    expect(pairs[0]!.chosen).toEqual(agent.turns)
    expect(pairs[0]!.rejected).toEqual(experts[1]!.turns)
    expect([pairs[0]!.chosenReward, pairs[0]!.rejectedReward]).toEqual([1, 0.8])
    expect(stats.flipped).toBe(1)
    expect(stats.truncated).toBe(0)
  })

  it("discards a pair where both succeed even with different rewards, unless told not to", () => {
    // Expert d succeeded with 0.75 (dense reward); the agent succeeds with 0.9.
    const agent = traj("d", turns("agent", 3), 0.9, "agent", true)
    const strict = ok(trajectoryPairs(experts, [agent]))
    expect(strict.pairs).toEqual([])
    expect(strict.stats.bothSuccessful).toBe(1)
    const loose = ok(trajectoryPairs(experts, [agent], { dropBothSuccessful: false }))
    expect(loose.pairs).toHaveLength(1)
    expect(loose.stats.flipped).toBe(1)
  })

  it("counts explorations of tasks without an expert and refuses duplicate experts", () => {
    const { pairs, stats } = ok(trajectoryPairs(experts, [traj("zzz", turns("agent", 2), 0)]))
    expect(pairs).toEqual([])
    expect(stats.noExpert).toBe(1)
    const err = failure(trajectoryPairs([...experts, experts[0]!], []))
    expect(err.message).toContain("webshop/a")
  })

  it("keeps one pair per exploration, in exploration order", () => {
    const explorations = [traj("c", turns("x", 2), 0.5), traj("a", turns("y", 1), 0), traj("c", turns("z", 5), 0.1)]
    const { pairs } = ok(trajectoryPairs(experts, explorations))
    expect(pairs.map((p) => [p.task.id, p.rejected[0]!.action])).toEqual([["c", "x-act-1"], ["a", "y-act-1"], ["c", "z-act-1"]])
  })
})

describe("stepPairs", () => {
  const expert = traj("s", turns("exp", 4), 1, "expert")
  /** The expert's first t-1 turns, then the agent's own from step t. */
  const forced = (t: number, agentTurns: number, reward: number) =>
    traj("s", [...expert.turns.slice(0, t - 1), ...turns("agent", agentTurns)], reward)

  it("builds the Eq. 13 pair: prefix = expert's first t-1 turns, sides = the t-th actions", () => {
    const { pairs, stats } = ok(stepPairs([expert], [{ t: 3, trajectory: forced(3, 4, 0.2) }]))
    expect(pairs).toHaveLength(1)
    const p = pairs[0]!
    expect(p.level).toBe("step")
    expect(p.prefix).toEqual(expert.turns.slice(0, 2))
    expect(p.chosen).toEqual([expert.turns[2]])
    expect(p.rejected.map((t) => t.action)).toEqual(["agent-act-1"])
    expect([p.chosenReward, p.rejectedReward]).toEqual([1, 0.2])
    expect(stats.pairs).toBe(1)
    Schema.decodeUnknownSync(PreferencePair)(p)
  })

  it("t = 1 has an empty prefix", () => {
    const { pairs } = ok(stepPairs([expert], [{ t: 1, trajectory: forced(1, 2, 0) }]))
    expect(pairs[0]!.prefix).toEqual([])
    expect(pairs[0]!.chosen).toEqual([expert.turns[0]])
  })

  it("drops ties and flips when the agent's continuation scores higher", () => {
    const weak = traj("s", turns("exp", 4), 0.6, "expert")
    const { pairs, stats } = ok(
      stepPairs([weak], [{ t: 2, trajectory: traj("s", [weak.turns[0]!, ...turns("agent", 2)], 0.6) }, {
        t: 2,
        trajectory: traj("s", [weak.turns[0]!, ...turns("agent", 3)], 0.9)
      }])
    )
    expect(stats).toMatchObject({ considered: 2, ties: 1, flipped: 1, pairs: 1 })
    expect(pairs[0]!.chosen.map((t) => t.action)).toEqual(["agent-act-1"])
    expect(pairs[0]!.rejected).toEqual([weak.turns[1]])
    expect(pairs[0]!.prefix).toEqual([weak.turns[0]])
  })

  it("continuation scope keeps the rest of each episode and truncates the rejected side", () => {
    // From t = 2 the expert has 3 rounds left; the agent 12, cut to 3 + 5.
    const { pairs, stats } = ok(stepPairs([expert], [{ t: 2, trajectory: forced(2, 12, 0) }], { scope: "continuation" }))
    expect(pairs[0]!.chosen).toEqual(expert.turns.slice(1))
    expect(pairs[0]!.rejected).toHaveLength(8)
    expect(stats.truncated).toBe(1)
  })

  it("rejects explorations whose forced prefix is not the expert's, or whose t is out of range", () => {
    const bad = traj("s", [...turns("agent", 1), ...turns("agent", 3)], 0)
    expect(failure(stepPairs([expert], [{ t: 2, trajectory: bad }])).message).toContain("turn 1 is 'agent-act-1'")
    expect(failure(stepPairs([expert], [{ t: 5, trajectory: forced(4, 2, 0) }])).message).toContain("t=5")
    expect(failure(stepPairs([expert], [{ t: 3, trajectory: traj("s", expert.turns.slice(0, 2), 0) }])).message)
      .toContain("only 2 turns")
  })
})

describe("mixturePairs", () => {
  it("is the union of both levels with summed statistics", () => {
    const expert = traj("m", turns("exp", 3), 1, "expert")
    const { pairs, stats } = ok(
      mixturePairs(
        [expert],
        [traj("m", turns("agent", 4), 0), traj("m", turns("agent2", 2), 1)],
        [{ t: 2, trajectory: traj("m", [expert.turns[0]!, ...turns("agent", 2)], 0.5) }]
      )
    )
    expect(pairs.map((p) => p.level)).toEqual(["trajectory", "step"])
    expect(stats).toMatchObject({ considered: 3, pairs: 2, ties: 1 })
  })
})

describe("RFT and Best-of-N selection", () => {
  const expert = traj("r", turns("exp", 2), 1, "expert")
  const win1 = traj("r", turns("agent", 3), 1)
  const win1Again = traj("r", turns("agent", 3), 1)
  const copyOfExpert = traj("r", turns("exp", 2), 1)
  const loss = traj("r", turns("other", 2), 0.4)

  it("keeps successful explorations once per distinct action sequence", () => {
    expect(successful([loss, win1, win1Again, copyOfExpert])).toEqual([win1, copyOfExpert])
  })

  it("adds new successful explorations to the expert data", () => {
    const { trajectories, added } = rftDataset([expert], [loss, win1, win1Again, copyOfExpert])
    expect(added).toBe(1)
    expect(trajectories).toEqual([expert, win1])
  })

  it("keeps explorations at or above a reward threshold when one is set", () => {
    const half = traj("r", turns("half", 2), 0.5)
    // 0.4 is below 0.5; the successes stay; duplicates still go.
    expect(successful([loss, half, win1, win1Again], 0.5)).toEqual([half, win1])
    expect(successful([loss, half], 0.4)).toEqual([loss, half])
    const { trajectories, added } = rftDataset([expert], [loss, half, copyOfExpert], 0.5)
    expect(added).toBe(1)
    expect(trajectories).toEqual([expert, half])
  })

  it("picks the highest reward per task, the earliest on ties", () => {
    const other = traj("q", turns("q", 1), 0.3)
    const other2 = traj("q", turns("q2", 1), 0.3)
    expect(bestOfN([loss, other, win1, other2, win1Again])).toEqual([win1, other])
  })
})

describe("selfPlayPairs", () => {
  const samples = [
    traj("p", turns("s1", 2), 0.5),
    traj("p", turns("s2", 9), 0.1),
    traj("p", turns("s3", 3), 0.9),
    traj("p", turns("s4", 3), 0.5),
    traj("tie", turns("t1", 1), 0.2),
    traj("tie", turns("t2", 2), 0.2)
  ]

  it("best against worst per task, ties dropped, rejected cut to chosen + 5", () => {
    const { pairs, stats } = selfPlayPairs(samples)
    expect(pairs).toHaveLength(1)
    expect(pairs[0]!.chosen[0]!.action).toBe("s3-act-1")
    expect(pairs[0]!.rejected.map((t) => t.action)).toEqual(turns("s2", 8).map((t) => t.action))
    expect([pairs[0]!.chosenReward, pairs[0]!.rejectedReward]).toEqual([0.9, 0.1])
    expect(stats).toMatchObject({ considered: 2, pairs: 1, ties: 1, truncated: 1 })
  })

  it("all mode compares every two samples with different rewards", () => {
    const { pairs, stats } = selfPlayPairs(samples, { mode: "all" })
    // Task p: 6 comparisons, one tie (0.5 vs 0.5); task tie: 1 comparison, a tie.
    expect(stats).toMatchObject({ considered: 7, ties: 2, pairs: 5 })
    for (const p of pairs) expect(p.chosenReward).toBeGreaterThan(p.rejectedReward)
  })
})
