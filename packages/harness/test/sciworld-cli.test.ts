import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect } from "effect"
import { cli } from "./support"

/**
 * The ScienceWorld worked example of the behaviour spec (section 7.1: 4-4
 * find-animal, variation 225) replayed through `eto replay`: identical
 * observations and scores.
 */
describe("eto replay on ScienceWorld", () => {
  it.effect("reproduces worked example 7.1 step by step", () =>
    Effect.gen(function*() {
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "eto-sw-replay-")), "actions.txt")
      const steps: Array<[string, string, number]> = [
        ["teleport to outside", "You teleport to the outside.", 2 / 12],
        [
          "look around",
          "This outside location is called the outside. Here you see: \n\tthe agent\n\ta substance called air\n\tan axe\n\ta frog egg\n\ta fire pit (containing nothing)\n\ta fountain (containing a substance called water)\n\tthe ground\n\ta turtle egg\n\ta baby wolf\n\ta substance called wood\nYou also see:\n\tA door to the foundry (that is open)\n\tA door to the greenhouse (that is open)\n\tA door to the kitchen (that is open)",
          2 / 12
        ],
        ["focus on turtle egg", "You focus on the turtle egg.", 8 / 12],
        ["pick up turtle egg", "You move the turtle to the inventory.", 9 / 12],
        ["teleport to living room", "You teleport to the living room.", 10 / 12],
        ["move turtle egg to orange box", "You move the turtle to the orange box.", 1]
      ]
      fs.writeFileSync(file, steps.map(([a]) => a).join("\n") + "\n")
      const r = yield* cli(["replay", "--env", "sciworld", "--task", "4-4/225", "--actions", file, "--json"])
      expect(r.code).toBe(0)
      const lines = r.stdout.trimEnd().split("\n").map((l) => JSON.parse(l) as { action: string; observation: string; reward: number; done: boolean })
      expect(lines.map((l) => l.action)).toEqual(steps.map(([a]) => a))
      lines.forEach((l, i) => {
        expect(l.observation).toBe(steps[i]![1])
        expect(l.reward).toBeCloseTo(steps[i]![2], 4)
        expect(l.done).toBe(i === steps.length - 1)
      })
      fs.rmSync(path.dirname(file), { recursive: true, force: true })
    }))
})
