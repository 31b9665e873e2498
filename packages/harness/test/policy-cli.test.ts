import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { cli, tempDir } from "./support"

const conversation = (id: string, task: string, turns: Array<[string, string]>) => ({
  id,
  conversations: [
    { from: "human", value: "You act in a small house. Answer with Thought and Action." },
    { from: "gpt", value: "OK" },
    { from: "human", value: task },
    ...turns.flatMap(([reply, obs], i) => [
      { from: "gpt", value: reply },
      ...(i < turns.length - 1 ? [{ from: "human", value: `Observation: ${obs}` }] : [])
    ])
  ],
  reward: 1
})

const records = [
  conversation("a", "Your task is to: put a mug on the desk.", [["Thought: find the mug.\nAction: go to shelf 1", "You see a mug 1."], ["Thought: take it.\nAction: take mug 1", ""]]),
  conversation("b", "Your task is to: find a pen.", [["Thought: pens lie on desks.\nAction: go to desk 1", "You see a pen 2."], ["Thought: got it.\nAction: take pen 2", ""]]),
  conversation("c", "Your task is to: open the fridge.", [["Thought: the fridge is in the kitchen.\nAction: open fridge 1", ""]])
]
const tiny = ["--engine", "auto", "--layers", "1", "--width", "16", "--heads", "2", "--context", "96", "--vocab", "300", "--batch", "2", "--seed", "1"]

const oneLine = (r: { code: number; stdout: string; stderr: string }, code: number, text: string | RegExp) => {
  expect(r.code).toBe(code)
  const lines = r.stderr.trimEnd().split("\n")
  expect(lines).toHaveLength(1)
  expect(lines[0]).toMatch(text)
}

describe("eto policy", () => {
  it.effect("train-sft, then generate and logprobs with the checkpoint", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const data = path.join(dir, "sft.jsonl")
      fs.writeFileSync(data, records.map((r) => JSON.stringify(r)).join("\n") + "\n")
      const out = path.join(dir, "ckpt")
      const train = yield* cli(["policy", "train-sft", "--data", data, "--out", out, "--steps", "12", "--lr", "0.01", "--warmup", "2", ...tiny, "--json"])
      expect(train.code).toBe(0)
      const summary = JSON.parse(train.stdout)
      expect(summary.steps).toBe(12)
      expect(summary.loss_after).toBeLessThan(summary.loss_before)
      expect(summary.tokens_per_second).toBeGreaterThan(0)
      expect(train.stderr).toMatch(/train-sft: 12 steps, last loss \d/)
      for (const f of ["config.json", "model.safetensors", "tokenizer.json", "optimizer.safetensors", "training.json"]) {
        expect(fs.existsSync(path.join(out, f))).toBe(true)
      }

      const gen = yield* cli(["policy", "generate", "--checkpoint", out, "--input", data, "--max-tokens", "8", "--json"])
      expect(gen.code).toBe(0)
      const lines = gen.stdout.trim().split("\n").map((l) => JSON.parse(l))
      expect(lines.map((l) => l.id)).toEqual(["a", "b", "c"])
      expect(lines[0].reference).toBe("Thought: take it.\nAction: take mug 1")
      for (const l of lines) expect(typeof l.output).toBe("string")
      const prompt = yield* cli(["policy", "generate", "--checkpoint", out, "--prompt", "Your task is to: find a pen.", "--max-tokens", "6", "--temperature", "0.8", "--seed", "3"])
      expect(prompt.code).toBe(0)
      const again = yield* cli(["policy", "generate", "--checkpoint", out, "--prompt", "Your task is to: find a pen.", "--max-tokens", "6", "--temperature", "0.8", "--seed", "3"])
      expect(again.stdout).toBe(prompt.stdout)

      const lp = yield* cli(["policy", "logprobs", "--checkpoint", out, "--input", data, "--json"])
      expect(lp.code).toBe(0)
      const scores = lp.stdout.trim().split("\n").map((l) => JSON.parse(l))
      expect(scores.map((s) => s.id)).toEqual(["a", "b", "c"])
      for (const s of scores) {
        expect(s.logprob).toBeLessThan(0)
        expect(s.tokens).toBeGreaterThan(5)
      }
      // Two agent turns score more tokens than one.
      expect(scores[0].tokens).toBeGreaterThan(scores[2].tokens)
      const text = yield* cli(["policy", "logprobs", "--checkpoint", out, "--input", data])
      expect(text.stdout.split("\n")[0]).toMatch(/^a\t-\d+\.\d{4}\t\d+$/)

      // Resuming a finished run takes no further steps and keeps the checkpoint.
      const resumed = yield* cli(["policy", "train-sft", "--data", data, "--out", out, "--resume", ...tiny, "--json"])
      expect(resumed.code).toBe(0)
      expect(JSON.parse(resumed.stdout).steps).toBe(12)
    }))

  it.effect("bad flags and files: one line, non-zero exit", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const missing = path.join(dir, "nope.jsonl")
      oneLine(yield* cli(["policy", "train-sft", "--data", missing, "--out", path.join(dir, "o")]), 1, /nope\.jsonl: file not found/)
      const bad = path.join(dir, "bad.jsonl")
      fs.writeFileSync(bad, JSON.stringify(records[0]) + "\n{\"id\": 3, \"conversations\": [{\"from\": \"robot\"}]}\n")
      oneLine(yield* cli(["policy", "train-sft", "--data", bad, "--out", path.join(dir, "o")]), 1, /bad\.jsonl:2: bad record/)
      oneLine(yield* cli(["policy", "train-sft", "--data", bad, "--out", path.join(dir, "o"), "--batch", "0"]), 1, "--batch must be a positive integer (got 0)")
      oneLine(yield* cli(["policy", "train-sft", "--data", bad, "--out", path.join(dir, "o"), "--engine", "gpu"]), 2, /--engine/)
      oneLine(yield* cli(["policy", "train-sft", "--out", path.join(dir, "o")]), 2, "missing required flag --data")
      oneLine(yield* cli(["policy", "generate", "--checkpoint", dir, "--prompt", "x", "--input", bad]), 1, "give exactly one of --prompt and --input")
      oneLine(yield* cli(["policy", "generate", "--checkpoint", path.join(dir, "none"), "--prompt", "x"]), 1, /none: checkpoint directory not found/)
      oneLine(yield* cli(["policy", "logprobs", "--checkpoint", dir, "--input", bad]), 1, /bad\.jsonl:2/)
      oneLine(yield* cli(["policy", "logprobs", "--checkpoint", dir, "--input", missing.replace("nope", "ok")]), 1, /file not found/)
    }))
})
