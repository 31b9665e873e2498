/**
 * The `tfjs` engine: GPT-2 through `@tensorflow/tfjs` ops and autograd. On a
 * machine with the native TensorFlow bindings it runs on the GPU
 * (`@tensorflow/tfjs-node-gpu`) or native CPU (`@tensorflow/tfjs-node`);
 * otherwise on tfjs's pure-JavaScript CPU backend. It is the reference the
 * other engines are tested against.
 */
import type * as TF from "@tensorflow/tfjs"
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
import { paramShapes } from "../Engine"
import { initParams } from "../Init"
import { hidden, type LayerCache, lmHead, outputs, type ParamTensors, setDenseLookup, type TFModule } from "./Model"

export type TfjsBackend = "tfjs-node-gpu" | "tfjs-node" | "cpu"

let loaded: Promise<{ tf: TFModule; backend: TfjsBackend }> | undefined

const tryImport = async (name: string): Promise<boolean> => {
  try {
    await import(/* @vite-ignore */ name)
    return true
  } catch {
    return false
  }
}

/**
 * Loads tfjs with the best backend available: the native GPU bindings, else
 * the native CPU bindings, else the pure-JS CPU backend. Done once per process.
 */
export const loadTfjs = (): Promise<{ tf: TFModule; backend: TfjsBackend }> => {
  loaded ??= (async () => {
    let backend: TfjsBackend = "cpu"
    if (process.env.ETO_TFJS_NATIVE !== "0") {
      if (await tryImport("@tensorflow/tfjs-node-gpu")) backend = "tfjs-node-gpu"
      else if (await tryImport("@tensorflow/tfjs-node")) backend = "tfjs-node"
    }
    const tf = await import("@tensorflow/tfjs")
    if (backend === "cpu") {
      // Silences the one-time advice to install the native bindings.
      tf.enableProdMode()
      await tf.setBackend("cpu")
    }
    await tf.ready()
    setDenseLookup(tf.getBackend() === "cpu")
    return { tf, backend }
  })()
  return loaded
}

/** Whether a native tfjs GPU backend can be loaded here. */
export const hasTfjsGpu = async (): Promise<boolean> => (await loadTfjs()).backend === "tfjs-node-gpu"

const WEIGHT_DECAYED = (shape: ReadonlyArray<number>) => shape.length >= 2

export const makeTfjsEngine = async (config: GPTConfig, params?: Params, options: { seed?: number } = {}): Promise<Engine> => {
  const { tf, backend } = await loadTfjs()
  const shapes = paramShapes(config)
  const names = shapes.map(([n]) => n)
  if (config.nEmbd % config.nHead !== 0) throw new Error(`width ${config.nEmbd} is not divisible by ${config.nHead} heads`)

  const toTensor = (name: string, shape: ReadonlyArray<number>, data: Float32Array) => {
    const want = shape.reduce((a, b) => a * b, 1)
    if (data.length !== want) throw new Error(`parameter ${name}: ${data.length} values, expected ${want} for [${shape.join(", ")}]`)
    return tf.keep(tf.tensor(data, shape as Array<number>, "float32"))
  }
  let p: ParamTensors = {}
  const load = (src: Params) => {
    const next: ParamTensors = {}
    for (const [name, shape] of shapes) {
      const t = src.get(name)
      if (!t) throw new Error(`missing parameter ${name}`)
      if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
        throw new Error(`parameter ${name} has shape [${t.shape.join(", ")}], expected [${shape.join(", ")}]`)
      }
      next[name] = toTensor(name, shape, t.data)
    }
    for (const t of Object.values(p)) t.dispose()
    p = next
  }
  load(params ?? initParams(config, options.seed ?? 0))

  const zerosFor = (): ParamTensors => Object.fromEntries(shapes.map(([n, s]) => [n, tf.keep(tf.zeros(s))]))
  let grads: ParamTensors = zerosFor()
  let m: ParamTensors = zerosFor()
  let v: ParamTensors = zerosFor()
  let stepCount = 0

  const copy = (src: ParamTensors): Params =>
    new Map(shapes.map(([n, s]) => [n, { shape: s.slice(), data: Float32Array.from(src[n]!.dataSync() as Float32Array) }]))

  const batchTensors = (batch: TokenBatch) => {
    if (batch.tokens.length !== batch.B * batch.T || batch.targets.length !== batch.B * batch.T) {
      throw new Error(`token batch of ${batch.tokens.length} tokens / ${batch.targets.length} targets is not [${batch.B}, ${batch.T}]`)
    }
    if (batch.T > config.nPositions) throw new Error(`sequence length ${batch.T} exceeds the context of ${config.nPositions}`)
    for (const t of batch.tokens) if (t < 0 || t >= config.vocabSize) throw new Error(`token id ${t} outside the vocabulary of ${config.vocabSize}`)
    return {
      tokens: tf.tensor2d(batch.tokens, [batch.B, batch.T], "int32"),
      targets: tf.tensor2d(batch.targets, [batch.B, batch.T], "int32")
    }
  }

  const forward = (batch: TokenBatch): ForwardOutputs =>
    tf.tidy(() => {
      const { tokens, targets } = batchTensors(batch)
      const o = outputs(tf, config, p, tokens, targets)
      return {
        logprobs: Float32Array.from(o.logprobs.dataSync() as Float32Array),
        entropies: Float32Array.from(o.entropies.dataSync() as Float32Array),
        values: Float32Array.from(o.values.dataSync() as Float32Array)
      }
    })

  const engine: Engine = {
    name: `tfjs(${backend})`,
    config,
    getParams: () => copy(p),
    setParams: (params) => load(params),
    logits: (batch) =>
      tf.tidy(() => {
        const { tokens } = batchTensors(batch)
        return Float32Array.from(lmHead(tf, p, hidden(tf, config, p, tokens)).dataSync() as Float32Array)
      }),
    forward,
    forwardBackward: (batch, lossFn) => {
      const n = batch.B * batch.T
      let outs: ForwardOutputs | undefined
      let g: OutputGrads | undefined
      tf.tidy(() => {
        const { tokens, targets } = batchTensors(batch)
        const shape: [number, number] = [batch.B, batch.T]
        // One taped forward pass: the outputs are read back mid-way, the loss
        // gives their gradients, and the surrogate sum(output * gradient) has
        // the parameter gradients of the loss.
        const f = (...ts: Array<TF.Tensor>) => {
          const pt: ParamTensors = Object.fromEntries(names.map((nm, i) => [nm, ts[i]!]))
          const o = outputs(tf, config, pt, tokens, targets)
          outs = {
            logprobs: Float32Array.from(o.logprobs.dataSync() as Float32Array),
            entropies: Float32Array.from(o.entropies.dataSync() as Float32Array),
            values: Float32Array.from(o.values.dataSync() as Float32Array)
          }
          g = lossFn(outs)
          const check = (a: Float32Array | undefined, what: string) => {
            if (a && a.length !== n) throw new Error(`${what} has ${a.length} entries, expected ${n}`)
          }
          check(g.dLogprobs, "dLogprobs")
          check(g.dEntropies, "dEntropies")
          check(g.dValues, "dValues")
          // Zero terms keep every parameter on the gradient path.
          let s: TF.Tensor = tf.add(tf.mul(tf.sum(o.logprobs), 0), tf.mul(tf.sum(o.entropies), 0))
          if (config.valueHead) s = tf.add(s, tf.mul(tf.sum(o.values), 0))
          if (g.dLogprobs) s = tf.add(s, tf.sum(tf.mul(o.logprobs, tf.tensor2d(g.dLogprobs, shape))))
          if (g.dEntropies) s = tf.add(s, tf.sum(tf.mul(o.entropies, tf.tensor2d(g.dEntropies, shape))))
          if (g.dValues && config.valueHead) s = tf.add(s, tf.sum(tf.mul(o.values, tf.tensor2d(g.dValues, shape))))
          return s as TF.Scalar
        }
        const gs = tf.grads(f)(names.map((nm) => p[nm]!))
        const next: ParamTensors = {}
        names.forEach((nm, i) => {
          next[nm] = tf.keep(tf.add(grads[nm]!, gs[i]!))
          grads[nm]!.dispose()
        })
        grads = next
      })
      return { loss: g!.loss, outputs: outs! }
    },
    zeroGrad: () => {
      for (const t of Object.values(grads)) t.dispose()
      grads = zerosFor()
    },
    getGrads: () => copy(grads),
    step: (o: AdamWOptions) => {
      stepCount++
      const t = stepCount
      return tf.tidy(() => {
        let sq: TF.Tensor = tf.scalar(0)
        for (const nm of names) sq = tf.add(sq, tf.sum(tf.square(grads[nm]!)))
        const norm = Math.sqrt((sq.dataSync() as Float32Array)[0]!)
        const clip = o.maxGradNorm > 0 && Number.isFinite(o.maxGradNorm) && norm > o.maxGradNorm ? o.maxGradNorm / (norm + 1e-6) : 1
        const bc1 = 1 - o.beta1 ** t, bc2 = 1 - o.beta2 ** t
        const nextP: ParamTensors = {}, nextM: ParamTensors = {}, nextV: ParamTensors = {}
        for (const [nm, shape] of shapes) {
          const gr = tf.mul(grads[nm]!, clip)
          const mm = tf.add(tf.mul(m[nm]!, o.beta1), tf.mul(gr, 1 - o.beta1))
          const vv = tf.add(tf.mul(v[nm]!, o.beta2), tf.mul(tf.square(gr), 1 - o.beta2))
          const update = tf.div(tf.div(mm, bc1), tf.add(tf.sqrt(tf.div(vv, bc2)), o.eps))
          const decayed = WEIGHT_DECAYED(shape) ? tf.mul(p[nm]!, 1 - o.lr * o.weightDecay) : p[nm]!
          nextP[nm] = tf.keep(tf.sub(decayed, tf.mul(update, o.lr)))
          nextM[nm] = tf.keep(mm)
          nextV[nm] = tf.keep(vv)
        }
        for (const nm of names) {
          p[nm]!.dispose()
          m[nm]!.dispose()
          v[nm]!.dispose()
        }
        p = nextP
        m = nextM
        v = nextV
        return norm
      })
    },
    getOptimizerState: () => ({ step: stepCount, m: copy(m), v: copy(v) }),
    setOptimizerState: (state) => {
      const loadInto = (src: Params, what: string): ParamTensors => {
        const out: ParamTensors = {}
        for (const [nm, shape] of shapes) {
          const t = src.get(nm)
          if (!t) throw new Error(`optimizer state lacks ${what} for ${nm}`)
          out[nm] = toTensor(nm, shape, t.data)
        }
        return out
      }
      const nm = loadInto(state.m, "m"), nv = loadInto(state.v, "v")
      for (const t of Object.values(m)) t.dispose()
      for (const t of Object.values(v)) t.dispose()
      m = nm
      v = nv
      stepCount = state.step
    },
    decoder: (B, maxLength) => makeDecoder(tf, config, () => p, B, maxLength),
    dispose: () => {
      for (const set of [p, grads, m, v]) for (const t of Object.values(set)) t.dispose()
    }
  }
  return engine
}

/** A KV-cached decoder: each sequence keeps its own keys/values per layer. */
const makeDecoder = (tf: TFModule, config: GPTConfig, params: () => ParamTensors, B: number, maxLength: number): DecodeSession => {
  if (maxLength > config.nPositions) throw new Error(`decoder length ${maxLength} exceeds the context of ${config.nPositions}`)
  const V = config.vocabSize
  const caches: Array<Array<LayerCache | undefined>> = Array.from({ length: B }, () => new Array(config.nLayer).fill(undefined))
  const lens = new Array<number>(B).fill(0)
  const last = new Float32Array(B * V)
  return {
    B,
    feed: (tokens) => {
      if (tokens.length !== B) throw new Error(`feed got ${tokens.length} sequences, expected ${B}`)
      for (let b = 0; b < B; b++) {
        const ids = tokens[b]!
        if (ids.length === 0) continue
        if (lens[b]! + ids.length > maxLength) throw new Error(`sequence ${b} would grow past ${maxLength} tokens`)
        for (const t of ids) if (t < 0 || t >= V) throw new Error(`token id ${t} outside the vocabulary of ${V}`)
        const cache = caches[b]!
        const old = cache.slice()
        const row = tf.tidy(() => {
          const h = hidden(tf, config, params(), tf.tensor2d(ids, [1, ids.length], "int32"), lens[b]!, cache)
          const lastH = tf.slice(h, [0, ids.length - 1, 0], [1, 1, config.nEmbd])
          return lmHead(tf, params(), lastH).dataSync() as Float32Array
        })
        for (const o of old) {
          o?.k.dispose()
          o?.v.dispose()
        }
        last.set(row, b * V)
        lens[b] = lens[b]! + ids.length
      }
      return Float32Array.from(last)
    },
    lengths: () => lens.slice(),
    dispose: () => {
      for (const cache of caches) for (const c of cache) {
        c?.k.dispose()
        c?.v.dispose()
      }
    }
  }
}
