/**
 * GPT-2 written with `@tensorflow/tfjs` ops, so tfjs's autograd gives the
 * backward pass. Parameters are passed as a name -> tensor record using the
 * Hugging Face names (see Engine.ts).
 */
import type * as TF from "@tensorflow/tfjs"
import type { GPTConfig } from "../Engine"

export type TFModule = typeof TF
export type ParamTensors = Record<string, TF.Tensor>

/**
 * How embedding rows are looked up. tfjs's pure-JS backend differentiates
 * `gather` with a loop over every row of the table, which is very slow, so
 * there the lookup is a one-hot matrix product (the gradient is then a matmul);
 * native backends use `gather`.
 */
let denseLookup = false
export const setDenseLookup = (on: boolean): void => {
  denseLookup = on
}

/** Rows `ids` of `table` [R, C] as [ids.length, C]. */
const lookup = (tf: TFModule, table: TF.Tensor, ids: Int32Array): TF.Tensor => {
  if (!denseLookup) return tf.gather(table, tf.tensor1d(ids, "int32"))
  const R = table.shape[0]!
  const hot = new Float32Array(ids.length * R)
  for (let i = 0; i < ids.length; i++) hot[i * R + ids[i]!] = 1
  return tf.matMul(tf.tensor2d(hot, [ids.length, R]), table as TF.Tensor2D)
}

const GELU_C = Math.sqrt(2 / Math.PI)

/** GPT-2's "gelu_new": 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
export const gelu = (tf: TFModule, x: TF.Tensor): TF.Tensor =>
  tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(tf.mul(GELU_C, tf.add(x, tf.mul(0.044715, tf.pow(x, 3)))))))

export const layerNorm = (tf: TFModule, x: TF.Tensor, g: TF.Tensor, b: TF.Tensor, eps: number): TF.Tensor => {
  const mean = tf.mean(x, -1, true)
  const centered = tf.sub(x, mean)
  const variance = tf.mean(tf.square(centered), -1, true)
  return tf.add(tf.mul(tf.div(centered, tf.sqrt(tf.add(variance, eps))), g), b)
}

/** x [..., In] times a Conv1D weight [In, Out] plus bias. */
export const linear = (tf: TFModule, x: TF.Tensor, w: TF.Tensor, b: TF.Tensor): TF.Tensor => {
  const shape = x.shape
  const inDim = shape[shape.length - 1]!
  const y = tf.add(tf.matMul(tf.reshape(x, [-1, inDim]), w as TF.Tensor2D), b)
  return tf.reshape(y, [...shape.slice(0, -1), w.shape[1]!])
}

const splitHeads = (tf: TFModule, x: TF.Tensor, B: number, T: number, H: number, D: number): TF.Tensor =>
  tf.transpose(tf.reshape(x, [B, T, H, D]), [0, 2, 1, 3])

/** [Tq, Tk]: 0 where query i (at position past+i) may see key j, -1e9 elsewhere. */
const causalBias = (tf: TFModule, Tq: number, Tk: number, past: number): TF.Tensor => {
  const bias = new Float32Array(Tq * Tk)
  for (let i = 0; i < Tq; i++) for (let j = past + i + 1; j < Tk; j++) bias[i * Tk + j] = -1e9
  return tf.tensor2d(bias, [Tq, Tk])
}

/**
 * Attention of queries [B, H, Tq, D] over keys/values [B, H, Tk, D]; query i
 * sits at absolute position `past + i` and sees keys 0..past+i.
 */
const attend = (tf: TFModule, q: TF.Tensor, k: TF.Tensor, v: TF.Tensor, past: number): TF.Tensor => {
  const Tq = q.shape[2]!, Tk = k.shape[2]!, D = q.shape[3]!
  const scores = tf.mul(tf.matMul(q as TF.Tensor4D, k as TF.Tensor4D, false, true), 1 / Math.sqrt(D))
  return tf.matMul(tf.softmax(tf.add(scores, causalBias(tf, Tq, Tk, past)), -1) as TF.Tensor4D, v as TF.Tensor4D)
}

export interface LayerCache {
  k: TF.Tensor
  v: TF.Tensor
}

/**
 * The final hidden states [B, T, C] of tokens [B, T] at positions past..past+T-1.
 * With `cache`, each layer's keys/values are prepended from it and the
 * updated ones are written back (the caller owns their disposal).
 */
export const hidden = (
  tf: TFModule,
  c: GPTConfig,
  p: ParamTensors,
  tokens: TF.Tensor,
  past = 0,
  cache?: Array<LayerCache | undefined>
): TF.Tensor => {
  const [B, T] = tokens.shape as [number, number]
  const C = c.nEmbd, H = c.nHead, D = C / H
  const emb = tf.reshape(lookup(tf, p["transformer.wte.weight"]!, tokens.dataSync() as Int32Array), [B, T, C])
  const pos = tf.slice(p["transformer.wpe.weight"]!, [past, 0], [T, C])
  let x = tf.add(emb, tf.expandDims(pos, 0))
  for (let l = 0; l < c.nLayer; l++) {
    const n = `transformer.h.${l}.`
    const h = layerNorm(tf, x, p[`${n}ln_1.weight`]!, p[`${n}ln_1.bias`]!, c.layerNormEps)
    const qkv = linear(tf, h, p[`${n}attn.c_attn.weight`]!, p[`${n}attn.c_attn.bias`]!)
    const [q, k, v] = tf.split(qkv, 3, -1) as [TF.Tensor, TF.Tensor, TF.Tensor]
    let kh = splitHeads(tf, k, B, T, H, D)
    let vh = splitHeads(tf, v, B, T, H, D)
    if (cache) {
      const prev = cache[l]
      if (prev) {
        kh = tf.concat([prev.k, kh], 2)
        vh = tf.concat([prev.v, vh], 2)
      }
      cache[l] = { k: tf.keep(kh), v: tf.keep(vh) }
    }
    const y = attend(tf, splitHeads(tf, q, B, T, H, D), kh, vh, past)
    const merged = tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [B, T, C])
    x = tf.add(x, linear(tf, merged, p[`${n}attn.c_proj.weight`]!, p[`${n}attn.c_proj.bias`]!))
    const h2 = layerNorm(tf, x, p[`${n}ln_2.weight`]!, p[`${n}ln_2.bias`]!, c.layerNormEps)
    const m = gelu(tf, linear(tf, h2, p[`${n}mlp.c_fc.weight`]!, p[`${n}mlp.c_fc.bias`]!))
    x = tf.add(x, linear(tf, m, p[`${n}mlp.c_proj.weight`]!, p[`${n}mlp.c_proj.bias`]!))
  }
  return layerNorm(tf, x, p["transformer.ln_f.weight"]!, p["transformer.ln_f.bias"]!, c.layerNormEps)
}

/** Logits [..., V] of hidden states [..., C] through the tied LM head. */
export const lmHead = (tf: TFModule, p: ParamTensors, h: TF.Tensor): TF.Tensor => {
  const wte = p["transformer.wte.weight"]! as TF.Tensor2D
  const C = wte.shape[1]
  const logits = tf.matMul(tf.reshape(h, [-1, C]), wte, false, true)
  return tf.reshape(logits, [...h.shape.slice(0, -1), wte.shape[0]])
}

/** Per-position log p(target), entropy and value (tensors [B, T]). */
export const outputs = (
  tf: TFModule,
  c: GPTConfig,
  p: ParamTensors,
  tokens: TF.Tensor,
  targets: TF.Tensor
): { logprobs: TF.Tensor; entropies: TF.Tensor; values: TF.Tensor } => {
  const h = hidden(tf, c, p, tokens)
  const logits = lmHead(tf, p, h)
  const logp = tf.logSoftmax(logits, -1)
  const [B, T] = targets.shape as [number, number]
  // log p(target) = h . wte[target] - logsumexp(logits); positions without a
  // target use token 0 and are zeroed.
  const tgt = targets.dataSync() as Int32Array
  const safe = new Int32Array(B * T)
  const keep = new Float32Array(B * T)
  for (let i = 0; i < B * T; i++) {
    if (tgt[i]! >= 0) {
      safe[i] = tgt[i]!
      keep[i] = 1
    }
  }
  const targetRows = tf.reshape(lookup(tf, p["transformer.wte.weight"]!, safe), h.shape)
  const picked = tf.sub(tf.sum(tf.mul(h, targetRows), -1), tf.logSumExp(logits, -1))
  const logprobs = tf.mul(picked, tf.tensor2d(keep, [B, T]))
  const entropies = tf.neg(tf.sum(tf.mul(tf.exp(logp), logp), -1))
  const values = c.valueHead
    ? tf.add(tf.sum(tf.mul(h, p["v_head.weight"]!), -1), p["v_head.bias"]!)
    : tf.zeros(logprobs.shape)
  return { logprobs, entropies, values }
}
