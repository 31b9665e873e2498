/**
 * Action repair (`model.actionRepair: "nearest"`): where the environment
 * lists the actions it accepts (ALFWorld's admissible commands), an action
 * the model wrote that is not on the list is replaced by the listed action
 * with the same command word ("go to", "take", "open", ...) nearest to it in
 * edit distance, ties to the earlier one on the list; with no listed action
 * of that command, or no list at all, the action goes out as written.
 *
 * A small model trained from scratch copies names and numbers imperfectly
 * ("take alarmclock 2 from desk 1" where the desk shows "alarmclock 1"); the
 * environment answers such a command with "Nothing happens." and the model,
 * which has never seen its own slip, tends to repeat it. The repaired action
 * is what the trajectory records and what later phases train on. It is off
 * by default: the paper's agents write their actions freely.
 */
import { formatReply, parseReply, type PolicyShape } from "@eto/core"
import { Effect } from "effect"
import { distance } from "fastest-levenshtein"

/** The command word of an action: "go to" for moves, else its first word. */
export const commandOf = (action: string): string => (action.startsWith("go to ") ? "go to" : action.split(" ")[0] ?? "")

/** `action` itself when listed (or nothing is listed), else the nearest listed action with its command word, else `action`. */
export const repairAction = (action: string, available: ReadonlyArray<string> | undefined): string => {
  if (available === undefined || available.length === 0 || available.includes(action)) return action
  const command = commandOf(action)
  let best: string | undefined
  let bestDistance = Infinity
  for (const candidate of available) {
    if (commandOf(candidate) !== command) continue
    const d = distance(action, candidate)
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  return best ?? action
}

/** `policy` with each reply's action repaired against its request's listed actions (replies without an action pass unchanged). */
export const repairingPolicy = (policy: PolicyShape): PolicyShape => ({
  ...policy,
  act: (requests) =>
    Effect.map(policy.act(requests), (replies) =>
      replies.map((reply, i) => {
        const parsed = parseReply(reply)
        if (parsed === undefined) return reply
        const action = repairAction(parsed.action, requests[i]!.availableActions)
        return action === parsed.action ? reply : formatReply(parsed.thought, action)
      }))
})
