/**
 * Scoring conversations: the summed log-prob of each conversation's agent
 * tokens and their number (what DPO's reference terms and `eto policy
 * logprobs` report), computed in batches without gradients.
 */
import { pack } from "./Batch"
import type { Engine } from "./Engine"
import { sequenceLogprobs } from "./Losses"
import { type Dialogue, render } from "./Render"
import type { Tokenizer } from "./Tokenizer"

export interface Score {
  /** Sum of log p over the agent tokens (nats). */
  readonly logprob: number
  /** Number of agent tokens scored. */
  readonly tokens: number
  /** Turns dropped to fit the context. */
  readonly droppedTurns: number
}

export const scoreDialogues = (engine: Engine, tokenizer: Tokenizer, dialogues: ReadonlyArray<Dialogue>, batchSize = 8): Array<Score> => {
  const out: Array<Score> = []
  for (let i = 0; i < dialogues.length; i += batchSize) {
    const rendered = dialogues.slice(i, i + batchSize).map((d) => render(tokenizer, d, engine.config.nPositions))
    const p = pack(rendered)
    const o = engine.forward(p.batch)
    const sums = sequenceLogprobs(o.logprobs, p.mask, p.batch.B, p.batch.T)
    rendered.forEach((r, b) => {
      let n = 0
      for (let t = 0; t < p.batch.T; t++) n += p.mask[b * p.batch.T + t]!
      out.push({ logprob: sums[b]!, tokens: n, droppedTurns: r.droppedTurns })
    })
  }
  return out
}
