/**
 * Supervised fine-tuning on expert conversations: reads FastChat conversation
 * JSONL or trajectory JSONL, trains a byte-level BPE tokenizer when the run
 * has none, renders each conversation with its action mask, and minimises
 * the masked NLL over agent tokens (Eq. 5 of the paper). Progress (loss,
 * tokens/s) goes to a callback; checkpoints are written to `out`, and a run
 * can be resumed from the checkpoint there.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Conversations, DataFileError, InvalidInput, Jsonl, Random, Trajectory } from "@eto/core"
import { Effect, Schema } from "effect"
import { pack as packBatch } from "./Batch"
import * as Checkpoint from "./Checkpoint"
import type { Engine, GPTConfig } from "./Engine"
import { EngineKind, makeEngine } from "./Engines"
import { defaultConfig } from "./Init"
import { type Dialogue, fromMessages, fromTurns, renderTraining } from "./Render"
import * as Tok from "./Tokenizer"
import { BatchOrder, defaultOptim, type Example, OptimConfig, type StepReport, sftLoop } from "./Train"

/** One line of an SFT data file: a FastChat conversation or a trajectory. */
export const SftRecord = Schema.Union([Conversations.ConversationRecord, Trajectory])

/**
 * Reads SFT data. Trajectories carry no instruction prompt, so theirs is
 * `instructionPrompt` (the environment's prompt).
 */
export const loadDialogues = (file: string, instructionPrompt = ""): Effect.Effect<Array<Dialogue>, DataFileError> =>
  Effect.map(Jsonl.readJsonl(SftRecord, file), (records) =>
    records.map((r) => ("conversations" in r ? fromMessages(r.conversations) : fromTurns(instructionPrompt, r.initialObservation, r.turns)))
  )

/** The texts a tokenizer is trained on: every distinct message. */
export const corpusOf = (dialogues: ReadonlyArray<Dialogue>): Array<string> => {
  const seen = new Set<string>()
  for (const d of dialogues) {
    seen.add(d.instruction)
    seen.add(d.initialObservation)
    for (const t of d.turns) {
      seen.add(t.agent)
      if (t.env !== undefined) seen.add(t.env)
    }
  }
  return [...seen].sort()
}

export const SftOptions = Schema.Struct({
  engine: EngineKind,
  /** Optimizer steps; when absent, `epochs` passes over the data. */
  steps: Schema.optionalKey(Schema.Number),
  epochs: Schema.optionalKey(Schema.Number),
  /** Sequences per micro-batch. */
  batchSize: Schema.Number,
  gradAccum: Schema.Number,
  seed: Schema.Number,
  vocabSize: Schema.Number,
  nLayer: Schema.Number,
  nEmbd: Schema.Number,
  nHead: Schema.Number,
  nPositions: Schema.Number,
  optim: OptimConfig,
  /** Write a checkpoint every this many steps (0: only at the end). */
  saveEvery: Schema.Number,
  /** Examples (a seeded sample) on which the loss is measured before and after. */
  evalExamples: Schema.Number,
  /** Training windows (Render.Windows): one per agent turn of a long conversation ("turn", the default) or as few as hold every turn ("episode"). */
  windows: Schema.optionalKey(Schema.Literals(["turn", "episode"])),
  /** Data order (Train.BatchOrder): "shuffle" (the default) or "length" (length-bucketed micro-batches). */
  order: Schema.optionalKey(BatchOrder)
})
export type SftOptions = typeof SftOptions.Type

export const defaultSftOptions = (overrides: Partial<SftOptions> = {}): SftOptions => ({
  engine: "auto",
  epochs: 1,
  batchSize: 8,
  gradAccum: 1,
  seed: 0,
  vocabSize: 2048,
  nLayer: 4,
  nEmbd: 128,
  nHead: 4,
  nPositions: 512,
  optim: defaultOptim(),
  saveEvery: 0,
  evalExamples: 64,
  ...overrides
})

export interface SftResult {
  readonly out: string
  readonly engine: string
  readonly config: GPTConfig
  readonly conversations: number
  /** Training examples (windows; a conversation longer than the context gives several). */
  readonly examples: number
  readonly totalSteps: number
  readonly history: ReadonlyArray<StepReport>
  /** Mean NLL over the agent tokens of the evaluation sample, before and after this run. */
  readonly lossBefore: number
  readonly lossAfter: number
}

const validate = (o: SftOptions): InvalidInput | undefined => {
  const posInt = (v: number) => Number.isInteger(v) && v > 0
  if (!posInt(o.batchSize)) return new InvalidInput({ reason: `--batch must be a positive integer, got ${o.batchSize}` })
  if (!posInt(o.gradAccum)) return new InvalidInput({ reason: `--accum must be a positive integer, got ${o.gradAccum}` })
  if (o.steps !== undefined && !posInt(o.steps)) return new InvalidInput({ reason: `--steps must be a positive integer, got ${o.steps}` })
  if (o.epochs !== undefined && !(o.epochs > 0)) return new InvalidInput({ reason: `--epochs must be positive, got ${o.epochs}` })
  if (!posInt(o.nLayer) || !posInt(o.nEmbd) || !posInt(o.nHead) || !posInt(o.nPositions)) {
    return new InvalidInput({ reason: "--layers, --width, --heads and --context must be positive integers" })
  }
  if (o.nEmbd % o.nHead !== 0) return new InvalidInput({ reason: `--width ${o.nEmbd} is not divisible by --heads ${o.nHead}` })
  if (!(o.optim.lr > 0)) return new InvalidInput({ reason: `--lr must be positive, got ${o.optim.lr}` })
  if (!posInt(o.vocabSize) || o.vocabSize < 256 + Tok.SPECIAL_TOKENS.length) {
    return new InvalidInput({ reason: `--vocab must be at least ${256 + Tok.SPECIAL_TOKENS.length}, got ${o.vocabSize}` })
  }
  return undefined
}

/** Mean masked NLL of examples under the engine (batched, no gradients). */
export const evalLoss = (engine: Engine, examples: ReadonlyArray<Example>, batchSize: number): number => {
  let nll = 0, n = 0
  for (let i = 0; i < examples.length; i += batchSize) {
    const p = packBatch(examples.slice(i, i + batchSize))
    const o = engine.forward(p.batch)
    for (let j = 0; j < p.mask.length; j++) nll -= p.mask[j]! * o.logprobs[j]!
    n += p.maskedTokens
  }
  return n > 0 ? nll / n : 0
}

export interface SftRun {
  readonly data: ReadonlyArray<Dialogue>
  /** Checkpoint directory (written at the end and every `saveEvery` steps). */
  readonly out: string
  readonly options: SftOptions
  /** Continue the run whose checkpoint is in `out`. */
  readonly resume?: boolean
  /** Start from this checkpoint's weights and tokenizer (a fresh run otherwise). */
  readonly init?: string | undefined
  readonly onProgress?: (r: StepReport) => void
  readonly onInfo?: (line: string) => void
  /** Stop after this many steps (the schedule still spans the whole run). */
  readonly stopAfter?: number
}

export const runSft = (run: SftRun): Effect.Effect<SftResult, DataFileError | InvalidInput> =>
  Effect.gen(function*() {
    const bad = validate(run.options)
    if (bad) return yield* Effect.fail(bad)
    if (run.data.length === 0) return yield* Effect.fail(new InvalidInput({ reason: "no training conversations" }))
    const info = run.onInfo ?? (() => {})
    const resumeFrom = run.resume ? run.out : run.init
    const previous = resumeFrom ? yield* Checkpoint.load(resumeFrom) : undefined
    if (run.resume && !previous?.training) {
      return yield* Effect.fail(new DataFileError({ path: path.join(run.out, Checkpoint.FILES.training), reason: "nothing to resume: no training metadata" }))
    }
    // A resumed run keeps the options it was started with (data order, schedule, batch).
    let o = run.options
    if (run.resume && previous?.training) {
      const saved = Schema.decodeUnknownExit(SftOptions)(previous.training.options)
      if (saved._tag === "Failure") {
        return yield* Effect.fail(new DataFileError({ path: path.join(run.out, Checkpoint.FILES.training), reason: "the saved run options cannot be read" }))
      }
      o = { ...saved.value, engine: run.options.engine, saveEvery: run.options.saveEvery }
    }
    let tokenizer: Tok.Tokenizer
    if (previous) tokenizer = previous.tokenizer
    else {
      const t0 = performance.now()
      tokenizer = Tok.train(corpusOf(run.data), { vocabSize: o.vocabSize })
      info(`tokenizer: ${tokenizer.size} tokens trained in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
    }
    for (const s of Tok.SPECIAL_TOKENS) {
      if (!tokenizer.hasSpecial(s)) {
        return yield* Effect.fail(new InvalidInput({ reason: `the tokenizer of ${resumeFrom} lacks the special token ${s}` }))
      }
    }
    const config: GPTConfig = previous
      ? previous.config
      : defaultConfig({ vocabSize: tokenizer.size, nPositions: o.nPositions, nEmbd: o.nEmbd, nLayer: o.nLayer, nHead: o.nHead })
    let split = 0
    const windows = o.windows ?? "turn"
    const examples: Array<Example> = run.data.flatMap((d) => {
      const rs = renderTraining(tokenizer, d, config.nPositions, windows)
      if (rs.length > 1) split++
      return rs.map((r) => ({ ids: r.ids, mask: r.mask }))
    })
    if (split > 0) {
      info(`${split} of ${run.data.length} conversations exceed the ${config.nPositions}-token context: ` +
        `${windows === "turn" ? "one example per agent turn" : "several windows"} for those (${examples.length} examples)`)
    }
    const perStep = o.batchSize * o.gradAccum
    const totalSteps = run.resume && previous?.training
      ? Number((previous.training.options as { totalSteps?: unknown }).totalSteps ?? o.steps)
      : o.steps ?? Math.max(1, Math.ceil(((o.epochs ?? 1) * examples.length) / perStep))
    if (!Number.isInteger(totalSteps) || totalSteps <= 0) return yield* Effect.fail(new InvalidInput({ reason: "cannot tell the run's total steps" }))
    const engine = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: () => makeEngine(o.engine, config, previous?.params, { seed: o.seed }),
        catch: (e) => new InvalidInput({ reason: `cannot start the ${o.engine} engine: ${(e as Error).message}` })
      }),
      (e) => Effect.sync(() => e.dispose())
    )
    {
      const startStep = run.resume && previous?.training ? previous.training.step : 0
      if (run.resume && previous?.optimizer) engine.setOptimizerState(previous.optimizer)
      const history = run.resume && previous?.training ? [...previous.training.history] : []
      info(`engine ${engine.name}; ${examples.length} examples; ${totalSteps} steps of ${perStep} sequences; model ${config.nLayer}x${config.nEmbd}, ${config.nHead} heads, context ${config.nPositions}, vocab ${config.vocabSize}`)
      const evalSet = Random.make(`sft-eval:${o.seed}`).shuffle(examples).slice(0, Math.max(1, o.evalExamples))
      const lossBefore = evalLoss(engine, evalSet, o.batchSize)
      let tokensSeen = run.resume && previous?.training ? previous.training.tokensSeen : 0
      const save = (step: number) =>
        Checkpoint.save(run.out, {
          config,
          params: engine.getParams(),
          tokenizer,
          optimizer: engine.getOptimizerState(),
          training: {
            step,
            microBatches: step * o.gradAccum,
            tokensSeen,
            seed: o.seed,
            engine: engine.name,
            options: { ...Schema.encodeSync(SftOptions)(o), totalSteps },
            history
          }
        })
      const reports: Array<StepReport> = []
      let step = startStep
      const stop = Math.min(totalSteps, run.stopAfter ?? totalSteps)
      while (step < stop) {
        const chunkEnd = o.saveEvery > 0 ? Math.min(stop, (Math.floor(step / o.saveEvery) + 1) * o.saveEvery) : stop
        const r = sftLoop(engine, examples, {
          optim: o.optim,
          batchSize: o.batchSize,
          gradAccum: o.gradAccum,
          seed: o.seed,
          order: o.order ?? "shuffle",
          totalSteps,
          startStep: step,
          stopAfter: chunkEnd,
          onStep: (rep) => {
            tokensSeen += rep.tokens
            history.push({ step: rep.step, loss: rep.loss, lr: rep.lr, gradNorm: rep.gradNorm })
            run.onProgress?.(rep)
          }
        })
        reports.push(...r)
        step = chunkEnd
        yield* save(step)
      }
      if (step === startStep) yield* save(step)
      const lossAfter = evalLoss(engine, evalSet, o.batchSize)
      return { out: run.out, engine: engine.name, config, conversations: run.data.length, examples: examples.length, totalSteps, history: reports, lossBefore, lossAfter }
    }
  }).pipe(Effect.scoped)

/** Whether `dir` holds a checkpoint that can be resumed. */
export const canResume = (dir: string): boolean => fs.existsSync(path.join(dir, Checkpoint.FILES.training))
