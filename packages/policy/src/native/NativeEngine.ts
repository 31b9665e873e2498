/**
 * The `native` engine: GPT-2 on our C++ kernels (AVX-512, AVX2 + FMA or
 * portable, chosen at run time) through a Node addon, on a persistent thread
 * pool. Parameters, gradients and AdamW moments live in four blocks that this
 * side reads and writes directly; activations, KV caches and the kernels'
 * scratch live in the addon. See ../../native/README.md.
 */
import type { AdamWOptions, DecodeSession, Engine, ForwardOutputs, GPTConfig, OutputGrads, Params, TokenBatch } from "../Engine"
import { paramShapes } from "../Engine"
import { type EngineHandle, type NativeBinding, NativeEngineError, type SessionHandle } from "./Binding"

export interface NativeEngineOptions {
  /** Threads taking part in each kernel (the caller included); default: os.availableParallelism(). */
  readonly threads?: number | undefined
  /** "avx512", "avx2" or "portable"; default: ETO_NATIVE_ISA, else the best this CPU runs. */
  readonly isa?: string | undefined
}

interface Slot {
  readonly at: number
  readonly shape: Array<number>
  readonly size: number
}

/**
 * Matrices and embeddings first, then vectors, each 64-byte aligned: AdamW
 * decays exactly the prefix [0, nDecay).
 */
const layoutOf = (config: GPTConfig) => {
  const shapes = paramShapes(config)
  const slots = new Map<string, Slot>()
  let at = 0
  let nDecay = 0
  for (const [name, shape] of [...shapes.filter(([, s]) => s.length >= 2), ...shapes.filter(([, s]) => s.length < 2)]) {
    const size = shape.reduce((a, b) => a * b, 1)
    slots.set(name, { at, shape, size })
    at += size
    if (shape.length >= 2) nDecay = at
    at = Math.ceil(at / 16) * 16
  }
  return { slots, nParams: at, nDecay, offsets: Float64Array.from(shapes, ([name]) => slots.get(name)!.at) }
}

const checkConfig = (c: GPTConfig): void => {
  for (const [k, v] of [
    ["vocabSize", c.vocabSize],
    ["nPositions", c.nPositions],
    ["nEmbd", c.nEmbd],
    ["nLayer", c.nLayer],
    ["nHead", c.nHead]
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new NativeEngineError({ message: `config.${k} must be a positive integer, got ${v}` })
  }
  if (c.nEmbd % c.nHead !== 0) {
    throw new NativeEngineError({ message: `config.nEmbd (${c.nEmbd}) must be divisible by config.nHead (${c.nHead})` })
  }
  if (!(c.layerNormEps > 0)) throw new NativeEngineError({ message: `config.layerNormEps must be > 0, got ${c.layerNormEps}` })
}

export class NativeEngine implements Engine {
  readonly name = "native"
  readonly config: GPTConfig
  /** The instruction set the kernels run on. */
  readonly isa: string
  readonly threads: number
  private readonly b: NativeBinding
  private readonly h: EngineHandle
  private readonly slots: Map<string, Slot>
  private readonly blocks: { params: Float32Array; grads: Float32Array; m: Float32Array; v: Float32Array }
  private stepCount = 0
  private readonly sessions = new Set<NativeDecodeSession>()
  private disposed = false

  constructor(binding: NativeBinding, config: GPTConfig, options: NativeEngineOptions & { threads: number }) {
    checkConfig(config)
    if (!Number.isInteger(options.threads) || options.threads < 1 || options.threads > 255) {
      throw new NativeEngineError({ message: `threads must be an integer in [1, 255], got ${options.threads}` })
    }
    this.config = config
    this.b = binding
    this.threads = options.threads
    const { slots, nParams, nDecay, offsets } = layoutOf(config)
    this.slots = slots
    const c = config
    let made: ReturnType<NativeBinding["create"]>
    try {
      made = binding.create(c.vocabSize, c.nPositions, c.nEmbd, c.nLayer, c.nHead, c.layerNormEps, c.valueHead ? 1 : 0, offsets, nParams, nDecay, options.threads, options.isa ?? "")
    } catch (e) {
      throw new NativeEngineError({ message: (e as Error).message })
    }
    this.h = made.handle
    this.isa = made.isa
    this.blocks = { params: new Float32Array(made.params), grads: new Float32Array(made.grads), m: new Float32Array(made.m), v: new Float32Array(made.v) }
  }

  private live(): void {
    if (this.disposed) throw new NativeEngineError({ message: "the native engine was disposed" })
  }

  // -------------------------------------------------------------------------
  // Parameters, gradients, optimizer state

  private read(block: Float32Array): Params {
    const out: Params = new Map()
    for (const [name] of paramShapes(this.config)) {
      const s = this.slots.get(name)!
      out.set(name, { shape: [...s.shape], data: block.slice(s.at, s.at + s.size) })
    }
    return out
  }

  private write(block: Float32Array, params: Params, what: string): void {
    for (const [name, s] of this.slots) {
      const t = params.get(name)
      if (!t) throw new NativeEngineError({ message: `${what}: missing tensor ${name}` })
      if (t.shape.length !== s.shape.length || t.shape.some((d, i) => d !== s.shape[i]) || t.data.length !== s.size) {
        throw new NativeEngineError({
          message: `${what}: ${name} has shape [${t.shape.join(", ")}] (${t.data.length} values), expected [${s.shape.join(", ")}]`
        })
      }
    }
    for (const name of params.keys()) {
      if (!this.slots.has(name)) throw new NativeEngineError({ message: `${what}: unknown tensor ${name} for this config` })
    }
    for (const [name, s] of this.slots) block.set(params.get(name)!.data, s.at)
  }

  getParams(): Params {
    this.live()
    return this.read(this.blocks.params)
  }

  setParams(params: Params): void {
    this.live()
    this.write(this.blocks.params, params, "setParams")
    this.b.paramsChanged(this.h)
  }

  zeroGrad(): void {
    this.live()
    this.b.zeroGrad(this.h)
  }

  getGrads(): Params {
    this.live()
    return this.read(this.blocks.grads)
  }

  getOptimizerState(): { step: number; m: Params; v: Params } {
    this.live()
    return { step: this.stepCount, m: this.read(this.blocks.m), v: this.read(this.blocks.v) }
  }

  setOptimizerState(state: { step: number; m: Params; v: Params }): void {
    this.live()
    if (!Number.isInteger(state.step) || state.step < 0) {
      throw new NativeEngineError({ message: `setOptimizerState: step must be a non-negative integer, got ${state.step}` })
    }
    this.write(this.blocks.m, state.m, "setOptimizerState (m)")
    this.write(this.blocks.v, state.v, "setOptimizerState (v)")
    this.stepCount = state.step
  }

  step(o: AdamWOptions): number {
    this.live()
    for (const [k, v, ok] of [
      ["lr", o.lr, o.lr >= 0],
      ["beta1", o.beta1, o.beta1 >= 0 && o.beta1 < 1],
      ["beta2", o.beta2, o.beta2 >= 0 && o.beta2 < 1],
      ["eps", o.eps, o.eps > 0],
      ["weightDecay", o.weightDecay, o.weightDecay >= 0],
      ["maxGradNorm", o.maxGradNorm, o.maxGradNorm >= 0]
    ] as const) {
      if (!ok) throw new NativeEngineError({ message: `step: invalid AdamW option ${k} = ${v}` })
    }
    const norm = this.b.gradNorm(this.h)
    const clip = o.maxGradNorm > 0 && Number.isFinite(o.maxGradNorm) && norm > o.maxGradNorm
    this.stepCount++
    this.b.adamw(
      this.h,
      o.lr,
      o.beta1,
      o.beta2,
      o.eps,
      o.weightDecay,
      clip ? o.maxGradNorm / (norm + 1e-6) : 1,
      1 - Math.pow(o.beta1, this.stepCount),
      1 - Math.pow(o.beta2, this.stepCount)
    )
    return norm
  }

  // -------------------------------------------------------------------------
  // Forward and backward

  private checkBatch(batch: TokenBatch): void {
    const { B, T, tokens, targets } = batch
    const V = this.config.vocabSize
    if (!Number.isInteger(B) || !Number.isInteger(T) || B < 1 || T < 1) {
      throw new NativeEngineError({ message: `batch: B and T must be positive integers, got B=${B} T=${T}` })
    }
    if (T > this.config.nPositions) throw new NativeEngineError({ message: `batch: T=${T} exceeds the context length ${this.config.nPositions}` })
    for (const [what, arr] of [
      ["tokens", tokens],
      ["targets", targets]
    ] as const) {
      if (arr.length !== B * T) throw new NativeEngineError({ message: `batch: ${what} has ${arr.length} entries, expected B*T=${B * T}` })
    }
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!
      if (t < 0 || t >= V) throw new NativeEngineError({ message: `batch: token ${t} at index ${i} is outside the vocabulary [0, ${V})` })
      const g = targets[i]!
      if (g < -1 || g >= V) throw new NativeEngineError({ message: `batch: target ${g} at index ${i} is outside [-1, ${V})` })
    }
  }

  logits(batch: TokenBatch): Float32Array {
    this.live()
    this.checkBatch(batch)
    return this.b.forward(this.h, batch.tokens, batch.targets, batch.B, batch.T, 1)
  }

  forward(batch: TokenBatch): ForwardOutputs {
    this.live()
    this.checkBatch(batch)
    return this.b.forward(this.h, batch.tokens, batch.targets, batch.B, batch.T, 2)
  }

  forwardBackward(batch: TokenBatch, loss: (outputs: ForwardOutputs) => OutputGrads): { loss: number; outputs: ForwardOutputs } {
    this.live()
    this.checkBatch(batch)
    const N = batch.B * batch.T
    const outputs = this.b.forward(this.h, batch.tokens, batch.targets, batch.B, batch.T, 0)
    const grads = loss(outputs)
    for (const [k, g] of [
      ["dLogprobs", grads.dLogprobs],
      ["dEntropies", grads.dEntropies],
      ["dValues", grads.dValues]
    ] as const) {
      if (g !== undefined && g.length !== N) throw new NativeEngineError({ message: `forwardBackward: ${k} has ${g.length} entries, expected B*T=${N}` })
    }
    this.b.backward(this.h, N, grads.dLogprobs, grads.dEntropies, this.config.valueHead ? grads.dValues : undefined)
    return { loss: grads.loss, outputs }
  }

  // -------------------------------------------------------------------------
  // Decoding

  decoder(B: number, maxLength: number): DecodeSession {
    this.live()
    if (!Number.isInteger(B) || B < 1) throw new NativeEngineError({ message: `decoder: B must be a positive integer, got ${B}` })
    if (!Number.isInteger(maxLength) || maxLength < 1 || maxLength > this.config.nPositions) {
      throw new NativeEngineError({ message: `decoder: maxLength must be in [1, ${this.config.nPositions}], got ${maxLength}` })
    }
    const s = new NativeDecodeSession(this.b, this.b.decoder(this.h, B, maxLength), B, maxLength, this.config.vocabSize, () =>
      this.sessions.delete(s)
    )
    this.sessions.add(s)
    return s
  }

  dispose(): void {
    if (this.disposed) return
    for (const s of [...this.sessions]) s.dispose()
    this.disposed = true
    this.b.dispose(this.h)
  }
}

class NativeDecodeSession implements DecodeSession {
  private readonly lens: Int32Array
  private readonly last: Float32Array
  private disposed = false

  constructor(
    private readonly b: NativeBinding,
    private readonly h: SessionHandle,
    readonly B: number,
    private readonly maxLength: number,
    private readonly V: number,
    private readonly forget: () => void
  ) {
    this.lens = new Int32Array(B)
    this.last = new Float32Array(B * V)
  }

  lengths(): ReadonlyArray<number> {
    return Array.from(this.lens)
  }

  feed(tokens: ReadonlyArray<Int32Array>): Float32Array {
    if (this.disposed) throw new NativeEngineError({ message: "decode session was disposed" })
    if (tokens.length !== this.B) throw new NativeEngineError({ message: `feed: got ${tokens.length} token arrays, expected B=${this.B}` })
    const counts = new Int32Array(this.B)
    let R = 0
    tokens.forEach((t, b) => {
      if (this.lens[b]! + t.length > this.maxLength) {
        throw new NativeEngineError({ message: `feed: sequence ${b} would reach ${this.lens[b]! + t.length} tokens, beyond maxLength ${this.maxLength}` })
      }
      for (const x of t) if (x < 0 || x >= this.V) throw new NativeEngineError({ message: `feed: token ${x} of sequence ${b} is outside [0, ${this.V})` })
      counts[b] = t.length
      R += t.length
    })
    if (R > 0) {
      const flat = new Int32Array(R)
      let at = 0
      for (const t of tokens) {
        flat.set(t, at)
        at += t.length
      }
      this.b.feed(this.h, flat, counts, this.last)
      counts.forEach((n, b) => (this.lens[b] = this.lens[b]! + n))
    }
    return this.last.slice()
  }

  dispose(): void {
    if (this.disposed) return
    this.disposed = true
    this.b.disposeDecoder(this.h)
    this.forget()
  }
}
