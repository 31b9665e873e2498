/**
 * Checkpoints: directories in the Hugging Face GPT-2 layout, so that
 * `GPT2LMHeadModel.from_pretrained(dir)` and `PreTrainedTokenizerFast`
 * read them, plus our own files:
 *   config.json          GPT2Config fields (+ `eto_value_head`)
 *   model.safetensors    HF GPT-2 names and shapes, F32, metadata format=pt
 *   tokenizer.json       byte-level BPE (see Tokenizer.ts)
 *   optimizer.safetensors  AdamW moments `m.<name>` / `v.<name>`, step in the metadata
 *   training.json        training progress (TrainingMeta)
 * Writes go to a temporary sibling directory that is then renamed into place.
 * Reading accepts GPT-2 files as published: names with or without the
 * `transformer.` prefix, an `lm_head.weight` copy of the embeddings and the
 * `attn.bias` / `attn.masked_bias` buffers are all accepted (and ignored).
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { DataFileError, describeSchemaError } from "@eto/core"
import { Effect, Result, Schema } from "effect"
import type { GPTConfig, Params } from "./Engine"
import { paramShapes } from "./Engine"
import * as Safetensors from "./Safetensors"
import { fromJSON, SPECIAL, type Tokenizer } from "./Tokenizer"

export const FILES = {
  config: "config.json",
  model: "model.safetensors",
  tokenizer: "tokenizer.json",
  optimizer: "optimizer.safetensors",
  training: "training.json"
} as const

/** A whole number in [1, max]. */
const Count = (max: number) => Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: max }))

export const HfConfig = Schema.Struct({
  model_type: Schema.Literal("gpt2"),
  vocab_size: Count(1 << 20),
  n_positions: Count(1 << 20),
  n_embd: Count(1 << 16),
  n_layer: Count(1 << 10),
  n_head: Count(1 << 10),
  n_inner: Schema.optionalKey(Schema.NullOr(Count(1 << 18))),
  layer_norm_epsilon: Schema.optionalKey(Schema.Finite.check(Schema.isGreaterThan(0))),
  activation_function: Schema.optionalKey(Schema.Literals(["gelu_new", "gelu_pytorch_tanh"])),
  tie_word_embeddings: Schema.optionalKey(Schema.Boolean),
  eto_value_head: Schema.optionalKey(Schema.Boolean)
})

/** Training progress stored beside the weights. */
export const TrainingMeta = Schema.Struct({
  /** Optimizer steps taken. */
  step: Schema.Number,
  /** Micro-batches consumed (data order position). */
  microBatches: Schema.Number,
  tokensSeen: Schema.Number,
  seed: Schema.Number,
  engine: Schema.String,
  /** The options the run was started with (free-form, for the record). */
  options: Schema.Record(Schema.String, Schema.Unknown),
  history: Schema.Array(Schema.Struct({ step: Schema.Number, loss: Schema.Number, lr: Schema.Number, gradNorm: Schema.Number }))
})
export type TrainingMeta = typeof TrainingMeta.Type

export interface OptimizerState {
  readonly step: number
  readonly m: Params
  readonly v: Params
}

export interface Checkpoint {
  readonly config: GPTConfig
  readonly params: Params
  readonly tokenizer: Tokenizer
  readonly optimizer?: OptimizerState | undefined
  readonly training?: TrainingMeta | undefined
}

const fail = (file: string, reason: string) => new DataFileError({ path: file, reason })

export const hfConfigJson = (c: GPTConfig, tok: Tokenizer | undefined): Record<string, unknown> => {
  const eot = tok?.hasSpecial(SPECIAL.eot) ? tok.special(SPECIAL.eot) : c.vocabSize - 1
  return {
    architectures: ["GPT2LMHeadModel"],
    model_type: "gpt2",
    vocab_size: c.vocabSize,
    n_positions: c.nPositions,
    n_ctx: c.nPositions,
    n_embd: c.nEmbd,
    n_layer: c.nLayer,
    n_head: c.nHead,
    n_inner: null,
    activation_function: "gelu_new",
    layer_norm_epsilon: c.layerNormEps,
    resid_pdrop: 0,
    embd_pdrop: 0,
    attn_pdrop: 0,
    initializer_range: 0.02,
    scale_attn_weights: true,
    use_cache: true,
    tie_word_embeddings: true,
    bos_token_id: eot,
    eos_token_id: eot,
    torch_dtype: "float32",
    eto_value_head: c.valueHead
  }
}

/** Parses a GPT2Config JSON into our config; only the architecture we implement is accepted. */
export const configFromJson = (json: unknown, file: string): GPTConfig => {
  const decoded = Schema.decodeUnknownResult(HfConfig)(json)
  if (Result.isFailure(decoded)) throw fail(file, `not a GPT-2 config: ${describeSchemaError(decoded.failure)}`)
  const j = decoded.success
  if (j.n_inner !== undefined && j.n_inner !== null && j.n_inner !== 4 * j.n_embd) {
    throw fail(file, `n_inner ${j.n_inner} is not 4 * n_embd`)
  }
  if (j.tie_word_embeddings === false) throw fail(file, "untied LM heads are not supported")
  if (j.n_embd % j.n_head !== 0) throw fail(file, `n_embd ${j.n_embd} is not divisible by n_head ${j.n_head}`)
  return {
    vocabSize: j.vocab_size,
    nPositions: j.n_positions,
    nEmbd: j.n_embd,
    nLayer: j.n_layer,
    nHead: j.n_head,
    layerNormEps: j.layer_norm_epsilon ?? 1e-5,
    valueHead: j.eto_value_head ?? false
  }
}

/** Our parameter name for a tensor name found in a GPT-2 file (undefined: ignore it). */
const canonicalName = (name: string): string | undefined => {
  if (name === "lm_head.weight") return undefined
  if (/(^|\.)attn\.(bias|masked_bias)$/.test(name)) return undefined
  if (name.startsWith("v_head.")) return name
  return name.startsWith("transformer.") ? name : `transformer.${name}`
}

/** Model weights from safetensors bytes, checked against the config. */
export const paramsFromSafetensors = (buf: Uint8Array, config: GPTConfig, file: string): Params => {
  let tensors: Params
  try {
    tensors = Safetensors.decode(buf).tensors
  } catch (e) {
    throw fail(file, (e as Error).message)
  }
  const byName: Params = new Map()
  for (const [name, t] of tensors) {
    const c = canonicalName(name)
    if (c !== undefined) byName.set(c, t)
  }
  const out: Params = new Map()
  for (const [name, shape] of paramShapes(config)) {
    const t = byName.get(name)
    if (!t) throw fail(file, `missing tensor ${name}`)
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw fail(file, `tensor ${name} has shape [${t.shape.join(", ")}], config needs [${shape.join(", ")}]`)
    }
    const bad = t.data.findIndex((x) => !Number.isFinite(x))
    if (bad >= 0) throw fail(file, `tensor ${name} holds a non-finite value (${t.data[bad]}) at index ${bad}`)
    out.set(name, t)
  }
  return out
}

export const modelSafetensors = (config: GPTConfig, params: Params): Uint8Array => {
  const ordered: Params = new Map()
  for (const [name, shape] of paramShapes(config)) {
    const t = params.get(name)
    if (!t) throw new Error(`missing parameter ${name}`)
    ordered.set(name, { shape, data: t.data })
  }
  return Safetensors.encode(ordered, { format: "pt" })
}

const optimizerSafetensors = (config: GPTConfig, o: OptimizerState): Uint8Array => {
  const all: Params = new Map()
  for (const [name, shape] of paramShapes(config)) {
    all.set(`m.${name}`, { shape, data: o.m.get(name)!.data })
    all.set(`v.${name}`, { shape, data: o.v.get(name)!.data })
  }
  return Safetensors.encode(all, { format: "pt", step: String(o.step) })
}

const readOptimizer = (buf: Uint8Array, config: GPTConfig, file: string): OptimizerState => {
  let decoded: ReturnType<typeof Safetensors.decode>
  try {
    decoded = Safetensors.decode(buf)
  } catch (e) {
    throw fail(file, (e as Error).message)
  }
  const step = Number(decoded.metadata.step)
  if (!Number.isInteger(step) || step < 0) throw fail(file, "metadata lacks a step count")
  const m: Params = new Map(), v: Params = new Map()
  for (const [name, shape] of paramShapes(config)) {
    for (const [which, into] of [["m", m], ["v", v]] as const) {
      const t = decoded.tensors.get(`${which}.${name}`)
      if (!t || t.data.length !== shape.reduce((a, b) => a * b, 1)) throw fail(file, `missing or misshapen ${which}.${name}`)
      into.set(name, { shape, data: t.data })
    }
  }
  return { step, m, v }
}

const readJson = (file: string): unknown => {
  let text: string
  try {
    text = fs.readFileSync(file, "utf8")
  } catch (e) {
    throw fail(file, (e as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : `cannot read: ${String(e)}`)
  }
  try {
    return JSON.parse(text)
  } catch (e) {
    throw fail(file, `invalid JSON: ${(e as Error).message}`)
  }
}

/** Reads a checkpoint directory (synchronously; throws DataFileError). */
export const loadSync = (dir: string): Checkpoint => {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw fail(dir, "checkpoint directory not found")
  const configFile = path.join(dir, FILES.config)
  const config = configFromJson(readJson(configFile), configFile)
  const modelFile = path.join(dir, FILES.model)
  if (!fs.existsSync(modelFile)) throw fail(modelFile, "file not found")
  const params = paramsFromSafetensors(new Uint8Array(fs.readFileSync(modelFile)), config, modelFile)
  const tokFile = path.join(dir, FILES.tokenizer)
  let tokenizer: Tokenizer
  try {
    tokenizer = fromJSON(readJson(tokFile))
  } catch (e) {
    if (e instanceof DataFileError) throw e
    throw fail(tokFile, (e as Error).message)
  }
  if (tokenizer.size > config.vocabSize) throw fail(tokFile, `${tokenizer.size} tokens but the model has ${config.vocabSize}`)
  const optFile = path.join(dir, FILES.optimizer)
  const optimizer = fs.existsSync(optFile) ? readOptimizer(new Uint8Array(fs.readFileSync(optFile)), config, optFile) : undefined
  const trainFile = path.join(dir, FILES.training)
  let training: TrainingMeta | undefined
  if (fs.existsSync(trainFile)) {
    const decoded = Schema.decodeUnknownResult(TrainingMeta)(readJson(trainFile))
    if (Result.isFailure(decoded)) throw fail(trainFile, `bad training metadata: ${describeSchemaError(decoded.failure)}`)
    training = decoded.success
  }
  return { config, params, tokenizer, optimizer, training }
}

/** Writes a checkpoint directory atomically (synchronously). */
export const saveSync = (dir: string, ckpt: Checkpoint): void => {
  const parent = path.dirname(path.resolve(dir))
  fs.mkdirSync(parent, { recursive: true })
  const tmp = fs.mkdtempSync(path.join(parent, `.${path.basename(dir)}.tmp-`))
  try {
    fs.writeFileSync(path.join(tmp, FILES.config), JSON.stringify(hfConfigJson(ckpt.config, ckpt.tokenizer), null, 2) + "\n")
    fs.writeFileSync(path.join(tmp, FILES.model), modelSafetensors(ckpt.config, ckpt.params))
    fs.writeFileSync(path.join(tmp, FILES.tokenizer), JSON.stringify(ckpt.tokenizer.toJSON()))
    if (ckpt.optimizer) fs.writeFileSync(path.join(tmp, FILES.optimizer), optimizerSafetensors(ckpt.config, ckpt.optimizer))
    if (ckpt.training) {
      fs.writeFileSync(path.join(tmp, FILES.training), JSON.stringify(Schema.encodeSync(TrainingMeta)(ckpt.training), null, 2) + "\n")
    }
    if (fs.existsSync(dir)) {
      const old = `${tmp}.old`
      fs.renameSync(dir, old)
      fs.renameSync(tmp, dir)
      fs.rmSync(old, { recursive: true, force: true })
    } else fs.renameSync(tmp, dir)
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true })
    throw e
  }
}

export const load = (dir: string): Effect.Effect<Checkpoint, DataFileError> =>
  Effect.try({
    try: () => loadSync(dir),
    catch: (e) => (e instanceof DataFileError ? e : fail(dir, String((e as Error).message ?? e)))
  })

export const save = (dir: string, ckpt: Checkpoint): Effect.Effect<void, DataFileError> =>
  Effect.try({
    try: () => saveSync(dir, ckpt),
    catch: (e) => (e instanceof DataFileError ? e : fail(dir, `cannot write checkpoint: ${String((e as Error).message ?? e)}`))
  })
