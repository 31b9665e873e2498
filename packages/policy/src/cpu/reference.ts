/**
 * A straightforward GPT-2 forward pass in float64 plain TypeScript, written
 * from the definition with no optimisation: the yardstick the cpu engine's
 * tests compare against.
 */
import type { GPTConfig, Params } from "../Engine"

export interface ReferenceOutputs {
  /** [B, T, V] */
  readonly logits: Float64Array
  readonly logprobs: Float64Array
  readonly entropies: Float64Array
  readonly values: Float64Array
}

const get = (p: Params, name: string): Float32Array => {
  const t = p.get(name)
  if (!t) throw new Error(`reference: missing ${name}`)
  return t.data
}

const layerNorm = (x: Float64Array, w: Float32Array, b: Float32Array, C: number, eps: number): Float64Array => {
  const out = new Float64Array(x.length)
  for (let r = 0; r < x.length / C; r++) {
    let m = 0
    for (let c = 0; c < C; c++) m += x[r * C + c]!
    m /= C
    let v = 0
    for (let c = 0; c < C; c++) v += (x[r * C + c]! - m) ** 2
    v /= C
    const s = 1 / Math.sqrt(v + eps)
    for (let c = 0; c < C; c++) out[r * C + c] = (x[r * C + c]! - m) * s * w[c]! + b[c]!
  }
  return out
}

/** x [R, IC] @ W [IC, OC] + b */
const linear = (x: Float64Array, W: Float32Array, b: Float32Array, IC: number, OC: number): Float64Array => {
  const R = x.length / IC
  const out = new Float64Array(R * OC)
  for (let r = 0; r < R; r++) {
    for (let o = 0; o < OC; o++) {
      let s = b[o]!
      for (let i = 0; i < IC; i++) s += x[r * IC + i]! * W[i * OC + o]!
      out[r * OC + o] = s
    }
  }
  return out
}

const gelu = (x: number): number => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)))

export const referenceForward = (
  c: GPTConfig,
  p: Params,
  tokens: Int32Array,
  targets: Int32Array,
  B: number,
  T: number
): ReferenceOutputs => {
  const { nEmbd: C, nHead: H, vocabSize: V, layerNormEps: eps } = c
  const hs = C / H
  const wte = get(p, "transformer.wte.weight")
  const wpe = get(p, "transformer.wpe.weight")
  let x = new Float64Array(B * T * C)
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const tok = tokens[b * T + t]!
      for (let i = 0; i < C; i++) x[(b * T + t) * C + i] = wte[tok * C + i]! + wpe[t * C + i]!
    }
  }
  for (let l = 0; l < c.nLayer; l++) {
    const q = (n: string) => get(p, `transformer.h.${l}.${n}`)
    const h1 = layerNorm(x, q("ln_1.weight"), q("ln_1.bias"), C, eps)
    const qkv = linear(h1, q("attn.c_attn.weight"), q("attn.c_attn.bias"), C, 3 * C)
    const y = new Float64Array(B * T * C)
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < H; h++) {
        for (let t = 0; t < T; t++) {
          const qi = (b * T + t) * 3 * C + h * hs
          const scores: Array<number> = []
          for (let u = 0; u <= t; u++) {
            const ki = (b * T + u) * 3 * C + C + h * hs
            let s = 0
            for (let d = 0; d < hs; d++) s += qkv[qi + d]! * qkv[ki + d]!
            scores.push(s / Math.sqrt(hs))
          }
          const mx = Math.max(...scores)
          const e = scores.map((s) => Math.exp(s - mx))
          const z = e.reduce((a, b2) => a + b2, 0)
          for (let u = 0; u <= t; u++) {
            const vi = (b * T + u) * 3 * C + 2 * C + h * hs
            for (let d = 0; d < hs; d++) y[(b * T + t) * C + h * hs + d] += (e[u]! / z) * qkv[vi + d]!
          }
        }
      }
    }
    const proj = linear(y, q("attn.c_proj.weight"), q("attn.c_proj.bias"), C, C)
    const x1 = x.map((v, i) => v + proj[i]!)
    const h2 = layerNorm(x1, q("ln_2.weight"), q("ln_2.bias"), C, eps)
    const fc = linear(h2, q("mlp.c_fc.weight"), q("mlp.c_fc.bias"), C, 4 * C).map(gelu)
    const mlp = linear(fc, q("mlp.c_proj.weight"), q("mlp.c_proj.bias"), 4 * C, C)
    x = x1.map((v, i) => v + mlp[i]!)
  }
  const xf = layerNorm(x, get(p, "transformer.ln_f.weight"), get(p, "transformer.ln_f.bias"), C, eps)
  const N = B * T
  const logits = new Float64Array(N * V)
  const logprobs = new Float64Array(N)
  const entropies = new Float64Array(N)
  const values = new Float64Array(N)
  for (let n = 0; n < N; n++) {
    for (let v = 0; v < V; v++) {
      let s = 0
      for (let i = 0; i < C; i++) s += xf[n * C + i]! * wte[v * C + i]!
      logits[n * V + v] = s
    }
    const row = logits.subarray(n * V, (n + 1) * V)
    const mx = Math.max(...row)
    let z = 0
    for (const l of row) z += Math.exp(l - mx)
    const lse = mx + Math.log(z)
    if (targets[n]! >= 0) logprobs[n] = row[targets[n]!]! - lse
    let h = 0
    for (const l of row) h -= Math.exp(l - lse) * (l - lse)
    entropies[n] = h
    if (c.valueHead) {
      const vw = get(p, "v_head.weight")
      let s = get(p, "v_head.bias")[0]!
      for (let i = 0; i < C; i++) s += xf[n * C + i]! * vw[i]!
      values[n] = s
    }
  }
  return { logits, logprobs, entropies, values }
}
