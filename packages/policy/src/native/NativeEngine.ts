/**
 * The `native` engine: GPT-2 on our C++ kernels (AVX-512, AVX2 + FMA or
 * portable, chosen at run time) through a Node addon, on a persistent thread
 * pool. Parameters, gradients and AdamW moments live in four blocks that this
 * side reads and writes directly; activations, KV caches and the kernels'
 * scratch live in the addon. See ../../native/README.md.
 */
import type { AdamWOptions, DecodeSession, Engine, ForwardOutputs, GPTConfig, OutputGrads, Params, TokenBatch } from "../Engine"
import { paramShapes } from "../Engine"
import { checkAdamW, checkBatch, checkConfig, checkDecoder, checkFeed, checkOptimizerStep, checkOutputGrads } from "../EngineChecks"
import { blockLayout, readBlock, type Slot, writeBlock } from "../ParamBlock"
import { type EngineHandle, type NativeBinding, NativeEngineError, type SessionHandle } from "./Binding"

export interface NativeEngineOptions {
  /** Threads taking part in each kernel (the caller included); default: os.availableParallelism(). */
  readonly threads?: number | undefined
  /** "avx512", "avx2" or "portable"; default: ETO_NATIVE_ISA, else the best this CPU runs. */
  readonly isa?: string | undefined
}

/** The parameter block's layout, plus each tensor's offset in `paramShapes` order (the addon's view of it). */
const layoutOf = (config: GPTConfig) => {
  const { slots, nParams, nDecay } = blockLayout(config)
  return { slots, nParams, nDecay, offsets: Float64Array.from(paramShapes(config), ([name]) => slots.get(name)!.at) }
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
    checkConfig(config, NativeEngineError)
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
    return readBlock(this.config, this.slots, block, 0)
  }

  private write(block: Float32Array, params: Params, what: string): void {
    writeBlock(this.slots, block, 0, params, what, NativeEngineError)
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
    checkOptimizerStep(state.step, NativeEngineError)
    this.write(this.blocks.m, state.m, "setOptimizerState (m)")
    this.write(this.blocks.v, state.v, "setOptimizerState (v)")
    this.stepCount = state.step
  }

  step(o: AdamWOptions): number {
    this.live()
    checkAdamW(o, NativeEngineError)
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

  logits(batch: TokenBatch): Float32Array {
    this.live()
    checkBatch(this.config, batch, NativeEngineError)
    return this.b.forward(this.h, batch.tokens, batch.targets, batch.B, batch.T, 1)
  }

  forward(batch: TokenBatch): ForwardOutputs {
    this.live()
    checkBatch(this.config, batch, NativeEngineError)
    return this.b.forward(this.h, batch.tokens, batch.targets, batch.B, batch.T, 2)
  }

  forwardBackward(batch: TokenBatch, loss: (outputs: ForwardOutputs) => OutputGrads): { loss: number; outputs: ForwardOutputs } {
    this.live()
    checkBatch(this.config, batch, NativeEngineError)
    const N = batch.B * batch.T
    const outputs = this.b.forward(this.h, batch.tokens, batch.targets, batch.B, batch.T, 0)
    const grads = loss(outputs)
    checkOutputGrads(grads, N, NativeEngineError)
    this.b.backward(this.h, N, grads.dLogprobs, grads.dEntropies, this.config.valueHead ? grads.dValues : undefined)
    return { loss: grads.loss, outputs }
  }

  // -------------------------------------------------------------------------
  // Decoding

  decoder(B: number, maxLength: number): DecodeSession {
    this.live()
    checkDecoder(this.config, B, maxLength, NativeEngineError)
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
    const R = checkFeed(tokens, this.lens, this.maxLength, this.V, NativeEngineError)
    if (R > 0) {
      const flat = new Int32Array(R)
      let at = 0
      for (const t of tokens) {
        flat.set(t, at)
        at += t.length
      }
      const counts = Int32Array.from(tokens, (t) => t.length)
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
