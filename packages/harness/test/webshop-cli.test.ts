/**
 * The commands end to end on the real WebShop data (small limits).
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { Conversations, FORMAT_ERROR_OBSERVATION, Jsonl, Trajectory } from "@eto/core"
import { ExplainResult } from "@eto/envs/webshop/index"
import { partWeights } from "../src/commands/webshop"
import { cli, spawnCli, tempDir } from "./support"

const readTrajectories = (file: string) => Jsonl.readJsonl(Trajectory, file)

/** Runs the expert on the first `limit` test goals and returns its trajectories. */
const expertRun = (limit: number, dir: string) =>
  Effect.gen(function*() {
    const r = yield* cli(["eval", "--env", "webshop", "--policy", "expert", "--limit", String(limit), "--out", dir, "--json"])
    expect(r.code).toBe(0)
    return yield* readTrajectories(path.join(dir, "expert-test-seed0.trajectories.jsonl"))
  })

const jsonLines = (text: string) => text.trimEnd().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>)

describe("eto eval on WebShop", () => {
  it.effect("writes trajectories, a one-row summary and SFT conversations; --json prints only the summary", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const conv = path.join(dir, "sft", "conversations.jsonl")
      const r = yield* cli([
        "eval", "--env", "webshop", "--policy", "expert", "--split", "test", "--limit", "6", "--batch", "4",
        "--seed", "3", "--json", "--out", dir, "--export-conversations", conv
      ])
      expect(r.stderr).toContain("eval webshop/test expert: 6 tasks")
      expect(r.code).toBe(0)
      const lines = r.stdout.trimEnd().split("\n")
      expect(lines).toHaveLength(1)
      const summary = JSON.parse(lines[0]!)
      expect(summary).toMatchObject({ env: "webshop", split: "test", policy: "expert", tasks: 6, seed: 3 })

      const trajectories = yield* readTrajectories(summary.trajectories_file)
      expect(trajectories).toHaveLength(6)
      expect(fs.readdirSync(dir).sort()).toEqual(["expert-test-seed3.summary.csv", "expert-test-seed3.trajectories.jsonl", "sft"])
      expect(trajectories.every((t) => t.source.kind === "expert" && t.task.split === "test")).toBe(true)
      const mean = trajectories.reduce((s, t) => s + t.reward, 0) / 6
      expect(summary.avg_reward).toBeCloseTo(mean * 100, 1)
      expect(summary.success_rate).toBeCloseTo((trajectories.filter((t) => t.success).length / 6) * 100, 1)
      expect(summary.mean_steps).toBeCloseTo(trajectories.reduce((s, t) => s + t.steps, 0) / 6, 1)
      expect(summary.avg_reward).toBeGreaterThan(80)

      const csv = fs.readFileSync(summary.summary_file, "utf8").trimEnd().split("\n")
      expect(csv[0]).toBe("env,split,policy,tasks,avg_reward,success_rate,mean_steps,seed,wall_seconds")
      expect(csv[1]).toBe(
        ["webshop", "test", "expert", 6, summary.avg_reward, summary.success_rate, summary.mean_steps, 3, summary.wall_seconds].join(",")
      )

      const records = yield* Jsonl.readJsonl(Conversations.ConversationRecord, conv)
      expect(records.map((c) => c.id)).toEqual(trajectories.map((t) => t.task.id))
      const first = records[0]!.conversations
      expect(first[1]).toEqual({ from: "gpt", value: "OK" })
      expect(first[2]!.value).toBe(trajectories[0]!.initialObservation)
      expect(first.filter((m) => m.from === "gpt")).toHaveLength(1 + trajectories[0]!.steps)
    }))

  it.effect("random policy, text output, same seed gives the same trajectories", () =>
    Effect.gen(function*() {
      const runs = []
      for (const dir of [tempDir(), tempDir()]) {
        const conv = path.join(dir, "conv.jsonl")
        const r = yield* cli([
          "eval", "--env", "webshop", "--policy", "random", "--limit", "4", "--seed", "11", "--out", dir,
          "--export-conversations", conv, "--export-min-reward", "0.1"
        ])
        expect(r.code).toBe(0)
        const trajectories = yield* readTrajectories(path.join(dir, "random-test-seed11.trajectories.jsonl"))
        expect(trajectories.every((t) => t.source.kind === "policy" && t.source.name === "random")).toBe(true)
        const kept = trajectories.filter((t) => t.reward >= 0.1).map((t) => t.task.id)
        expect((yield* Jsonl.readJsonl(Conversations.ConversationRecord, conv)).map((c) => c.id)).toEqual(kept)
        expect(r.stdout).toContain(`conv.jsonl (${kept.length})`)
        expect(r.stdout).toContain("webshop test random: 4 tasks, seed 11")
        expect(r.stdout).toMatch(/average reward +\d+\.\d\d\n/)
        expect(r.stdout).toMatch(/success rate +\d+\.\d\d\n/)
        runs.push(fs.readFileSync(path.join(dir, "random-test-seed11.trajectories.jsonl"), "utf8"))
      }
      expect(runs[0]).toBe(runs[1])
      expect(runs[0]!.trimEnd().split("\n")).toHaveLength(4)
    }))

  it.effect("unknown split, policy, setting and bad setting value: one line, exit 1", () =>
    Effect.gen(function*() {
      const base = ["eval", "--env", "webshop", "--limit", "1", "--out", tempDir()]
      const cases: Array<[ReadonlyArray<string>, string]> = [
        [["--policy", "expert", "--split", "nope"], "unknown split 'nope' (known: test, test500, dev, train)"],
        [["--policy", "genius"], "unknown policy 'genius' (known: expert, random, checkpoint:<dir>, openai:<model>)"],
        [["--policy", "expert", "--set", "colour=blue"], "unknown setting 'colour'"],
        [["--policy", "expert", "--set", "seed=minus"], "webshop: bad setting"],
        [["--policy", "expert", "--export-min-reward", "1"], "--export-min-reward needs --export-conversations"]
      ]
      for (const [args, message] of cases) {
        const r = yield* cli([...base, ...args])
        expect(r.code).toBe(1)
        expect(r.stdout).toBe("")
        expect(r.stderr.trimEnd().split("\n")).toHaveLength(1)
        expect(r.stderr).toContain(message)
      }
    }))
})

describe("eto replay on WebShop", () => {
  it.effect("bare actions: reproduces the expert's observations and reward, stops at done", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const [t] = yield* expertRun(1, dir)
      const file = path.join(dir, "actions.txt")
      fs.writeFileSync(file, [...t!.turns.map((x) => x.action), "click[back to search]"].join("\n") + "\n")
      const r = yield* cli(["replay", "--env", "webshop", "--task", t!.task.id, "--actions", file, "--json"])
      expect(r.code).toBe(0)
      const steps = jsonLines(r.stdout)
      expect(steps.map((s) => Object.keys(s).sort())).toEqual(steps.map(() => ["action", "done", "observation", "reward"]))
      expect(steps).toEqual(t!.turns.map((x, i) => ({
        action: x.action,
        observation: x.observation,
        reward: x.reward,
        done: i === t!.turns.length - 1
      })))
      expect(r.stderr).toContain("1 more action not replayed: the episode ended")

      const text = yield* cli(["replay", "--env", "webshop", "--task", t!.task.id, "--actions", file])
      expect(text.code).toBe(0)
      expect(text.stdout).toContain(`task ${t!.task.id} (test)`)
      expect(text.stdout).toContain(`[1] > ${t!.turns[0]!.action}`)
      expect(text.stdout).toContain(`done after ${t!.turns.length} steps, reward ${t!.reward.toFixed(4)}`)
    }))

  it.effect("raw agent outputs: a reply without 'Action: ' is a format error, as in the episode loop", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const [t] = yield* expertRun(1, dir)
      const outputs = t!.turns.map((x) => ({ output: `Thought: ${x.thought}\nAction: ${x.action}` }))
      outputs.splice(1, 0, { output: "I think I should click the first result." })
      const file = path.join(dir, "outputs.jsonl")
      fs.writeFileSync(file, outputs.map((o) => JSON.stringify(o)).join("\n") + "\n")
      const r = yield* cli(["replay", "--env", "webshop", "--task", t!.task.id, "--actions", file, "--json"])
      expect(r.code).toBe(0)
      const steps = jsonLines(r.stdout)
      expect(steps).toHaveLength(t!.turns.length + 1)
      expect(steps[1]).toMatchObject({ action: "", done: false })
      expect(steps[1]!.observation).toBe(FORMAT_ERROR_OBSERVATION)
      expect(steps.at(-1)).toMatchObject({ action: t!.turns.at(-1)!.action, reward: t!.reward, done: true })
    }))

  it.effect("unknown task id: one line, exit 1", () =>
    Effect.gen(function*() {
      const file = path.join(tempDir(), "a.txt")
      fs.writeFileSync(file, "search[red shoes]\n")
      const r = yield* cli(["replay", "--env", "webshop", "--task", "NOPE:0", "--actions", file])
      expect(r.code).toBe(1)
      expect(r.stderr.trimEnd()).toBe("eto: webshop: no task with id 'NOPE:0'")
    }))
})

describe("eto play on WebShop", () => {
  it.effect("scripted input: help lists valid actions, the expert's actions win", () =>
    Effect.gen(function*() {
      const [t] = yield* expertRun(1, tempDir())
      const input = ["help", "", ...t!.turns.map((x, i) => (i === 0 ? `Thought: let me search. Action: ${x.action}` : x.action))]
      const r = yield* cli(["play", "--env", "webshop", "--task", t!.task.id], input)
      expect(r.code).toBe(0)
      expect(r.stdout).toContain(`task ${t!.task.id} (test)`)
      expect(r.stdout).toMatch(/valid actions \(\d+\):\n {4}search\[/)
      expect(r.stdout).toContain(`> ${t!.turns[1]!.action}`)
      expect(r.stdout.trimEnd().split("\n").at(-1)).toBe(
        `final reward ${t!.reward.toFixed(4)}${t!.reward >= 1 ? " (success)" : ""} after ${t!.turns.length} steps`
      )
    }))

  it.effect("a task drawn by seed, a format error, then quit", () =>
    Effect.gen(function*() {
      const a = yield* cli(["play", "--env", "webshop", "--split", "dev", "--seed", "5"], ["Thought: no action here", "quit"])
      const b = yield* cli(["play", "--env", "webshop", "--split", "dev", "--seed", "5"], ["quit"])
      expect(a.code).toBe(0)
      expect(a.stdout.split("\n")[0]).toMatch(/^task \S+ \(dev\)/)
      expect(a.stdout.split("\n")[0]).toBe(b.stdout.split("\n")[0])
      expect(a.stdout).toContain("step 1/")
      expect(a.stdout.trimEnd().split("\n").at(-1)).toBe("final reward 0.0000 after 1 step (episode not finished)")
    }))

  it("as a real process with piped standard input", () => {
    const r = spawnCli(["play", "--env", "webshop", "--split", "test", "--seed", "1"], "search[pillow]\nclick[next >]\nquit\n")
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    expect(r.stdout).toContain("> search[pillow]")
    expect(r.stdout).toContain("step 2/")
    expect(r.stdout.trimEnd().split("\n").at(-1)).toMatch(/^final reward 0\.0000 after 2 steps \(episode not finished\)$/)
  })
})

describe("eto webshop explain", () => {
  it.effect("JSON: the ExplainResult, its parts consistent with the reward", () =>
    Effect.gen(function*() {
      const [t] = yield* expertRun(1, tempDir())
      const goal = t!.task.metadata as { asin: string; goalOptions: Record<string, string> }
      const options = Object.entries(goal.goalOptions).flatMap(([k, v]) => ["--option", `${k}=${v}`])
      const r = yield* cli(["webshop", "explain", "--goal", t!.task.id, "--asin", goal.asin, ...options, "--json"])
      expect(r.code).toBe(0)
      const result = Schema.decodeUnknownSync(ExplainResult)(JSON.parse(r.stdout))
      expect(result.goal.id).toBe(t!.task.id)
      expect(result.purchase.asin).toBe(goal.asin)
      expect(result.reward).toBe(1)
      const expensive = yield* cli(["webshop", "explain", "--goal", t!.task.id, "--asin", goal.asin, "--price", "100000", "--json"])
      const e = Schema.decodeUnknownSync(ExplainResult)(JSON.parse(expensive.stdout))
      expect(e.r_price).toBe(false)
      const w = partWeights(e)
      expect(e.reward).toBeCloseTo(e.r_type * (w.attributes * e.r_att + w.options * (e.r_option ?? 0)), 6)
      expect(e.reward).toBeLessThan(1)
    }))

  it.effect("text: a table with every part", () =>
    Effect.gen(function*() {
      const r = yield* cli(["webshop", "explain", "--goal", "B0743JKHBV:6", "--asin", "B0743JKHBV", "--price", "45"])
      expect(r.code).toBe(0)
      for (const part of ["r_type", "title_score", "r_att", "r_option", "r_price", "reward"]) {
        expect(r.stdout).toMatch(new RegExp(`^${part} +`, "m"))
      }
      expect(r.stdout).toContain("goal B0743JKHBV:6:")
      expect(r.stdout).toContain("45.00 > bound")
    }))

  it.effect("bad input: one line, non-zero exit", () =>
    Effect.gen(function*() {
      const cases: Array<[ReadonlyArray<string>, number, string]> = [
        [["--goal", "B0743JKHBV:6", "--asin", "B0743JKHBV", "--option", "size"], 1, "bad --option 'size'"],
        [["--goal", "nope", "--asin", "B0743JKHBV"], 1, "no goal with id 'nope'"],
        [["--goal", "B0743JKHBV:6", "--asin", "B000000000"], 1, "no product with asin"],
        [["--goal", "B0743JKHBV:6", "--asin", "B0743JKHBV", "--option", "colour=red"], 1, "has no option 'colour'"],
        [["--goal", "B0743JKHBV:6"], 2, "missing required flag --asin"]
      ]
      for (const [args, code, message] of cases) {
        const r = yield* cli(["webshop", "explain", ...args])
        expect(r.code).toBe(code)
        expect(r.stderr.trimEnd().split("\n")).toHaveLength(1)
        expect(r.stderr).toContain(message)
      }
    }))
})

describe("eto envs", () => {
  it.effect("lists WebShop with its splits, task counts and settings", () =>
    Effect.gen(function*() {
      const json = yield* cli(["envs", "--env", "webshop", "--json"])
      expect(json.code).toBe(0)
      const webshop = JSON.parse(json.stdout).environments.find((e: { name: string }) => e.name === "webshop")
      expect(webshop.defaultSplit).toBe("test")
      expect(webshop.splits).toEqual([
        { name: "test", tasks: 200 },
        { name: "test500", tasks: 500 },
        { name: "dev", tasks: 1000 },
        { name: "train", tasks: 5410 }
      ])
      expect(webshop.settings.map((s: { name: string }) => s.name)).toContain("seed")
      const text = yield* cli(["envs", "--env", "webshop"])
      expect(text.stdout).toContain("webshop (default split: test)")
      expect(text.stdout).toContain("test (200 tasks)")
      const unknown = yield* cli(["envs", "--env", "nethack"])
      expect(unknown.code).toBe(1)
      expect(unknown.stderr).toContain("unknown environment 'nethack'")
    }))
})
