/**
 * A fixed set of dialogues and a digest of every training window the
 * renderer makes of them (ids and masks, both window modes, several context
 * sizes). The render test compares it with the digest the renderer gave
 * before replies could be marked as context only, so unmarked data is shown
 * to render bit for bit as it did.
 */
import { createHash } from "node:crypto"
import { Random } from "@eto/core"
import type { Dialogue, Rendered } from "../src/Render"
import { type Tokenizer, train } from "../src/Tokenizer"

const WORDS = ["go", "to", "cabinet", "take", "mug", "from", "desk", "open", "fridge", "Nothing", "happens.", "you", "see", "a", "apple", "put", "in/on", "shelf"]

const sentence = (rng: Random.Rng, n: number): string => Array.from({ length: n }, () => rng.pick(WORDS)).join(" ")

/** Dialogues of 0 to 11 turns with texts of varied length, drawn from a fixed seed. */
export const digestDialogues = (): Array<Dialogue> => {
  const rng = Random.make("render-digest-v1")
  return Array.from({ length: 24 }, () => {
    const turns = Array.from({ length: rng.int(12) }, (_, k) => ({
      agent: `Thought: ${sentence(rng, 1 + rng.int(8))}\nAction: ${sentence(rng, 1 + rng.int(4))}`,
      env: k === 0 || rng.next() < 0.9 ? `Observation: ${sentence(rng, 1 + rng.int(30))}` : undefined
    }))
    return {
      instruction: rng.next() < 0.3 ? "" : `Solve the task. ${sentence(rng, 1 + rng.int(20))}`,
      initialObservation: `Your task is to: ${sentence(rng, 2 + rng.int(20))}`,
      turns: turns.map((t, i) => (i === turns.length - 1 ? { agent: t.agent } : t))
    }
  })
}

export const digestTokenizer = (dialogues: ReadonlyArray<Dialogue>): Tokenizer =>
  train(dialogues.flatMap((d) => [d.instruction, d.initialObservation, ...d.turns.flatMap((t) => [t.agent, t.env ?? ""])]), { vocabSize: 300 })

/** SHA-256 over every window of every dialogue, per mode and context size. */
export const renderDigest = (
  renderExamples: (tok: Tokenizer, d: Dialogue, maxTokens: number) => Array<Rendered>,
  renderWindows: (tok: Tokenizer, d: Dialogue, maxTokens: number) => Array<Rendered>
): string => {
  const dialogues = digestDialogues()
  const tok = digestTokenizer(dialogues)
  const h = createHash("sha256")
  for (const maxTokens of [24, 80, 200, 320, 500, 100_000]) {
    for (const d of dialogues) {
      for (const mode of [renderExamples, renderWindows]) {
        for (const r of mode(tok, d, maxTokens)) {
          h.update(`${mode === renderExamples ? "t" : "e"}|${maxTokens}|${r.droppedTurns}|`)
          h.update(Buffer.from(r.ids.buffer, r.ids.byteOffset, r.ids.byteLength))
          h.update(Buffer.from(r.mask.buffer, r.mask.byteOffset, r.mask.byteLength))
        }
      }
    }
  }
  return h.digest("hex")
}
