/**
 * What a person sees when an input is bad: one line on standard error that
 * names the file (and line) and the field, never an internal dump such as
 * `Cause([Fail(SchemaError(...`.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Checkpoint from "@eto/policy/Checkpoint"
import { defaultConfig, initParams } from "@eto/policy/Init"
import { train } from "@eto/policy/Tokenizer"
import { decodeActions } from "../src/ActionsFile"
import { cli, type CliRun, tempDir } from "./support"

const expectLine = (r: CliRun, code: number, expected: string) => {
  expect(r.code).toBe(code)
  const lines = r.stderr.trimEnd().split("\n")
  expect(lines).toEqual([expected])
  expect(r.stderr).not.toMatch(/Cause\(|SchemaError\(|Fail\(|\bat .*\.ts:\d+/)
}

/** A small real checkpoint, with `damage` applied to its files. */
const checkpoint = (damage: (dir: string) => void): string => {
  const tok = train(["Thought: look.\nAction: look", "Observation: a room"], { vocabSize: 280, minFrequency: 1 })
  const config = defaultConfig({ vocabSize: tok.size, nPositions: 16, nEmbd: 8, nLayer: 1, nHead: 2 })
  const dir = path.join(tempDir(), "ckpt")
  Checkpoint.saveSync(dir, { config, params: initParams(config, 1), tokenizer: tok })
  damage(dir)
  return dir
}

const editJson = (file: string, edit: (j: any) => void) => {
  const j = JSON.parse(fs.readFileSync(file, "utf8"))
  edit(j)
  fs.writeFileSync(file, JSON.stringify(j))
}

const generate = (dir: string) => cli(["policy", "generate", "--checkpoint", dir, "--prompt", "Your task is to: look."])

describe("error messages name the file and the field", () => {
  it.effect("a checkpoint's config.json with a field of the wrong type", () =>
    Effect.gen(function*() {
      const dir = checkpoint((d) => editJson(path.join(d, "config.json"), (j) => (j.n_layer = "two")))
      expectLine(yield* generate(dir), 1, `eto: ${dir}/config.json: not a GPT-2 config: n_layer: Expected number`)
      const zero = checkpoint((d) => editJson(path.join(d, "config.json"), (j) => (j.n_head = 0)))
      expectLine(yield* generate(zero), 1, `eto: ${zero}/config.json: not a GPT-2 config: n_head: Expected a value between 1 and 1024`)
    }))

  it.effect("a truncated or corrupted model.safetensors", () =>
    Effect.gen(function*() {
      const cut = checkpoint((d) => {
        const f = path.join(d, "model.safetensors")
        const b = fs.readFileSync(f)
        fs.writeFileSync(f, b.subarray(0, b.length - 100))
      })
      expect((yield* generate(cut)).stderr).toMatch(new RegExp(`^eto: ${cut}/model\\.safetensors: tensor '[\\w.]+': offsets \\[\\d+, \\d+\\] outside the \\d+-byte data section\\n$`))
      const nan = checkpoint((d) => {
        const f = path.join(d, "model.safetensors")
        const b = fs.readFileSync(f)
        b.writeFloatLE(Number.NaN, b.length - 4)
        fs.writeFileSync(f, b)
      })
      expect((yield* generate(nan)).stderr).toMatch(new RegExp(`^eto: ${nan}/model\\.safetensors: tensor [\\w.]+ holds a non-finite value \\(NaN\\) at index \\d+\\n$`))
    }))

  it.effect("a tokenizer.json with a broken vocabulary", () =>
    Effect.gen(function*() {
      const dir = checkpoint((d) => editJson(path.join(d, "tokenizer.json"), (j) => (j.model.vocab = ["a"])))
      expectLine(yield* generate(dir), 1, `eto: ${dir}/tokenizer.json: not a byte-level BPE tokenizer.json: model.vocab: Expected object`)
      const hole = checkpoint((d) =>
        editJson(path.join(d, "tokenizer.json"), (j) => {
          const [token] = Object.entries(j.model.vocab).find(([, id]) => id === 5)!
          j.model.vocab[token] = 1_000_000_000
        }))
      expectLine(yield* generate(hole), 1, `eto: ${hole}/tokenizer.json: vocabulary has no token with id 5`)
    }))

  it.effect("a JSONL record with a bad field names the file, line and field", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const data = path.join(dir, "sft.jsonl")
      fs.writeFileSync(data, [
        JSON.stringify({ id: 1, conversations: [{ from: "human", value: "hi" }] }),
        JSON.stringify({ id: 2, conversations: [{ from: "robot", value: "hi" }] })
      ].join("\n"))
      expectLine(
        yield* cli(["policy", "train-sft", "--data", data, "--out", path.join(dir, "out")]),
        1,
        `eto: ${data}:2: bad record: conversations[0].from: Expected "human" | "gpt"`
      )
    }))

  it.effect("an empty SFT data file is named", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const data = path.join(dir, "empty.jsonl")
      fs.writeFileSync(data, "\n")
      expectLine(yield* cli(["policy", "train-sft", "--data", data, "--out", path.join(dir, "out")]), 1, `eto: ${data}: no training conversations in the file`)
    }))

  it.effect("an experiment configuration with a bad field", () =>
    Effect.gen(function*() {
      const file = path.join(tempDir(), "cfg.json")
      fs.writeFileSync(file, JSON.stringify({ name: "x", env: "webshop", scale: "smoke", seeds: [1], strategies: [{ _tag: "sft", lr: "fast" }] }))
      expectLine(yield* cli(["bench", "webshop", "--config", file]), 1, `eto: ${file}: bad experiment config: strategies[0].lr: Expected number`)
    }))

  it.effect("a bad environment setting and a command with a line break", () =>
    Effect.gen(function*() {
      expectLine(
        yield* cli(["eval", "--env", "alfworld", "--policy", "random", "--set", "max_steps=0"]),
        1,
        "eto: alfworld: bad setting max_steps: Expected a value between 1 and 1000"
      )
      expectLine(
        yield* cli(["eval", "--env", "webshop", "--policy", "expert", "--set", "seed=minus"]),
        1,
        "eto: webshop: bad setting seed: Expected an integer"
      )
      expectLine(yield* cli(["policy", "gen\nerate"]), 2, "eto policy: unknown command \"gen\\nerate\" (did you mean generate?) (see 'eto policy --help')")
    }))
})

describe("actions files", () => {
  it.effect("a carriage return alone ends a line, so no action carries one", () =>
    Effect.gen(function*() {
      const entries = yield* decodeActions("look\rinventory\r\ngo to desk 1\n", "acts.txt")
      expect(entries).toEqual([
        { _tag: "Action", action: "look" },
        { _tag: "Action", action: "inventory" },
        { _tag: "Action", action: "go to desk 1" }
      ])
    }))
})
