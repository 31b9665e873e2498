/**
 * SFT on WebShop expert conversations, the way a ci-scale experiment trains
 * its model, in several settings side by side: one epoch over the same
 * conversations per setting, timed. Reports the tokens that carry loss
 * (agent targets) per second and the SFT wall time per 1,000 expert
 * conversations (one epoch), so settings compare by what they cost per
 * conversation learned, not per token processed.
 */
import { type EnvironmentShape, rollout } from "@eto/core"
import * as ModelView from "@eto/envs/webshop/ModelView"
import { loadSync } from "@eto/envs/webshop/index"
import { SEP } from "@eto/envs/webshop/Session"
import { type EngineKind, makeEngine, Render, Sft, Tokenizer, Train } from "@eto/policy"
import { defaultConfig } from "@eto/policy/Init"
import { Effect } from "effect"
import { dialogueOf, type ModelSettings } from "../packages/strategies/src/Training"

export interface WindowSetting {
  readonly name: string
  /** The WebShop view's piece separator: " [SEP] " as the pages write it, or the view's line breaks. */
  readonly separator: "sep" | "lines"
  readonly repeatedObservations: ModelSettings["repeatedObservations"]
  readonly windows: Render.Windows
  readonly order: Train.BatchOrder
  readonly nPositions: number
}

/** Today's ci training (before), the new view alone, and the new view with episode windows (after). */
export const SETTINGS = (afterContext: number): ReadonlyArray<WindowSetting> => [
  { name: "before", separator: "sep", repeatedObservations: "keep", windows: "turn", order: "shuffle", nPositions: 384 },
  { name: "view", separator: "lines", repeatedObservations: "mark", windows: "turn", order: "shuffle", nPositions: 384 },
  { name: "after", separator: "lines", repeatedObservations: "mark", windows: "episode", order: "length", nPositions: afterContext }
]

/** The ci model (3 layers, width 96, vocabulary 1024, the WebShop view with a 400-character budget, replies as actions). */
const ciModel = (s: WindowSetting): ModelSettings => ({
  nLayer: 3,
  nEmbd: 96,
  nHead: 4,
  nPositions: s.nPositions,
  vocabSize: 1024,
  engine: "auto",
  maxReplyTokens: 40,
  maxObservationChars: 400,
  instructionPrompt: "none",
  thoughts: "none",
  noRepeatNgram: 3,
  windows: s.windows,
  repeatedObservations: s.repeatedObservations
})

export const runWindowBench = async (o: { readonly conversations: number; readonly engine: EngineKind; readonly afterContext: number; readonly batchSize: number }) => {
  const env = loadSync()
  const tasks = (await Effect.runPromise(env.tasks("train"))).slice(0, o.conversations)
  const expert = await Effect.runPromise(rollout(env, env.expert(0), tasks, { source: { kind: "expert" } }))
  const lines: Array<Record<string, unknown>> = []
  for (const s of SETTINGS(o.afterContext)) {
    const view: EnvironmentShape = s.separator === "sep"
      ? { ...env, compactObservation: (page: string, budget: number) => ModelView.compactObservation(page, budget, SEP) } as EnvironmentShape
      : env
    const m = ciModel(s)
    const dialogues = expert.map((e) => dialogueOf(view, m, e.initialObservation, e.turns))
    const tok = Tokenizer.train(Sft.corpusOf(dialogues), { vocabSize: m.vocabSize })
    const examples = dialogues.flatMap((d) => Render.renderTraining(tok, d, m.nPositions, s.windows)).map((r) => ({ ids: r.ids, mask: r.mask }))
    const config = defaultConfig({ vocabSize: tok.size, nPositions: m.nPositions, nEmbd: m.nEmbd, nLayer: m.nLayer, nHead: m.nHead })
    const engine = await makeEngine(o.engine, config, undefined, { seed: 1 })
    const totalSteps = Math.ceil(examples.length / o.batchSize)
    let lossTokens = 0, positions = 0, tokens = 0
    const t0 = performance.now()
    Train.sftLoop(engine, examples, {
      optim: Train.defaultOptim({ lr: 5e-3 }),
      batchSize: o.batchSize,
      gradAccum: 1,
      seed: 1,
      order: s.order,
      totalSteps,
      startStep: 0,
      onStep: (r) => {
        lossTokens += r.lossTokens
        positions += r.paddedTokens
        tokens += r.tokens
      }
    })
    const seconds = (performance.now() - t0) / 1000
    engine.dispose()
    lines.push({
      bench: "sft-windows",
      setting: s.name,
      engine: engine.name,
      model: "3x96, vocab 1024",
      separator: s.separator,
      repeatedObservations: s.repeatedObservations,
      windows: s.windows,
      order: s.order,
      context: s.nPositions,
      conversations: dialogues.length,
      examples: examples.length,
      positions,
      tokens,
      lossTokens,
      lossShare: lossTokens / positions,
      seconds,
      lossTokensPerSecond: lossTokens / seconds,
      sftSecondsPer1000Conversations: (seconds * 1000) / dialogues.length
    })
  }
  const before = lines[0]!, after = lines[lines.length - 1]!
  lines.push({
    bench: "sft-windows-ratio",
    of: "after / before",
    lossTokensPerSecond: (after.lossTokensPerSecond as number) / (before.lossTokensPerSecond as number),
    sftSpeedupPer1000Conversations: (before.sftSecondsPer1000Conversations as number) / (after.sftSecondsPer1000Conversations as number),
    positionsPerConversation: (after.positions as number) / (before.positions as number)
  })
  return lines
}
