/**
 * The contract every compute engine implements (the `cpu` engine of our own
 * kernels, and the `tfjs` engine). One GPT-2 model, its gradients, its AdamW
 * state and a KV cache for generation live inside the engine; everything else
 * (tokenizer, losses' bookkeeping, schedules, data order) lives outside and is
 * shared.
 *
 * Parameters use the Hugging Face GPT-2 names and shapes (Conv1D weights are
 * [in, out]):
 *   transformer.wte.weight [V, C]        transformer.wpe.weight [P, C]
 *   transformer.h.{l}.ln_1.{weight,bias} [C]
 *   transformer.h.{l}.attn.c_attn.weight [C, 3C]   .bias [3C]
 *   transformer.h.{l}.attn.c_proj.weight [C, C]    .bias [C]
 *   transformer.h.{l}.ln_2.{weight,bias} [C]
 *   transformer.h.{l}.mlp.c_fc.weight [C, 4C]      .bias [4C]
 *   transformer.h.{l}.mlp.c_proj.weight [4C, C]    .bias [C]
 *   transformer.ln_f.{weight,bias} [C]
 *   v_head.weight [C], v_head.bias [1]   (only when `valueHead` is on)
 * The LM head is tied to `transformer.wte.weight`.
 */

export interface GPTConfig {
  readonly vocabSize: number
  /** Context length (n_positions). */
  readonly nPositions: number
  /** Width (n_embd). */
  readonly nEmbd: number
  readonly nLayer: number
  readonly nHead: number
  /** LayerNorm epsilon (GPT-2: 1e-5). */
  readonly layerNormEps: number
  /** Adds a scalar value head on the final hidden states (for PPO). */
  readonly valueHead: boolean
}

/** A named parameter tensor, row-major. */
export interface Tensor {
  readonly shape: ReadonlyArray<number>
  readonly data: Float32Array
}

export type Params = Map<string, Tensor>

/** A batch of B sequences of T tokens, row-major [B, T]. */
export interface TokenBatch {
  readonly tokens: Int32Array
  readonly B: number
  readonly T: number
  /**
   * Target token at each position (usually the next input token), or -1 where
   * no target exists. Log-probs and entropies are reported for every position
   * with a target.
   */
  readonly targets: Int32Array
}

/** What the forward pass reports per position ([B, T], row-major). */
export interface ForwardOutputs {
  /** log p(target) at each position; 0 where the target is -1. */
  readonly logprobs: Float32Array
  /** Entropy of the next-token distribution at each position (nats). */
  readonly entropies: Float32Array
  /** Value-head output at each position (zeros without a value head). */
  readonly values: Float32Array
}

/**
 * The gradient of the loss with respect to the forward outputs. Every loss this
 * project uses (masked NLL, DPO, PPO's clipped objective, value loss, entropy
 * bonus) is a function of these per-position quantities, so the engine needs
 * only their gradients to backpropagate. Omitted arrays count as zero.
 */
export interface OutputGrads {
  readonly loss: number
  readonly dLogprobs?: Float32Array | undefined
  readonly dEntropies?: Float32Array | undefined
  readonly dValues?: Float32Array | undefined
}

/**
 * AdamW as both engines implement it, at step t (1-based, counted by the
 * engine): g = grad * c with c = maxGradNorm / (norm + 1e-6) when the global
 * norm exceeds maxGradNorm (else 1); m = beta1 m + (1 - beta1) g;
 * v = beta2 v + (1 - beta2) g^2; p = p (1 - lr * weightDecay) for tensors of
 * rank >= 2 only (embeddings and matrices, not biases, gains or the value
 * head); p -= lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps).
 */
export interface AdamWOptions {
  readonly lr: number
  readonly beta1: number
  readonly beta2: number
  readonly eps: number
  readonly weightDecay: number
  /** Clip the global gradient norm to this value (0 or Infinity: no clipping). */
  readonly maxGradNorm: number
}

/** An incremental decoding session over a batch of sequences. */
export interface DecodeSession {
  readonly B: number
  /**
   * Feeds tokens for every sequence (`tokens[b]` is appended to sequence b,
   * `lengths[b]` tokens at a time, allowing a ragged prefill) and returns the
   * logits [B, V] of the last fed position of each sequence.
   */
  feed(tokens: ReadonlyArray<Int32Array>): Float32Array
  /** Current length of each sequence. */
  lengths(): ReadonlyArray<number>
  dispose(): void
}

export interface Engine {
  readonly name: string
  readonly config: GPTConfig
  /** Copies of the current parameters. */
  getParams(): Params
  setParams(params: Params): void
  /** Logits [B, T, V] for a batch (no gradient bookkeeping). */
  logits(batch: TokenBatch): Float32Array
  /** Per-position log-probs, entropies and values (no gradient bookkeeping). */
  forward(batch: TokenBatch): ForwardOutputs
  /**
   * Forward, then `loss(outputs)`, then backward with the gradients it returns;
   * parameter gradients are accumulated (added) until `zeroGrad`.
   */
  forwardBackward(batch: TokenBatch, loss: (outputs: ForwardOutputs) => OutputGrads): { loss: number; outputs: ForwardOutputs }
  zeroGrad(): void
  /** Copies of the accumulated gradients, by parameter name. */
  getGrads(): Params
  /** One AdamW step on the accumulated gradients; returns the gradient norm before clipping. */
  step(options: AdamWOptions): number
  /** Optimizer state (step count and moments) for checkpoints. */
  getOptimizerState(): { step: number; m: Params; v: Params }
  setOptimizerState(state: { step: number; m: Params; v: Params }): void
  /** Starts incremental decoding of B sequences of at most `maxLength` tokens each. */
  decoder(B: number, maxLength: number): DecodeSession
  dispose(): void
}

/** Parameter names and shapes for a config, in a fixed order. */
export const paramShapes = (c: GPTConfig): Array<[string, Array<number>]> => {
  const C = c.nEmbd
  const out: Array<[string, Array<number>]> = [
    ["transformer.wte.weight", [c.vocabSize, C]],
    ["transformer.wpe.weight", [c.nPositions, C]]
  ]
  for (let l = 0; l < c.nLayer; l++) {
    const p = `transformer.h.${l}.`
    out.push(
      [`${p}ln_1.weight`, [C]],
      [`${p}ln_1.bias`, [C]],
      [`${p}attn.c_attn.weight`, [C, 3 * C]],
      [`${p}attn.c_attn.bias`, [3 * C]],
      [`${p}attn.c_proj.weight`, [C, C]],
      [`${p}attn.c_proj.bias`, [C]],
      [`${p}ln_2.weight`, [C]],
      [`${p}ln_2.bias`, [C]],
      [`${p}mlp.c_fc.weight`, [C, 4 * C]],
      [`${p}mlp.c_fc.bias`, [4 * C]],
      [`${p}mlp.c_proj.weight`, [4 * C, C]],
      [`${p}mlp.c_proj.bias`, [C]]
    )
  }
  out.push(["transformer.ln_f.weight", [C]], ["transformer.ln_f.bias", [C]])
  if (c.valueHead) out.push(["v_head.weight", [C]], ["v_head.bias", [1]])
  return out
}

/** Number of scalar parameters (the tied LM head counted once). */
export const paramCount = (c: GPTConfig): number =>
  paramShapes(c).reduce((s, [, shape]) => s + shape.reduce((a, b) => a * b, 1), 0)
