/**
 * The `cpu` engine: GPT-2 on our own WebAssembly SIMD kernels, run across all
 * cores over one shared memory. Parameters, gradients, AdamW moments and
 * activations all live in that memory; see Runtime.ts for threads and
 * allocation and assembly/kernels.ts for the kernels.
 */
import type {
  AdamWOptions,
  DecodeSession,
  Engine,
  ForwardOutputs,
  GPTConfig,
  OutputGrads,
  Params,
  TokenBatch
} from "../Engine"
import { checkAdamW, checkBatch, checkConfig, checkDecoder, checkFeed, checkOptimizerStep, checkOutputGrads } from "../EngineChecks"
import { blockLayout, readBlock, type Slot, writeBlock } from "../ParamBlock"
import { CpuEngineError, Runtime, type RuntimeOptions } from "./Runtime"

export interface CpuEngineOptions extends RuntimeOptions {}

interface LayerParams {
  ln1w: number
  ln1b: number
  attnW: number
  attnB: number
  projW: number
  projB: number
  ln2w: number
  ln2b: number
  fcW: number
  fcB: number
  mlpW: number
  mlpB: number
}

interface ParamLayout {
  wte: number
  wpe: number
  layers: Array<LayerParams>
  lnfw: number
  lnfb: number
  vw: number
  vb: number
}

/** Per-layer saved activations for a batch of N rows. */
interface LayerActs {
  ln1: number
  mean1: number
  rstd1: number
  qkv: number
  att: number
  atty: number
  res1: number
  ln2: number
  mean2: number
  rstd2: number
  fch: number
  fcg: number
}

/**
 * One layer's activations for R rows of width C, allocated in this order by
 * `al`; the attention probabilities take `attFloats` (0: not kept).
 */
const layerActs = (al: (n: number) => number, R: number, C: number, attFloats: number): LayerActs => ({
  ln1: al(R * C),
  mean1: al(R),
  rstd1: al(R),
  qkv: al(R * 3 * C),
  att: attFloats > 0 ? al(attFloats) : 0,
  atty: al(R * C),
  res1: al(R * C),
  ln2: al(R * C),
  mean2: al(R),
  rstd2: al(R),
  fch: al(R * 4 * C),
  fcg: al(R * 4 * C)
})

interface Acts {
  N: number
  T: number
  BH: number
  tokens: number
  targets: number
  x: Array<number> // L + 1 residual streams
  layers: Array<LayerActs>
  xf: number
  meanf: number
  rstdf: number
  logits: number
  lse: number
  logprobs: number
  entropies: number
  // gradient scratch
  dx: number
  dtmp: number
  dbig: number
  dqkv: number
  datty: number
  dxf: number
  dlp: number
  dent: number
  scratch: number
  scratchFloats: number
  sizes: Array<[number, number]>
}

const layerKeys = ["ln1w", "ln1b", "attnW", "attnB", "projW", "projB", "ln2w", "ln2b", "fcW", "fcB", "mlpW", "mlpB"] as const
const layerNames = [
  "ln_1.weight",
  "ln_1.bias",
  "attn.c_attn.weight",
  "attn.c_attn.bias",
  "attn.c_proj.weight",
  "attn.c_proj.bias",
  "ln_2.weight",
  "ln_2.bias",
  "mlp.c_fc.weight",
  "mlp.c_fc.bias",
  "mlp.c_proj.weight",
  "mlp.c_proj.bias"
] as const

export class CpuEngine implements Engine {
  readonly name = "cpu"
  readonly config: GPTConfig
  private readonly rt: Runtime
  /** name -> [offset in floats within the parameter block, shape] */
  private readonly slots: Map<string, Slot>
  private readonly nParams: number
  private readonly nDecay: number
  private readonly params: number
  private readonly grads: number
  private readonly mom1: number
  private readonly mom2: number
  private readonly P: ParamLayout
  private readonly G: ParamLayout
  private stepCount = 0
  private acts: Acts | undefined
  private normScratch: number
  private normChunks: number
  private sessions = new Set<CpuDecodeSession>()
  /** The runtime restricted to the calling thread. */
  private readonly single: Pick<Runtime, "run">
  /** wte packed in the matmul's slab layout for decoding's LM head, refreshed when the parameters change. */
  private wteT = 0
  private wteTStale = true
  /** Per-thread logits rows of the inference LM head. */
  private lmScratch = 0
  private disposed = false

  constructor(rt: Runtime, config: GPTConfig) {
    checkConfig(config, CpuEngineError)
    this.config = config
    this.rt = rt
    const { slots, nParams: at, nDecay } = blockLayout(config)
    this.slots = slots
    this.nParams = at
    this.nDecay = nDecay
    this.params = rt.alloc(at)
    this.grads = rt.alloc(at)
    this.mom1 = rt.alloc(at)
    this.mom2 = rt.alloc(at)
    this.single = { run: (name, _work, ...args) => rt.run1(name, ...args) }
    this.P = this.layout(this.params)
    this.G = this.layout(this.grads)
    this.normChunks = Math.ceil(at / 16384)
    this.normScratch = rt.alloc(this.normChunks * 2)
  }

  private layout(base: number): ParamLayout {
    const off = (name: string) => base + this.slots.get(name)!.at * 4
    const layers: Array<LayerParams> = []
    for (let l = 0; l < this.config.nLayer; l++) {
      const entry = {} as LayerParams
      layerKeys.forEach((k, i) => {
        entry[k] = off(`transformer.h.${l}.${layerNames[i]}`)
      })
      layers.push(entry)
    }
    return {
      wte: off("transformer.wte.weight"),
      wpe: off("transformer.wpe.weight"),
      layers,
      lnfw: off("transformer.ln_f.weight"),
      lnfb: off("transformer.ln_f.bias"),
      vw: this.config.valueHead ? off("v_head.weight") : 0,
      vb: this.config.valueHead ? off("v_head.bias") : 0
    }
  }

  private live(): void {
    if (this.disposed) throw new CpuEngineError({ message: "the cpu engine was disposed" })
  }

  // -------------------------------------------------------------------------
  // Parameters, gradients, optimizer state

  private readBlock(base: number): Params {
    return readBlock(this.config, this.slots, this.rt.F32, base / 4)
  }

  private writeBlock(base: number, params: Params, what: string): void {
    writeBlock(this.slots, this.rt.F32, base / 4, params, what, CpuEngineError)
  }

  getParams(): Params {
    this.live()
    return this.readBlock(this.params)
  }

  setParams(params: Params): void {
    this.live()
    this.writeBlock(this.params, params, "setParams")
    this.wteTStale = true
  }

  zeroGrad(): void {
    this.live()
    this.rt.F32.fill(0, this.grads / 4, this.grads / 4 + this.nParams)
  }

  getGrads(): Params {
    this.live()
    return this.readBlock(this.grads)
  }

  getOptimizerState(): { step: number; m: Params; v: Params } {
    this.live()
    return { step: this.stepCount, m: this.readBlock(this.mom1), v: this.readBlock(this.mom2) }
  }

  setOptimizerState(state: { step: number; m: Params; v: Params }): void {
    this.live()
    checkOptimizerStep(state.step, CpuEngineError)
    this.writeBlock(this.mom1, state.m, "setOptimizerState (m)")
    this.writeBlock(this.mom2, state.v, "setOptimizerState (v)")
    this.stepCount = state.step
  }

  /** Global gradient norm (f64 sums over fixed chunks, so independent of the thread count). */
  private gradNorm(): number {
    this.rt.run("sumsq_chunks", this.nParams, this.normScratch, this.grads, this.nParams, 16384)
    const sums = new Float64Array(this.rt.memory.buffer, this.normScratch, this.normChunks)
    let s = 0
    for (let i = 0; i < sums.length; i++) s += sums[i]!
    return Math.sqrt(s)
  }

  step(o: AdamWOptions): number {
    this.live()
    checkAdamW(o, CpuEngineError)
    const norm = this.gradNorm()
    const clip = o.maxGradNorm > 0 && Number.isFinite(o.maxGradNorm) && norm > o.maxGradNorm
    const gscale = clip ? o.maxGradNorm / (norm + 1e-6) : 1
    this.stepCount++
    this.wteTStale = true
    const bc1 = 1 - Math.pow(o.beta1, this.stepCount)
    const bc2 = 1 - Math.pow(o.beta2, this.stepCount)
    this.rt.run(
      "adamw",
      this.nParams * 10,
      this.params,
      this.grads,
      this.mom1,
      this.mom2,
      this.nParams,
      this.nDecay,
      o.lr,
      o.beta1,
      o.beta2,
      o.eps,
      o.weightDecay,
      bc1,
      bc2,
      gscale
    )
    return norm
  }

  // -------------------------------------------------------------------------
  // Activations

  /** Allocates from the runtime, recording each [offset, floats] in `sizes` for release. */
  private recordingAlloc(sizes: Array<[number, number]>): (n: number) => number {
    return (n) => {
      const off = this.rt.alloc(n)
      sizes.push([off, n])
      return off
    }
  }

  private ensureActs(B: number, T: number): Acts {
    const { nEmbd: C, nLayer: L, nHead: H, vocabSize: V } = this.config
    const N = B * T
    const a = this.acts
    if (a && a.N >= N && a.T >= T && a.BH * a.T * a.T >= B * H * T * T) {
      return a
    }
    if (a) for (const [off, n] of a.sizes) this.rt.release(off, n)
    const sizes: Array<[number, number]> = []
    const al = this.recordingAlloc(sizes)
    const hs = C / H
    const scratchFloats = Math.ceil(this.rt.call("attention_scratch_floats", T, hs) / 16) * 16
    const acts: Acts = {
      N,
      T,
      BH: B * H,
      tokens: al(N),
      targets: al(N),
      x: Array.from({ length: L + 1 }, () => al(N * C)),
      layers: Array.from({ length: L }, () => layerActs(al, N, C, B * H * T * T)),
      xf: al(N * C),
      meanf: al(N),
      rstdf: al(N),
      logits: al(N * V),
      lse: al(N),
      logprobs: al(N),
      entropies: al(N),
      dx: al(N * C),
      dtmp: al(N * C),
      dbig: al(N * 4 * C),
      dqkv: al(N * 3 * C),
      datty: al(N * C),
      dxf: al(N * C),
      dlp: al(N),
      dent: al(N),
      scratch: al(scratchFloats * this.rt.threads),
      scratchFloats,
      sizes
    }
    this.acts = acts
    return acts
  }

  /** One transformer block on R rows; `attention` fills a.atty from a.qkv. */
  private block(l: number, R: number, x: number, a: LayerActs, out: number, attention: () => void): void {
    const { nEmbd: C, layerNormEps: eps } = this.config
    // fewer rows than 8: one thread (the row split would leave the others idle)
    const rt = R >= 8 ? this.rt : this.single
    const p = this.P.layers[l]!
    rt.run("layernorm_forward", R * C * 4, a.ln1, a.mean1, a.rstd1, x, p.ln1w, p.ln1b, R, C, eps)
    rt.run("bias_init", R * 3 * C, a.qkv, p.attnB, 0, R, 3 * C)
    rt.run("mm_nn", R * 3 * C * C, a.ln1, C, p.attnW, 3 * C, a.qkv, 3 * C, R, 3 * C, C, 1)
    attention()
    rt.run("bias_init", R * C, a.res1, p.projB, x, R, C)
    rt.run("mm_nn", R * C * C, a.atty, C, p.projW, C, a.res1, C, R, C, C, 1)
    rt.run("layernorm_forward", R * C * 4, a.ln2, a.mean2, a.rstd2, a.res1, p.ln2w, p.ln2b, R, C, eps)
    rt.run("bias_init", R * 4 * C, a.fch, p.fcB, 0, R, 4 * C)
    rt.run("mm_nn", R * 4 * C * C, a.ln2, C, p.fcW, 4 * C, a.fch, 4 * C, R, 4 * C, C, 1)
    rt.run("gelu_forward", R * 4 * C * 20, a.fcg, a.fch, R * 4 * C)
    rt.run("bias_init", R * C, out, p.mlpB, a.res1, R, C)
    rt.run("mm_nn", R * 4 * C * C, a.fcg, 4 * C, p.mlpW, C, out, C, R, C, 4 * C, 1)
  }

  /**
   * "train": keeps what the backward needs (attention probabilities, logits);
   * "logits": only the logits; "outputs": only the per-position statistics,
   * from logits that never leave the cache.
   */
  private forwardPass(batch: TokenBatch, mode: "train" | "logits" | "outputs"): Acts {
    const keep = mode === "train"
    checkBatch(this.config, batch, CpuEngineError)
    const { B, T } = batch
    const { nEmbd: C, nLayer: L, nHead: H, vocabSize: V, layerNormEps: eps } = this.config
    const N = B * T
    const a = this.ensureActs(B, T)
    const rt = this.rt
    rt.I32.set(batch.tokens, a.tokens / 4)
    rt.I32.set(batch.targets, a.targets / 4)
    rt.run("encoder_forward", N * C, a.x[0]!, a.tokens, this.P.wte, this.P.wpe, N, T, C)
    const scale = 1 / Math.sqrt(C / H)
    for (let l = 0; l < L; l++) {
      const la = a.layers[l]!
      this.block(l, N, a.x[l]!, la, a.x[l + 1]!, () =>
        rt.run("attention_forward", B * T * T * C * 2, keep ? la.att : 0, la.atty, la.qkv, a.scratch, a.scratchFloats, B, T, C, H, scale)
      )
    }
    rt.run("layernorm_forward", N * C * 4, a.xf, a.meanf, a.rstdf, a.x[L]!, this.P.lnfw, this.P.lnfb, N, C, eps)
    if (mode === "outputs") {
      if (this.lmScratch === 0) this.lmScratch = rt.alloc(rt.call("lm_scratch_floats", V) * rt.threads)
      rt.run("lm_forward", N * V * C, a.xf, this.packedWte(), a.targets, a.lse, a.logprobs, a.entropies, this.lmScratch, N, V, C)
      return a
    }
    rt.run("mm_nt", N * V * C, a.xf, C, this.P.wte, C, a.logits, V, N, V, C, 0)
    if (mode === "train") rt.run("lm_stats", N * V * 10, a.logits, a.targets, a.lse, a.logprobs, a.entropies, N, V)
    return a
  }

  /** wte in the matmul's slab layout (decoding's and inference's LM head), repacked after parameter changes. */
  private packedWte(): number {
    const { nEmbd: C, vocabSize: V } = this.config
    if (this.wteT === 0) this.wteT = this.rt.alloc(Math.ceil(V / 8) * 8 * C)
    if (this.wteTStale) {
      this.rt.run("pack_rows", V * C, this.wteT, this.P.wte, V, C)
      this.wteTStale = false
    }
    return this.wteT
  }

  private outputs(a: Acts, N: number): ForwardOutputs {
    const F = this.rt.F32
    const logprobs = F.slice(a.logprobs / 4, a.logprobs / 4 + N)
    const entropies = F.slice(a.entropies / 4, a.entropies / 4 + N)
    const values = new Float32Array(N)
    if (this.config.valueHead) {
      const C = this.config.nEmbd
      const xf = a.xf / 4
      const vw = this.P.vw / 4
      const vb = F[this.P.vb / 4]!
      for (let n = 0; n < N; n++) {
        let s = 0
        for (let c = 0; c < C; c++) s += F[xf + n * C + c]! * F[vw + c]!
        values[n] = s + vb
      }
    }
    return { logprobs, entropies, values }
  }

  logits(batch: TokenBatch): Float32Array {
    this.live()
    const a = this.forwardPass(batch, "logits")
    const n = batch.B * batch.T * this.config.vocabSize
    return this.rt.F32.slice(a.logits / 4, a.logits / 4 + n)
  }

  forward(batch: TokenBatch): ForwardOutputs {
    this.live()
    const a = this.forwardPass(batch, "outputs")
    return this.outputs(a, batch.B * batch.T)
  }

  forwardBackward(batch: TokenBatch, loss: (outputs: ForwardOutputs) => OutputGrads): { loss: number; outputs: ForwardOutputs } {
    this.live()
    const a = this.forwardPass(batch, "train")
    const { B, T } = batch
    const N = B * T
    const outputs = this.outputs(a, N)
    const grads = loss(outputs)
    checkOutputGrads(grads, N, CpuEngineError)
    this.backwardPass(batch, a, grads)
    return { loss: grads.loss, outputs }
  }

  private backwardPass(batch: TokenBatch, a: Acts, grads: OutputGrads): void {
    const { B, T } = batch
    const N = B * T
    const { nEmbd: C, nLayer: L, nHead: H, vocabSize: V } = this.config
    const rt = this.rt
    const P = this.P
    const G = this.G
    const F = rt.F32
    if (grads.dLogprobs) F.set(grads.dLogprobs, a.dlp / 4)
    else F.fill(0, a.dlp / 4, a.dlp / 4 + N)
    if (grads.dEntropies) F.set(grads.dEntropies, a.dent / 4)
    else F.fill(0, a.dent / 4, a.dent / 4 + N)

    // LM head (tied to wte): dlogits in place of the logits
    rt.run("lm_dlogits", N * V * 12, a.logits, a.targets, a.lse, a.entropies, a.dlp, a.dent, N, V)
    rt.run("mm_nn", N * V * C, a.logits, V, P.wte, C, a.dxf, C, N, C, V, 0)
    rt.run("mm_tn", N * V * C, a.logits, V, a.xf, C, G.wte, C, V, C, N, 1)

    // value head
    if (this.config.valueHead && grads.dValues) {
      const dv = grads.dValues
      const F2 = rt.F32
      const xf = a.xf / 4
      const dxf = a.dxf / 4
      const vw = P.vw / 4
      const gvw = G.vw / 4
      let db = 0
      for (let n = 0; n < N; n++) {
        const g = dv[n]!
        if (g === 0) continue
        db += g
        for (let c = 0; c < C; c++) {
          F2[dxf + n * C + c] = F2[dxf + n * C + c]! + g * F2[vw + c]!
          F2[gvw + c] = F2[gvw + c]! + g * F2[xf + n * C + c]!
        }
      }
      F2[G.vb / 4] = F2[G.vb / 4]! + db
    }

    // final LayerNorm
    F.fill(0, a.dx / 4, a.dx / 4 + N * C)
    rt.run("layernorm_backward_input", N * C * 8, a.dx, a.dxf, a.x[L]!, a.meanf, a.rstdf, P.lnfw, N, C)
    rt.run("layernorm_backward_params", N * C * 4, G.lnfw, G.lnfb, a.dxf, a.x[L]!, a.meanf, a.rstdf, N, C)

    const scale = 1 / Math.sqrt(C / H)
    for (let l = L - 1; l >= 0; l--) {
      const la = a.layers[l]!
      const p = P.layers[l]!
      const g = G.layers[l]!
      // x[l+1] = res1 + gelu(fc) @ W_mlp + b_mlp ; the residual gradient stays in dx
      rt.run("colsum_acc", N * C, g.mlpB, a.dx, N, C)
      rt.run("mm_tn", N * 4 * C * C, la.fcg, 4 * C, a.dx, C, g.mlpW, C, 4 * C, C, N, 1)
      rt.run("mm_nt", N * 4 * C * C, a.dx, C, p.mlpW, C, a.dbig, 4 * C, N, 4 * C, C, 0)
      rt.run("gelu_backward", N * 4 * C * 20, a.dbig, la.fch, a.dbig, N * 4 * C)
      rt.run("colsum_acc", N * 4 * C, g.fcB, a.dbig, N, 4 * C)
      rt.run("mm_tn", N * 4 * C * C, la.ln2, C, a.dbig, 4 * C, g.fcW, 4 * C, C, 4 * C, N, 1)
      rt.run("mm_nt", N * 4 * C * C, a.dbig, 4 * C, p.fcW, 4 * C, a.dtmp, C, N, C, 4 * C, 0)
      rt.run("layernorm_backward_input", N * C * 8, a.dx, a.dtmp, la.res1, la.mean2, la.rstd2, p.ln2w, N, C)
      rt.run("layernorm_backward_params", N * C * 4, g.ln2w, g.ln2b, a.dtmp, la.res1, la.mean2, la.rstd2, N, C)
      // res1 = x[l] + attn(ln1) @ W_proj + b_proj
      rt.run("colsum_acc", N * C, g.projB, a.dx, N, C)
      rt.run("mm_tn", N * C * C, la.atty, C, a.dx, C, g.projW, C, C, C, N, 1)
      rt.run("mm_nt", N * C * C, a.dx, C, p.projW, C, a.datty, C, N, C, C, 0)
      rt.run("attention_backward", B * T * T * C * 4, a.dqkv, a.datty, la.att, la.qkv, a.scratch, a.scratchFloats, B, T, C, H, scale)
      rt.run("colsum_acc", N * 3 * C, g.attnB, a.dqkv, N, 3 * C)
      rt.run("mm_tn", N * 3 * C * C, la.ln1, C, a.dqkv, 3 * C, g.attnW, 3 * C, C, 3 * C, N, 1)
      rt.run("mm_nt", N * 3 * C * C, a.dqkv, 3 * C, p.attnW, 3 * C, a.dtmp, C, N, C, 3 * C, 0)
      rt.run("layernorm_backward_input", N * C * 8, a.dx, a.dtmp, a.x[l]!, la.mean1, la.rstd1, p.ln1w, N, C)
      rt.run("layernorm_backward_params", N * C * 4, g.ln1w, g.ln1b, a.dtmp, a.x[l]!, la.mean1, la.rstd1, N, C)
    }
    rt.run("encoder_backward", N * C * 2, G.wte, G.wpe, a.dx, a.tokens, N, T, C)
  }

  // -------------------------------------------------------------------------
  // Incremental decoding

  decoder(B: number, maxLength: number): DecodeSession {
    this.live()
    checkDecoder(this.config, B, maxLength, CpuEngineError)
    const s = new CpuDecodeSession(this, this.rt, B, maxLength)
    this.sessions.add(s)
    return s
  }

  /** @internal used by the decode session */
  decodeRows(
    s: { kc: Array<number>; vc: Array<number>; maxLength: number },
    R: number,
    rows: Int32Array,
    tokens: Int32Array,
    ws: DecodeWorkspace
  ): void {
    const { nEmbd: C, nLayer: L, nHead: H } = this.config
    const rt = this.rt
    const F = rt.F32
    rt.I32.set(rows, ws.rows / 4)
    // embeddings at explicit positions
    const wte = this.P.wte / 4
    const wpe = this.P.wpe / 4
    const x0 = ws.x / 4
    for (let r = 0; r < R; r++) {
      const tok = tokens[r]!
      const pos = rows[2 * r + 1]!
      for (let c = 0; c < C; c++) F[x0 + r * C + c] = F[wte + tok * C + c]! + F[wpe + pos * C + c]!
    }
    const scale = 1 / Math.sqrt(C / H)
    for (let l = 0; l < L; l++) {
      const kc = s.kc[l]!
      const vc = s.vc[l]!
      this.block(l, R, ws.x, ws.layer, ws.x, () => {
        rt.run1("kv_store", kc, vc, ws.layer.qkv, ws.rows, R, C, H, s.maxLength)
        rt.run("attention_decode", R >= 8 ? R * s.maxLength * C : 0, ws.layer.atty, ws.layer.qkv, kc, vc, ws.rows, R, C, H, s.maxLength, ws.scratch, ws.scratchFloats, scale)
      })
    }
  }

  /** @internal logits [R, V] of the final LayerNorm of rows of ws.x listed in `pick` */
  decodeLogits(ws: DecodeWorkspace, pick: ReadonlyArray<number>): Float32Array {
    const { nEmbd: C, vocabSize: V, layerNormEps: eps } = this.config
    const rt = this.rt
    const F = rt.F32
    const K = pick.length
    pick.forEach((r, i) => F.copyWithin(ws.tmp / 4 + i * C, ws.x / 4 + r * C, ws.x / 4 + (r + 1) * C))
    const m = ws.layer.mean1
    const rs = ws.layer.rstd1
    rt.run("layernorm_forward", K * C * 4, ws.layer.ln1, m, rs, ws.tmp, this.P.lnfw, this.P.lnfb, K, C, eps)
    rt.run("mm_packed", K >= 4 ? K * V * C : 0, ws.layer.ln1, C, this.packedWte(), ws.logits, V, K, V, C, 0)
    return rt.F32.slice(ws.logits / 4, ws.logits / 4 + K * V)
  }

  /** @internal */
  allocDecodeWorkspace(R: number, maxLength: number): DecodeWorkspace {
    const { nEmbd: C, vocabSize: V } = this.config
    const sizes: Array<[number, number]> = []
    const al = this.recordingAlloc(sizes)
    const scratchFloats = Math.ceil(maxLength / 16) * 16
    return {
      R,
      rows: al(2 * R),
      x: al(R * C),
      tmp: al(R * C),
      logits: al(R * V),
      layer: layerActs(al, R, C, 0),
      scratch: al(scratchFloats * this.rt.threads),
      scratchFloats,
      sizes
    }
  }

  /** @internal */
  alloc(n: number): number {
    return this.rt.alloc(n)
  }

  /** @internal */
  release(sizes: ReadonlyArray<[number, number]>): void {
    if (this.disposed) return
    for (const [off, n] of sizes) this.rt.release(off, n)
  }

  /** @internal */
  forget(s: CpuDecodeSession): void {
    this.sessions.delete(s)
  }

  dispose(): void {
    if (this.disposed) return
    for (const s of [...this.sessions]) s.dispose()
    this.disposed = true
    this.rt.dispose()
  }
}

interface DecodeWorkspace {
  R: number
  rows: number
  x: number
  tmp: number
  logits: number
  layer: LayerActs
  scratch: number
  scratchFloats: number
  sizes: Array<[number, number]>
}

class CpuDecodeSession implements DecodeSession {
  readonly B: number
  readonly maxLength: number
  readonly kc: Array<number> = []
  readonly vc: Array<number> = []
  private readonly lens: Int32Array
  private readonly last: Float32Array
  private readonly cacheSizes: Array<[number, number]> = []
  private ws: DecodeWorkspace | undefined
  private disposed = false

  constructor(
    private readonly engine: CpuEngine,
    rt: Runtime,
    B: number,
    maxLength: number
  ) {
    this.B = B
    this.maxLength = maxLength
    const { nEmbd: C, nLayer: L, vocabSize: V } = engine.config
    const n = B * maxLength * C
    for (let l = 0; l < L; l++) {
      const k = rt.alloc(n)
      const v = rt.alloc(n)
      this.kc.push(k)
      this.vc.push(v)
      this.cacheSizes.push([k, n], [v, n])
    }
    this.lens = new Int32Array(B)
    this.last = new Float32Array(B * V)
  }

  lengths(): ReadonlyArray<number> {
    return Array.from(this.lens)
  }

  feed(tokens: ReadonlyArray<Int32Array>): Float32Array {
    if (this.disposed) throw new CpuEngineError({ message: "decode session was disposed" })
    const { vocabSize: V } = this.engine.config
    const R = checkFeed(tokens, this.lens, this.maxLength, V, CpuEngineError)
    if (R === 0) return this.last.slice()
    if (!this.ws || this.ws.R < R) {
      if (this.ws) this.engine.release(this.ws.sizes)
      this.ws = this.engine.allocDecodeWorkspace(Math.max(R, this.B), this.maxLength)
    }
    const rows = new Int32Array(2 * R)
    const flat = new Int32Array(R)
    const lastRow: Array<number> = []
    const lastSeq: Array<number> = []
    let r = 0
    for (let b = 0; b < this.B; b++) {
      const t = tokens[b]!
      for (let i = 0; i < t.length; i++) {
        rows[2 * r] = b
        rows[2 * r + 1] = this.lens[b]! + i
        flat[r] = t[i]!
        r++
      }
      if (t.length > 0) {
        lastRow.push(r - 1)
        lastSeq.push(b)
      }
    }
    this.engine.decodeRows(this, R, rows, flat, this.ws)
    const logits = this.engine.decodeLogits(this.ws, lastRow)
    lastSeq.forEach((b, i) => this.last.set(logits.subarray(i * V, (i + 1) * V), b * V))
    for (let b = 0; b < this.B; b++) this.lens[b] = this.lens[b]! + tokens[b]!.length
    return this.last.slice()
  }

  dispose(): void {
    if (this.disposed) return
    this.disposed = true
    this.engine.release(this.cacheSizes)
    if (this.ws) this.engine.release(this.ws.sizes)
    this.engine.forget(this)
  }
}
