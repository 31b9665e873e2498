/**
 * The floor: a policy that picks uniformly among the currently valid actions.
 */
import { Effect } from "effect"
import { PolicyError, type PolicyShape } from "./Policy"
import * as Random from "./Random"
import { formatReply } from "./ReAct"

export const randomPolicy = (seed: number): PolicyShape => {
  const rng = Random.make(`random-policy:${seed}`)
  return {
    name: "random",
    act: (requests) =>
      Effect.suspend(() => {
        const out: Array<string> = []
        for (const r of requests) {
          const actions = r.availableActions
          if (actions === undefined || actions.length === 0) {
            return Effect.fail(new PolicyError({ reason: `random policy: ${r.task.env} lists no valid actions for task ${r.task.id}` }))
          }
          out.push(formatReply("I will try something.", rng.pick(actions)))
        }
        return Effect.succeed(out)
      })
  }
}
