/**
 * `eto policy ...`: the learned policy's tools.
 *   train-sft   supervised fine-tuning on expert conversations (JSONL)
 *   generate    the next agent turn for a prompt or for each conversation of a file
 *   logprobs    summed log-prob of each conversation's agent tokens, and their count
 */
import * as fs from "node:fs"
import { Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { DataFileError, InvalidInput, Jsonl } from "@eto/core"
import { Checkpoint, Engines, Generate, Render, Score, Sft, Train } from "@eto/policy"
import * as Flags from "../Flags"
import { Io, println } from "../Io"
import { makeProgress } from "../Progress"

const engineFlag = Flag.Literals("engine", ["auto", "native", "cpu", "tfjs"]).pipe(
  Flag.withDefault("auto" as const),
  Flag.withDescription(Engines.engineHelp)
)
const checkpointFlag = Flag.String("checkpoint").pipe(Flag.withMetavar("dir"), Flag.withDescription("Checkpoint directory"))
const instructionFileFlag = Flag.String("instruction-file").pipe(
  Flag.optional,
  Flag.withMetavar("file"),
  Flag.withDescription("Text file with the instruction prompt (for trajectories and --prompt, which carry none)")
)
const batchFlag = (def: number) => Flag.Int("batch").pipe(Flag.withDefault(def), Flag.withDescription("Sequences per batch"))

const positive = (flag: string, v: number, integer = true) =>
  (integer ? Number.isInteger(v) && v > 0 : Number.isFinite(v) && v > 0)
    ? Effect.void
    : Effect.fail(new InvalidInput({ reason: `--${flag} must be a positive ${integer ? "integer" : "number"} (got ${v})` }))

const readInstruction = (file: Option.Option<string>): Effect.Effect<string, DataFileError> =>
  Option.isNone(file) ? Effect.succeed("") : Jsonl.readText(file.value)

const trainSft = Command.make(
  "train-sft",
  {
    data: Flag.String("data").pipe(Flag.withMetavar("jsonl"), Flag.withDescription("FastChat conversations or trajectories, one JSON per line")),
    out: Flag.String("out").pipe(Flag.withMetavar("dir"), Flag.withDescription("Checkpoint directory to write (HF GPT-2 layout)")),
    engine: engineFlag,
    steps: Flag.Int("steps").pipe(Flag.optional, Flag.withDescription("Optimizer steps (default: from --epochs)")),
    epochs: Flag.Finite("epochs").pipe(Flag.withDefault(1), Flag.withDescription("Passes over the data when --steps is not given")),
    lr: Flag.Finite("lr").pipe(Flag.withDefault(1e-3), Flag.withDescription("Peak learning rate")),
    warmup: Flag.Int("warmup").pipe(Flag.withDefault(10), Flag.withDescription("Linear warmup steps")),
    schedule: Flag.Literals("schedule", ["cosine", "constant"]).pipe(Flag.withDefault("cosine" as const), Flag.withDescription("Learning-rate schedule after warmup")),
    weightDecay: Flag.Finite("weight-decay").pipe(Flag.withDefault(0.01), Flag.withDescription("AdamW weight decay (matrices only)")),
    clip: Flag.Finite("clip").pipe(Flag.withDefault(1), Flag.withDescription("Global gradient-norm clipping (0: off)")),
    batch: batchFlag(8),
    accum: Flag.Int("accum").pipe(Flag.withDefault(1), Flag.withDescription("Micro-batches per optimizer step (gradient accumulation)")),
    seed: Flags.seed,
    vocab: Flag.Int("vocab").pipe(Flag.withDefault(2048), Flag.withDescription("Tokenizer vocabulary size (bytes and special tokens included)")),
    layers: Flag.Int("layers").pipe(Flag.withDefault(4), Flag.withDescription("Transformer blocks")),
    width: Flag.Int("width").pipe(Flag.withDefault(128), Flag.withDescription("Model width (n_embd)")),
    heads: Flag.Int("heads").pipe(Flag.withDefault(4), Flag.withDescription("Attention heads")),
    context: Flag.Int("context").pipe(Flag.withDefault(512), Flag.withDescription("Context length in tokens")),
    saveEvery: Flag.Int("save-every").pipe(Flag.withDefault(0), Flag.withDescription("Write the checkpoint every N steps (0: at the end)")),
    resume: Flag.Boolean("resume").pipe(Flag.withDefault(false), Flag.withDescription("Continue the run whose checkpoint is in --out")),
    init: Flag.String("init").pipe(Flag.optional, Flag.withMetavar("dir"), Flag.withDescription("Start from this checkpoint's weights and tokenizer")),
    instructionFile: instructionFileFlag,
    json: Flags.json
  },
  (f) =>
    Effect.gen(function*() {
      const io = yield* Io
      if (f.steps._tag === "Some") yield* positive("steps", f.steps.value)
      yield* positive("epochs", f.epochs, false)
      yield* positive("batch", f.batch)
      yield* positive("accum", f.accum)
      if (f.warmup < 0) return yield* Effect.fail(new InvalidInput({ reason: `--warmup must be at least 0 (got ${f.warmup})` }))
      if (f.saveEvery < 0) return yield* Effect.fail(new InvalidInput({ reason: `--save-every must be at least 0 (got ${f.saveEvery})` }))
      if (f.resume && Option.isSome(f.init)) return yield* Effect.fail(new InvalidInput({ reason: "--resume and --init exclude each other" }))
      const instruction = yield* readInstruction(f.instructionFile)
      const data = yield* Sft.loadDialogues(f.data, instruction)
      if (data.length === 0) return yield* Effect.fail(new DataFileError({ path: f.data, reason: "no training conversations in the file" }))
      const options = Sft.defaultSftOptions({
        engine: f.engine,
        ...(Option.isSome(f.steps) ? { steps: f.steps.value } : { epochs: f.epochs }),
        batchSize: f.batch,
        gradAccum: f.accum,
        seed: f.seed,
        vocabSize: f.vocab,
        nLayer: f.layers,
        nEmbd: f.width,
        nHead: f.heads,
        nPositions: f.context,
        optim: Train.defaultOptim({ lr: f.lr, warmupSteps: f.warmup, schedule: f.schedule, weightDecay: f.weightDecay, maxGradNorm: f.clip }),
        saveEvery: f.saveEvery
      })
      let progress: ReturnType<typeof makeProgress> | undefined
      let tokens = 0, seconds = 0, last = NaN
      const result = yield* Sft.runSft({
        data,
        out: f.out,
        options,
        resume: f.resume,
        init: Option.getOrUndefined(f.init),
        onInfo: (line) => io.writeErr(`${line}\n`),
        onProgress: (r) => {
          progress ??= makeProgress(io, "train-sft", r.totalSteps)
          tokens += r.tokens
          seconds += r.tokens / r.tokensPerSecond
          last = r.loss
          progress.update(r.step, `loss ${r.loss.toFixed(3)} ${Math.round(r.tokensPerSecond)} tok/s`)
        }
      })
      const tps = seconds > 0 ? tokens / seconds : 0
      progress?.finish(`train-sft: ${result.history.length} steps, last loss ${last.toFixed(3)}, ${Math.round(tps)} tok/s`)
      const summary = {
        checkpoint: result.out,
        engine: result.engine,
        conversations: result.conversations,
        examples: result.examples,
        steps: result.totalSteps,
        loss_before: result.lossBefore,
        loss_after: result.lossAfter,
        tokens_per_second: tps
      }
      if (f.json) yield* println(JSON.stringify(summary))
      else {
        yield* println(`checkpoint   ${summary.checkpoint}`)
        yield* println(`engine       ${summary.engine}`)
        yield* println(`data         ${summary.conversations} conversations (${summary.examples} examples), ${summary.steps} steps`)
        yield* println(`agent NLL    ${summary.loss_before.toFixed(4)} -> ${summary.loss_after.toFixed(4)}`)
        yield* println(`throughput   ${Math.round(tps)} tokens/s`)
      }
    })
).pipe(Command.withDescription("Train a GPT-2 policy on expert conversations (loss on agent tokens only)"))

const generateCmd = Command.make(
  "generate",
  {
    checkpoint: checkpointFlag,
    prompt: Flag.String("prompt").pipe(Flag.optional, Flag.withDescription("A task (first observation); the next agent turn is generated")),
    input: Flag.String("input").pipe(
      Flag.optional,
      Flag.withMetavar("jsonl"),
      Flag.withDescription("Conversations: the next agent turn of each (a trailing agent turn is regenerated and shown as the reference)")
    ),
    instructionFile: instructionFileFlag,
    engine: engineFlag,
    maxTokens: Flag.Int("max-tokens").pipe(Flag.withDefault(128), Flag.withDescription("Most tokens per reply")),
    temperature: Flag.Finite("temperature").pipe(Flag.withDefault(0), Flag.withDescription("0: greedy")),
    topP: Flag.Finite("top-p").pipe(Flag.withDefault(1), Flag.withDescription("Nucleus sampling mass")),
    seed: Flags.seed,
    batch: batchFlag(8),
    json: Flags.json
  },
  (f) =>
    Effect.gen(function*() {
      if (Option.isSome(f.prompt) === Option.isSome(f.input)) {
        return yield* Effect.fail(new InvalidInput({ reason: "give exactly one of --prompt and --input" }))
      }
      yield* positive("max-tokens", f.maxTokens)
      yield* positive("batch", f.batch)
      if (f.temperature < 0) return yield* Effect.fail(new InvalidInput({ reason: `--temperature must be at least 0 (got ${f.temperature})` }))
      if (!(f.topP > 0 && f.topP <= 1)) return yield* Effect.fail(new InvalidInput({ reason: `--top-p must be in (0, 1] (got ${f.topP})` }))
      const instruction = yield* readInstruction(f.instructionFile)
      let items: Array<{ id: string; dialogue: Render.Dialogue; reference?: string }>
      if (Option.isSome(f.prompt)) items = [{ id: "prompt", dialogue: { instruction, initialObservation: f.prompt.value, turns: [] } }]
      else {
        const records = yield* Jsonl.readJsonl(Sft.SftRecord, Option.getOrElse(f.input, () => ""))
        items = records.map((r, i) => {
          const d = "conversations" in r ? Render.fromMessages(r.conversations) : Render.fromTurns(instruction, r.initialObservation, r.turns)
          const id = "conversations" in r ? String(r.id) : r.task.id || String(i)
          const last = d.turns[d.turns.length - 1]
          return last && last.env === undefined
            ? { id, dialogue: { ...d, turns: d.turns.slice(0, -1) }, reference: last.agent }
            : { id, dialogue: d }
        })
      }
      const ckpt = yield* Checkpoint.load(f.checkpoint)
      const engine = yield* Effect.acquireRelease(
        Effect.tryPromise({
          try: () => Engines.makeEngine(f.engine, ckpt.config, ckpt.params),
          catch: (e) => new InvalidInput({ reason: `cannot start the ${f.engine} engine: ${(e as Error).message}` })
        }),
        (e) => Effect.sync(() => e.dispose())
      )
      for (let i = 0; i < items.length; i += f.batch) {
        const chunk = items.slice(i, i + f.batch)
        const texts = yield* Effect.try({
          try: () =>
            Generate.nextTurns(engine, ckpt.tokenizer, chunk.map((c) => c.dialogue), {
              maxTokens: f.maxTokens,
              temperature: f.temperature,
              topP: f.topP,
              seed: f.seed + i
            }),
          catch: (e) => new InvalidInput({ reason: `${f.checkpoint}: ${(e as Error).message}` })
        })
        for (let j = 0; j < chunk.length; j++) {
          const c = chunk[j]!
          if (f.json) yield* println(JSON.stringify({ id: c.id, output: texts[j], ...(c.reference === undefined ? {} : { reference: c.reference }) }))
          else {
            if (items.length > 1) yield* println(`# ${c.id}`)
            yield* println(texts[j]!)
            if (c.reference !== undefined) yield* println(`# reference\n${c.reference}`)
          }
        }
      }
    }).pipe(Effect.scoped)
).pipe(Command.withDescription("Generate the next agent turn (\"Thought: ...\\nAction: ...\") with a checkpoint"))

const logprobsCmd = Command.make(
  "logprobs",
  {
    checkpoint: checkpointFlag,
    input: Flag.String("input").pipe(Flag.withMetavar("jsonl"), Flag.withDescription("Conversations or trajectories")),
    instructionFile: instructionFileFlag,
    engine: engineFlag,
    batch: batchFlag(8),
    json: Flags.json
  },
  (f) =>
    Effect.gen(function*() {
      yield* positive("batch", f.batch)
      const instruction = yield* readInstruction(f.instructionFile)
      const records = yield* Jsonl.readJsonl(Sft.SftRecord, f.input)
      const ckpt = yield* Checkpoint.load(f.checkpoint)
      const dialogues = records.map((r) => ("conversations" in r ? Render.fromMessages(r.conversations) : Render.fromTurns(instruction, r.initialObservation, r.turns)))
      const engine = yield* Effect.acquireRelease(
        Effect.tryPromise({
          try: () => Engines.makeEngine(f.engine, ckpt.config, ckpt.params),
          catch: (e) => new InvalidInput({ reason: `cannot start the ${f.engine} engine: ${(e as Error).message}` })
        }),
        (e) => Effect.sync(() => e.dispose())
      )
      const scores = Score.scoreDialogues(engine, ckpt.tokenizer, dialogues, f.batch)
      for (let i = 0; i < records.length; i++) {
        const r = records[i]!
        const id = "conversations" in r ? String(r.id) : r.task.id
        const s = scores[i]!
        if (f.json) yield* println(JSON.stringify({ id, logprob: s.logprob, tokens: s.tokens, turn_by_turn: s.split }))
        else yield* println(`${id}\t${s.logprob.toFixed(4)}\t${s.tokens}`)
      }
    }).pipe(Effect.scoped)
).pipe(Command.withDescription("Summed log-prob of each conversation's agent tokens and their count (tab-separated, or JSON lines)"))

export const policyCommand = Command.make("policy").pipe(
  Command.withDescription("Train, sample and score the GPT-2 policy"),
  Command.withSubcommands([trainSft, generateCmd, logprobsCmd])
)

/** Whether a path names an existing checkpoint directory (for other commands' checks). */
export const isCheckpointDir = (dir: string): boolean => fs.existsSync(`${dir}/${Checkpoint.FILES.config}`)
