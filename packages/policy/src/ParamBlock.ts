/**
 * The parameter block the `native` and `cpu` engines keep their parameters,
 * gradients and AdamW moments in: every tensor at a fixed offset of one
 * float32 array, matrices and embeddings first, then vectors, each 64-byte
 * aligned, so AdamW decays exactly the prefix [0, nDecay). Reading a block
 * gives a `Params` map in `paramShapes` order; writing one checks every
 * tensor's name and shape first.
 */
import type { GPTConfig, Params } from "./Engine"
import { paramShapes } from "./Engine"

export interface Slot {
  /** Offset in floats from the start of the block. */
  readonly at: number
  readonly shape: Array<number>
  readonly size: number
}

export interface BlockLayout {
  /** Tensor name -> its place, in block order. */
  readonly slots: Map<string, Slot>
  /** Floats in the block (padding included). */
  readonly nParams: number
  /** The decayed prefix: every matrix and embedding lies below it. */
  readonly nDecay: number
}

/** An engine's error class: one line naming what was wrong. */
export type EngineErrorClass = new(args: { readonly message: string }) => Error

export const blockLayout = (config: GPTConfig): BlockLayout => {
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
  return { slots, nParams: at, nDecay }
}

/** Copies of the block starting at float `base` of `memory`, one tensor per parameter. */
export const readBlock = (config: GPTConfig, slots: Map<string, Slot>, memory: Float32Array, base: number): Params => {
  const out: Params = new Map()
  for (const [name] of paramShapes(config)) {
    const s = slots.get(name)!
    const from = base + s.at
    out.set(name, { shape: [...s.shape], data: memory.slice(from, from + s.size) })
  }
  return out
}

/**
 * Writes `params` into the block starting at float `base` of `memory`, after
 * checking that they name exactly the block's tensors with its shapes (`what`
 * names the call in the error).
 */
export const writeBlock = (
  slots: Map<string, Slot>,
  memory: Float32Array,
  base: number,
  params: Params,
  what: string,
  fail: EngineErrorClass
): void => {
  for (const [name, s] of slots) {
    const t = params.get(name)
    if (!t) throw new fail({ message: `${what}: missing tensor ${name}` })
    if (t.shape.length !== s.shape.length || t.shape.some((d, i) => d !== s.shape[i]) || t.data.length !== s.size) {
      throw new fail({
        message: `${what}: ${name} has shape [${t.shape.join(", ")}] (${t.data.length} values), expected [${s.shape.join(", ")}]`
      })
    }
  }
  for (const name of params.keys()) {
    if (!slots.has(name)) throw new fail({ message: `${what}: unknown tensor ${name} for this config` })
  }
  for (const [name, s] of slots) memory.set(params.get(name)!.data, base + s.at)
}
