/**
 * The expert with its eyes open: it looks around at the start of an episode
 * and after every teleport, then acts as the expert does. The expert plans
 * from the simulator's state, so its own episodes name objects whose names
 * the text never showed (which flower pot holds the plant, which wires lie in
 * the workshop); a model trained on them must guess those names. With a
 * `look around` before acting in a room, the names the next actions use are
 * in the episode's text. `look around` is a free action (no tick), so the
 * game runs as it would without it and the expert's plan is unchanged.
 */
import { Effect } from "effect"
import { formatReply, type PolicyRequest, type PolicyShape } from "@eto/core"

export const LOOK_AROUND = "look around"

const TELEPORTED = /^You teleport to the .+\.$/

/** Whether the agent should look around before acting on this request (start of the episode, or just teleported). */
export const wantsLook = (r: PolicyRequest): boolean => {
  const last = r.turns[r.turns.length - 1]
  return last === undefined ? true : last.action !== LOOK_AROUND && TELEPORTED.test(last.observation.trim())
}

/** `expert` preceded by a look-around at the start and after each teleport. */
export const lookingExpert = (expert: PolicyShape): PolicyShape => ({
  name: `${expert.name}+look`,
  act: (requests) =>
    Effect.gen(function*() {
      const asked = requests.flatMap((r, i) => (wantsLook(r) ? [] : [i]))
      const planned = asked.length === 0 ? [] : yield* expert.act(asked.map((i) => requests[i]!))
      const replies: Array<string> = requests.map((r) =>
        formatReply(r.turns.length === 0 ? "First I look around to see where I am." : "I look around to see what is here.", LOOK_AROUND))
      asked.forEach((i, k) => {
        replies[i] = planned[k]!
      })
      return replies
    })
})
