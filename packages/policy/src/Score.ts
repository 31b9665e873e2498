/**
 * Scoring conversations: the summed log-prob of each conversation's agent
 * tokens and their number (what DPO's reference terms and `eto policy
 * logprobs` report), computed in batches without gradients. A conversation
 * longer than the context is scored like it is trained on (`renderExamples`):
 * each agent turn with as much of its history as fits.
 */
import { pack } from "./Batch"
import type { Engine } from "./Engine"
import { sequenceLogprobs } from "./Losses"
import { type Dialogue, renderExamples } from "./Render"
import type { Tokenizer } from "./Tokenizer"

export interface Score {
  /** Sum of log p over the agent tokens (nats). */
  readonly logprob: number
  /** Number of agent tokens scored. */
  readonly tokens: number
  /** Whether the conversation was scored turn by turn (longer than the context). */
  readonly split: boolean
}

export const scoreDialogues = (engine: Engine, tokenizer: Tokenizer, dialogues: ReadonlyArray<Dialogue>, batchSize = 8): Array<Score> => {
  const items = dialogues.flatMap((d, owner) => {
    const rs = renderExamples(tokenizer, d, engine.config.nPositions)
    return rs.map((r) => ({ owner, r, split: rs.length > 1 }))
  })
  const logprob = new Float64Array(dialogues.length)
  const tokens = new Float64Array(dialogues.length)
  const split = new Array<boolean>(dialogues.length).fill(false)
  for (let i = 0; i < items.length; i += batchSize) {
    const chunk = items.slice(i, i + batchSize)
    const p = pack(chunk.map((c) => c.r))
    const o = engine.forward(p.batch)
    const sums = sequenceLogprobs(o.logprobs, p.mask, p.batch.B, p.batch.T)
    chunk.forEach((c, b) => {
      let n = 0
      for (let t = 0; t < p.batch.T; t++) n += p.mask[b * p.batch.T + t]!
      logprob[c.owner] = logprob[c.owner]! + sums[b]!
      tokens[c.owner] = tokens[c.owner]! + n
      split[c.owner] = c.split
    })
  }
  return dialogues.map((_, i) => ({ logprob: logprob[i]!, tokens: tokens[i]!, split: split[i]! }))
}
