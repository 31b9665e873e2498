import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import * as Checkpoint from "../src/Checkpoint"
import { paramShapes } from "../src/Engine"
import { defaultConfig, initParams } from "../src/Init"
import * as Safetensors from "../src/Safetensors"
import { train } from "../src/Tokenizer"
import { makeTfjsEngine } from "../src/tfjs/index"

const here = path.dirname(fileURLToPath(import.meta.url))
const script = path.resolve(here, "../scripts/check_hf_gpt2.py")
const tok = train(["Thought: look around.\nAction: go to shelf 1", "Observation: you see a mug", "Thought: take it.\nAction: take mug"], {
  vocabSize: 300,
  minFrequency: 1
})
const config = defaultConfig({ vocabSize: tok.size, nPositions: 12, nEmbd: 8, nLayer: 2, nHead: 2 })
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "eto-ckpt-"))

// Parameters with structure everywhere (LayerNorm gains/biases included), so a transposed or swapped tensor shows.
const params = initParams(config, 3)
for (const [name, t] of params) if (!name.endsWith("c_attn.weight")) for (let i = 0; i < t.data.length; i++) t.data[i] = t.data[i]! + Math.sin(i * 0.7 + name.length) * 0.2

const torchAvailable = fs.existsSync("/usr/bin/python3") && spawnSync("/usr/bin/python3", ["-c", "import torch"]).status === 0

describe("checkpoints", () => {
  it("writes the safetensors format byte by byte as specified", () => {
    const dir = path.join(tmp(), "ckpt")
    Checkpoint.saveSync(dir, { config, params, tokenizer: tok })
    const buf = new Uint8Array(fs.readFileSync(path.join(dir, "model.safetensors")))
    const n = Number(new DataView(buf.buffer, buf.byteOffset).getBigUint64(0, true))
    expect((8 + n) % 8).toBe(0)
    const header = JSON.parse(new TextDecoder().decode(buf.subarray(8, 8 + n)))
    expect(header.__metadata__).toEqual({ format: "pt" })
    let offset = 0
    for (const [name, shape] of paramShapes(config)) {
      const e = header[name]
      expect(e.dtype).toBe("F32")
      expect(e.shape).toEqual(shape)
      const bytes = 4 * shape.reduce((a, b) => a * b, 1)
      expect(e.data_offsets).toEqual([offset, offset + bytes])
      const data = new Float32Array(buf.slice(8 + n + offset, 8 + n + offset + bytes).buffer)
      expect(Array.from(data)).toEqual(Array.from(params.get(name)!.data))
      offset += bytes
    }
    expect(buf.byteLength).toBe(8 + n + offset)
    expect(Object.keys(header)).toHaveLength(paramShapes(config).length + 1)
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8"))
    expect(cfg).toMatchObject({ model_type: "gpt2", architectures: ["GPT2LMHeadModel"], activation_function: "gelu_new", n_embd: 8, n_layer: 2, n_head: 2, n_positions: 12, vocab_size: tok.size, layer_norm_epsilon: 1e-5 })
    expect(cfg.eos_token_id).toBe(tok.special("<|endoftext|>"))
  })

  it("round-trips weights, tokenizer, optimizer state and training metadata; replaces atomically", () => {
    const root = tmp()
    const dir = path.join(root, "ckpt")
    const m = new Map([...params].map(([k, t]) => [k, { shape: t.shape, data: t.data.map((x) => x * 0.5) }]))
    const v = new Map([...params].map(([k, t]) => [k, { shape: t.shape, data: t.data.map((x) => x * x) }]))
    const training = { step: 7, microBatches: 14, tokensSeen: 900, seed: 1, engine: "tfjs(cpu)", options: { lr: 0.001 }, history: [{ step: 7, loss: 2.5, lr: 0.001, gradNorm: 0.9 }] }
    Checkpoint.saveSync(dir, { config, params: initParams(config, 9), tokenizer: tok })
    Checkpoint.saveSync(dir, { config, params, tokenizer: tok, optimizer: { step: 7, m, v }, training })
    expect(fs.readdirSync(root)).toEqual(["ckpt"])
    const back = Checkpoint.loadSync(dir)
    expect(back.config).toEqual(config)
    for (const [k, t] of params) expect(Array.from(back.params.get(k)!.data)).toEqual(Array.from(t.data))
    expect(back.optimizer!.step).toBe(7)
    expect(Array.from(back.optimizer!.v.get("transformer.wte.weight")!.data)).toEqual(Array.from(v.get("transformer.wte.weight")!.data))
    expect(back.training).toEqual(training)
    expect(back.tokenizer.encode("Action: take mug")).toEqual(tok.encode("Action: take mug"))
  })

  it("reads GPT-2 files as published: unprefixed names, lm_head copy, attention buffers", () => {
    const dir = path.join(tmp(), "hf")
    fs.mkdirSync(dir)
    Checkpoint.saveSync(dir, { config, params, tokenizer: tok })
    const legacy = new Map<string, { shape: Array<number>; data: Float32Array }>()
    for (const [name, t] of params) legacy.set(name.replace(/^transformer\./, ""), { shape: t.shape.slice(), data: t.data })
    for (let l = 0; l < config.nLayer; l++) {
      legacy.set(`h.${l}.attn.bias`, { shape: [1, 1, 12, 12], data: new Float32Array(144).fill(1) })
      legacy.set(`h.${l}.attn.masked_bias`, { shape: [], data: Float32Array.of(-1e4) })
    }
    legacy.set("lm_head.weight", params.get("transformer.wte.weight")! as { shape: Array<number>; data: Float32Array })
    fs.writeFileSync(path.join(dir, "model.safetensors"), Safetensors.encode(legacy, { format: "pt" }))
    const back = Checkpoint.loadSync(dir)
    for (const [k, t] of params) expect(Array.from(back.params.get(k)!.data)).toEqual(Array.from(t.data))
  })

  it("rejects broken checkpoints with one line naming the file", () => {
    const dir = path.join(tmp(), "bad")
    Checkpoint.saveSync(dir, { config, params, tokenizer: tok })
    const file = path.join(dir, "model.safetensors")
    const good = fs.readFileSync(file)
    fs.writeFileSync(file, good.subarray(0, good.length - 4))
    expect(() => Checkpoint.loadSync(dir)).toThrow(/model\.safetensors: .*outside the .*data section/)
    fs.writeFileSync(file, good)
    fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify({ model_type: "llama" }))
    expect(() => Checkpoint.loadSync(dir)).toThrow(/config\.json: not a GPT-2 config/)
    expect(() => Checkpoint.loadSync(path.join(dir, "nope"))).toThrow(/checkpoint directory not found/)
  })

  it(`loads in a torch GPT-2 with transformers' naming and gives our logits${torchAvailable ? "" : " (torch absent: format checks only)"}`, async () => {
    const dir = path.join(tmp(), "ckpt")
    Checkpoint.saveSync(dir, { config, params, tokenizer: tok })
    const engine = await makeTfjsEngine(config, params)
    const tokens = [tok.encode("Thought: take it.\nAction: go to").slice(0, 10), tok.encode("Observation: you see a mug ok").slice(0, 10)]
    expect(tokens[0]!.length).toBe(10)
    const T = 10, V = config.vocabSize
    const flat = engine.logits({ tokens: Int32Array.from(tokens.flat()), targets: new Int32Array(2 * T).fill(-1), B: 2, T })
    engine.dispose()
    const logits = tokens.map((_, b) => Array.from({ length: T }, (_, t) => Array.from(flat.slice((b * T + t) * V, (b * T + t + 1) * V))))
    const expected = path.join(dir, "..", "expected.json")
    fs.writeFileSync(expected, JSON.stringify({ tokens, logits }))
    if (torchAvailable) {
      // The check must also catch a wrong model: one perturbed weight in a second checkpoint.
      const bad = new Map(params)
      const w = params.get("transformer.h.1.mlp.c_fc.weight")!
      bad.set("transformer.h.1.mlp.c_fc.weight", { shape: w.shape, data: w.data.map((x, i) => (i === 3 ? x + 0.5 : x)) })
      const badDir = path.join(dir, "..", "perturbed")
      Checkpoint.saveSync(badDir, { config, params: bad, tokenizer: tok })
      const r = spawnSync("/usr/bin/python3", [script, expected, "1e-4", dir, badDir], { encoding: "utf8" })
      const [good, wrong] = r.stdout.trim().split("\n").map((l) => JSON.parse(l))
      expect(good.problems).toEqual([])
      expect(good.ok).toBe(true)
      expect(good.maxAbsDiff).toBeLessThan(1e-4)
      expect(wrong.ok).toBe(false)
      expect(wrong.problems[0]).toMatch(/logits differ/)
      expect(r.status).toBe(1)
    } else {
      const back = Checkpoint.loadSync(dir)
      for (const [k, t] of params) expect(Array.from(back.params.get(k)!.data)).toEqual(Array.from(t.data))
    }
  })
})
