/**
 * Checkpoint loading: a small real checkpoint (model.safetensors,
 * tokenizer.json, config.json) with one file damaged: truncated, bytes
 * flipped, its JSON (or the safetensors header) mutated field by field,
 * its header length forged, replaced by random bytes, emptied or removed.
 * Contract: loading either succeeds with a usable checkpoint (finite
 * weights, a tokenizer that encodes within the vocabulary) or fails with
 * one line that names a file of the checkpoint; nothing else is ever thrown.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { DataFileError } from "@eto/core"
import * as Checkpoint from "@eto/policy/Checkpoint"
import { defaultConfig, initParams } from "@eto/policy/Init"
import { train } from "@eto/policy/Tokenizer"
import fc from "fast-check"
import { applyJsonMutation, type JsonMutation, jsonMutation } from "./Inputs"
import { expectOneLine, expectThat, type FuzzTarget } from "./Target"

const FILES = ["config.json", "model.safetensors", "tokenizer.json"] as const
type CheckpointFile = typeof FILES[number]

type Damage =
  | { readonly kind: "truncate"; readonly at: number }
  | { readonly kind: "flip"; readonly bytes: ReadonlyArray<{ readonly at: number; readonly xor: number }> }
  | { readonly kind: "json"; readonly mutations: ReadonlyArray<JsonMutation> }
  | { readonly kind: "header-length"; readonly length: bigint }
  | { readonly kind: "random"; readonly bytes: Uint8Array }
  | { readonly kind: "empty" }
  | { readonly kind: "remove" }

interface Input {
  readonly file: CheckpointFile
  readonly damage: Damage
}

const fraction = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true })

const damage: fc.Arbitrary<Damage> = fc.oneof(
  fc.record({ kind: fc.constant("truncate" as const), at: fraction }),
  fc.record({ kind: fc.constant("flip" as const), bytes: fc.array(fc.record({ at: fraction, xor: fc.integer({ min: 1, max: 255 }) }), { minLength: 1, maxLength: 4 }) }),
  { arbitrary: fc.record({ kind: fc.constant("json" as const), mutations: fc.array(jsonMutation, { minLength: 1, maxLength: 3 }) }), weight: 4 },
  fc.record({ kind: fc.constant("header-length" as const), length: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }) }),
  fc.record({ kind: fc.constant("random" as const), bytes: fc.uint8Array({ maxLength: 64 }) }),
  fc.record({ kind: fc.constant("empty" as const) }),
  fc.record({ kind: fc.constant("remove" as const) })
)

/** The safetensors header as JSON, and the data after it. */
const splitSafetensors = (buf: Buffer): { header: unknown; data: Buffer } => {
  const n = Number(buf.readBigUInt64LE(0))
  return { header: JSON.parse(buf.subarray(8, 8 + n).toString("utf8")), data: buf.subarray(8 + n) }
}

const joinSafetensors = (header: unknown, data: Buffer): Buffer => {
  const json = Buffer.from(JSON.stringify(header) ?? "null", "utf8")
  const len = Buffer.alloc(8)
  len.writeBigUInt64LE(BigInt(json.length))
  return Buffer.concat([len, json, data])
}

/** The damaged bytes of `file` (undefined: the file is removed). */
const damaged = (file: CheckpointFile, pristine: Buffer, d: Damage): Buffer | undefined => {
  switch (d.kind) {
    case "truncate":
      return pristine.subarray(0, Math.floor(d.at * pristine.length))
    case "flip": {
      const out = Buffer.from(pristine)
      for (const b of d.bytes) out[Math.floor(b.at * out.length)]! ^= b.xor
      return out
    }
    case "json": {
      if (file === "model.safetensors") {
        const { header, data } = splitSafetensors(pristine)
        return joinSafetensors(d.mutations.reduce(applyJsonMutation, header), data)
      }
      const mutated = d.mutations.reduce(applyJsonMutation, JSON.parse(pristine.toString("utf8")) as unknown)
      return Buffer.from(JSON.stringify(mutated) ?? "", "utf8")
    }
    case "header-length": {
      const out = Buffer.from(pristine)
      out.writeBigUInt64LE(d.length, 0)
      return out
    }
    case "random":
      return Buffer.from(d.bytes)
    case "empty":
      return Buffer.alloc(0)
    case "remove":
      return undefined
  }
}

export const checkpointLoading: FuzzTarget<Input> = {
  name: "checkpoint",
  contract: "a damaged checkpoint loads usable or fails with one line naming its file",
  prepare: async () => {
    const tok = train(["Thought: look around.\nAction: go to shelf 1", "Observation: you see a mug", "Thought: take it.\nAction: take mug"], {
      vocabSize: 300,
      minFrequency: 1
    })
    const config = defaultConfig({ vocabSize: tok.size, nPositions: 12, nEmbd: 8, nLayer: 2, nHead: 2 })
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "eto-fuzz-ckpt-"))
    const source = path.join(root, "pristine")
    Checkpoint.saveSync(source, { config, params: initParams(config, 1), tokenizer: tok })
    const pristine = Object.fromEntries(FILES.map((f) => [f, fs.readFileSync(path.join(source, f))])) as Record<CheckpointFile, Buffer>
    const dir = path.join(root, "damaged")
    fs.mkdirSync(dir)
    return {
      arbitrary: fc.record({ file: fc.constantFrom(...FILES), damage }),
      dispose: () => fs.rmSync(root, { recursive: true, force: true }),
      check: ({ file, damage: d }) => {
        for (const f of FILES) fs.writeFileSync(path.join(dir, f), pristine[f])
        const bytes = damaged(file, pristine[file], d)
        if (bytes === undefined) fs.rmSync(path.join(dir, file))
        else fs.writeFileSync(path.join(dir, file), bytes)
        let ckpt: Checkpoint.Checkpoint
        try {
          ckpt = Checkpoint.loadSync(dir)
        } catch (e) {
          expectThat(e instanceof DataFileError, () => `threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`)
          const err = e as DataFileError
          expectOneLine(err.message, "rejection")
          expectThat(FILES.some((f) => err.path === path.join(dir, f)), () => `names no file of the checkpoint: ${err.message}`)
          return `rejected ${file}`
        }
        for (const [name, t] of ckpt.params) {
          expectThat(t.data.every((x) => Number.isFinite(x)), () => `loaded non-finite weights in ${name}`)
        }
        let ids: Array<number>
        try {
          ids = ckpt.tokenizer.encode("Thought: take the mug.\nAction: take mug 1 from shelf 1 ünïcode")
        } catch (e) {
          throw new Error(`loaded a tokenizer that cannot encode: ${e instanceof Error ? e.message : String(e)}`)
        }
        expectThat(ids.every((id) => Number.isInteger(id) && id >= 0 && id < ckpt.config.vocabSize), () => "encoded outside the vocabulary")
        return `loaded ${file}`
      }
    }
  }
}
