/**
 * `model.actionRepair` on real ALFWorld games: an unlisted action becomes the
 * nearest admissible command with the same command word, a listed one and
 * one without a listed command of its kind pass unchanged; with the setting a
 * model that miscopies an object's number still picks the object up, without
 * it the environment answers "Nothing happens."; the setting enters the
 * policy keys only when on; a bad value is refused in one line.
 */
import { describe, expect, it } from "@effect/vitest"
import { type PolicyShape, Random, rollout } from "@eto/core"
import { loadData } from "@eto/envs/alfworld/Data"
import { makeEnvironment } from "@eto/envs/alfworld/index"
import { Effect, Result } from "effect"
import { decodeConfig } from "../src/Config"
import { actingOf, type ModelSettings, modelSettings, viewPolicy } from "../src/Training"
import { commandOf, repairAction } from "../src/training/ActionRepair"

const env = makeEnvironment(Effect.runSync(loadData(undefined, (id) => Random.hashString(`action-repair|${id}`) % 20 === 0)))

const settings = (actionRepair?: "none" | "nearest"): ModelSettings =>
  modelSettings({
    name: "repair",
    env: "alfworld",
    scale: "smoke",
    seeds: [1],
    strategies: [{ _tag: "sft" }],
    model: { instructionPrompt: "none", thoughts: "none", ...(actionRepair === undefined ? {} : { actionRepair }) }
  })

/** Follows the expert's episode, but writes every "take X N from R" with a number no object has (N + 100). */
const miscopying = (script: ReadonlyArray<string>): PolicyShape => ({
  name: "miscopying",
  act: (requests) =>
    Effect.succeed(requests.map((r) => {
      const action = script[r.turns.length] ?? "look"
      const slip = action.replace(/^take (\S+) (\d+) from/, (_, o: string, n: string) => `take ${o} ${Number(n) + 100} from`)
      return `Action: ${slip}`
    }))
})

describe("action repair", () => {
  it("maps an unlisted action to the nearest listed one of its command, and leaves the rest", () => {
    const listed = ["go to desk 1", "go to drawer 2", "take alarmclock 1 from desk 1", "take bowl 2 from desk 1", "open drawer 2", "look"]
    expect(repairAction("take alarmclock 2 from desk 1", listed)).toBe("take alarmclock 1 from desk 1")
    expect(repairAction("go to drawer 3", listed)).toBe("go to drawer 2")
    expect(repairAction("go to desk 1", listed)).toBe("go to desk 1")
    expect(repairAction("use desklamp 1", listed)).toBe("use desklamp 1")
    expect(repairAction("take alarmclock 2 from desk 1", undefined)).toBe("take alarmclock 2 from desk 1")
    expect(repairAction("take alarmclock 2 from desk 1", [])).toBe("take alarmclock 2 from desk 1")
    expect(commandOf("go to sofa 1")).toBe("go to")
    expect(commandOf("put mug 1 in/on shelf 2")).toBe("put")
  })

  it.effect("lets a miscopying model pick up the object on real games; without it the game answers Nothing happens.", () =>
    Effect.gen(function*() {
      const tasks = (yield* env.tasks("seen")).slice(0, 12)
      const expert = yield* rollout(env, env.expert(2), tasks, { source: { kind: "expert" } })
      let takes = 0
      for (const e of expert) {
        const script = e.turns.map((u) => u.action)
        const takeAt = script.findIndex((a) => a.startsWith("take "))
        if (takeAt < 0) continue
        takes++
        const [plain] = yield* rollout(env, viewPolicy(env, miscopying(script), settings()), [e.task], { source: { kind: "policy", name: "p" } })
        const [repaired] = yield* rollout(env, viewPolicy(env, miscopying(script), settings("nearest")), [e.task], { source: { kind: "policy", name: "p" } })
        expect(plain!.turns[takeAt]!.observation, e.task.id).toBe("Nothing happens.")
        expect(repaired!.turns[takeAt]!.action, e.task.id).toBe(script[takeAt])
        expect(repaired!.turns[takeAt]!.observation, e.task.id).toMatch(/^You pick up the /)
        expect(repaired!.turns.slice(0, takeAt).map((u) => u.action)).toEqual(script.slice(0, takeAt))
      }
      expect(takes).toBeGreaterThanOrEqual(3)
    }))

  it("keys a policy only when on, and refuses a bad value in one line", () => {
    expect(actingOf(settings())).toEqual({})
    expect(actingOf(settings("none"))).toEqual({})
    expect(actingOf(settings("nearest"))).toEqual({ actionRepair: "nearest" })
    const r = decodeConfig(JSON.stringify({ name: "r", env: "alfworld", scale: "smoke", seeds: [1], strategies: [{ _tag: "sft" }], model: { actionRepair: "closest" } }), "r.json")
    expect(Result.isFailure(r)).toBe(true)
    const message = Result.isFailure(r) ? r.failure.message : ""
    expect(message).toContain("model.actionRepair")
    expect(message).not.toContain("\n")
  })
})
