import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { decodeActions } from "../src/ActionsFile"
import { parseSettings, resolveEnvName, taskTypesOf } from "../src/Environments"
import type { IoShape } from "../src/Io"
import { makeProgress, renderBar } from "../src/Progress"
import { summaryCsv, summaryRow } from "../src/Results"

describe("--set parsing", () => {
  it.effect("decodes name=value pairs, values may hold '=' or be empty", () =>
    Effect.gen(function*() {
      const s = yield* parseSettings(["a=1", "b.c=x=y", "d=", "a=2"])
      expect(s).toEqual({ a: "2", "b.c": "x=y", d: "" })
    }))

  it.effect("rejects an argument without '=' or without a name", () =>
    Effect.gen(function*() {
      for (const bad of ["novalue", "=3", "1a=2", " a=1"]) {
        const exit = yield* Effect.exit(parseSettings([bad]))
        expect(Exit.isFailure(exit)).toBe(true)
        if (Exit.isFailure(exit)) expect(String(exit.cause)).toContain(`bad --set '${bad}'`)
      }
    }))
})

describe("environment names", () => {
  it.effect("an unknown name fails with the registered names", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(resolveEnvName("nethack"))
      expect(Exit.isFailure(exit)).toBe(true)
      if (Exit.isFailure(exit)) expect(String(exit.cause)).toContain("unknown environment 'nethack' (registered:")
    }))
})

describe("task types", () => {
  it("reads an environment's task type list where it has one", () => {
    expect(taskTypesOf({})).toBeUndefined()
    expect(taskTypesOf({ taskTypes: "several" })).toBeUndefined()
    expect(
      taskTypesOf({
        taskTypes: [
          { id: "1-1", name: "boil", enabled: false, reason: "no heat model", maxSteps: 30 },
          { id: "4-1", name: "find a living thing", enabled: true, reason: "" }
        ]
      })
    ).toEqual([
      { id: "1-1", name: "boil", enabled: false, reason: "no heat model" },
      { id: "4-1", name: "find a living thing", enabled: true, reason: "" }
    ])
  })
})

describe("actions files", () => {
  it.effect("plain text: one bare action per line, blank lines skipped", () =>
    Effect.gen(function*() {
      const entries = yield* decodeActions("search[red shoes]\n\n  click[b0001]  \r\nclick[buy now]\n", "a.txt")
      expect(entries).toEqual([
        { _tag: "Action", action: "search[red shoes]" },
        { _tag: "Action", action: "click[b0001]" },
        { _tag: "Action", action: "click[buy now]" }
      ])
    }))

  it.effect("JSONL of raw agent outputs", () =>
    Effect.gen(function*() {
      const text = [
        JSON.stringify({ output: "Thought: look\nAction: search[red shoes]" }),
        "",
        JSON.stringify({ output: "I forgot the format" })
      ].join("\n")
      const entries = yield* decodeActions(text, "a.jsonl")
      expect(entries).toEqual([
        { _tag: "Output", output: "Thought: look\nAction: search[red shoes]" },
        { _tag: "Output", output: "I forgot the format" }
      ])
    }))

  const failure = (text: string) =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(decodeActions(text, "acts.txt"))
      if (Exit.isSuccess(exit)) throw new Error("expected a failure")
      return String(exit.cause)
    })

  it.effect("malformed files fail naming file and line", () =>
    Effect.gen(function*() {
      expect(yield* failure("{\"output\": \"Action: a\"}\n{\"output\": 3}\n")).toContain("acts.txt:2: bad record")
      expect(yield* failure("{\"output\": \"Action: a\"}\n{oops\n")).toContain("acts.txt:2: invalid JSON")
      expect(yield* failure("search[x]\n\n{\"output\": \"Action: a\"}\n")).toContain("acts.txt:3: a JSON record")
      expect(yield* failure("search[x]\nThought: hmm\n")).toContain("acts.txt:2: a 'Thought:'")
      expect(yield* failure("\n  \n")).toContain("acts.txt: no actions")
    }))
})

describe("progress", () => {
  it("renders the share done, the count and an estimate", () => {
    expect(renderBar("eval", 5, 20, 10, "avg 50")).toBe("eval [######------------------] 5/20 25% eta 00:30 avg 50")
    expect(renderBar("eval", 0, 4, 0)).toBe("eval [------------------------] 0/4 0% eta --:--")
  })

  it("stays quiet off a terminal except for the final line", () => {
    let captured = ""
    const progress = makeProgress({ ...silentIo, writeErr: (t) => (captured += t) }, "eval", 3)
    progress.update(1)
    progress.update(3)
    progress.finish("done: 3 tasks")
    expect(captured).toBe("done: 3 tasks\n")
  })

  it("redraws one line on a terminal", () => {
    let captured = ""
    let t = 0
    const progress = makeProgress(
      { ...silentIo, stderrIsTTY: true, writeErr: (x) => (captured += x) },
      "eval",
      2,
      () => (t += 1000)
    )
    progress.update(1)
    progress.update(2)
    progress.finish("all done")
    const frames = captured.split("\r\x1b[2K").filter((f) => f !== "")
    expect(frames).toHaveLength(3)
    expect(frames[0]).toContain("1/2 50%")
    expect(frames[1]).toContain("2/2 100%")
    expect(frames[2]).toBe("all done\n")
  })
})

const silentIo: IoShape = {
  writeOut: () => {},
  writeErr: () => {},
  stderrIsTTY: false,
  stdinIsTTY: false,
  readLine: Effect.succeed(undefined)
}

describe("summary", () => {
  it("scales reward and success rate by 100 and writes one CSV row", () => {
    const row = summaryRow({
      env: "webshop",
      split: "test",
      policy: "expert",
      tasks: 3,
      avgReward: 0.91666666,
      successRate: 2 / 3,
      meanSteps: 4.3333,
      seed: 7,
      wallSeconds: 1.23456
    })
    expect(row).toEqual({
      env: "webshop",
      split: "test",
      policy: "expert",
      tasks: 3,
      avg_reward: 91.67,
      success_rate: 66.67,
      mean_steps: 4.33,
      seed: 7,
      wall_seconds: 1.235
    })
    expect(summaryCsv([row])).toBe(
      "env,split,policy,tasks,avg_reward,success_rate,mean_steps,seed,wall_seconds\nwebshop,test,expert,3,91.67,66.67,4.33,7,1.235\n"
    )
  })
})
