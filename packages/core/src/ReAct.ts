/**
 * The ReAct reply format: "Thought: ...\nAction: ...". As in the ETO harness,
 * everything after the first "Action: " (multi-line) is the action.
 */

export const FORMAT_ERROR_OBSERVATION = "Invalid format. The input must contains 'Action: '"

export interface AgentReply {
  readonly thought: string
  readonly action: string
}

/** Parses an agent reply; `undefined` when it has no "Action: ". */
export const parseReply = (text: string): AgentReply | undefined => {
  const at = text.indexOf("Action: ")
  if (at < 0) return undefined
  const head = text.slice(0, at)
  const thoughtAt = head.indexOf("Thought:")
  const thought = (thoughtAt >= 0 ? head.slice(thoughtAt + "Thought:".length) : head).trim()
  return { thought, action: text.slice(at + "Action: ".length).trim() }
}

/** Renders a turn the way the agent writes it. */
export const formatReply = (thought: string, action: string): string => `Thought: ${thought}\nAction: ${action}`
