/**
 * Exports for training elsewhere: `eto eval --export-format trl`,
 * `eto export sft` and `eto export pairs` on real WebShop episodes.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { Conversations, Jsonl, PreferencePair, Trajectory } from "@eto/core"
import { cli, tempDir } from "./support"

const lines = (file: string) => fs.readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l))

describe("exports", () => {
  it.effect("SFT data and preference pairs in TRL's and ETO's layouts", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const run = (args: ReadonlyArray<string>) =>
        Effect.tap(cli(args), (r) => Effect.sync(() => expect(r.code, r.stderr).toBe(0)))
      const expert = yield* run(["eval", "--env", "webshop", "--policy", "expert", "--split", "train", "--limit", "3", "--out", dir, "--json",
        "--export-conversations", path.join(dir, "sft-trl.jsonl"), "--export-format", "trl"])
      const random = yield* run(["eval", "--env", "webshop", "--policy", "random", "--split", "train", "--limit", "3", "--out", dir, "--json", "--seed", "2"])
      const sft = lines(path.join(dir, "sft-trl.jsonl"))
      expect(sft).toHaveLength(3)
      expect(Object.keys(sft[0])).toEqual(["messages"])
      expect(sft[0].messages[0].content).toMatch(/^You are shopping on a web store/)
      expect(sft[0].messages[1]).toEqual({ role: "assistant", content: "OK" })

      // eto export sft: trajectories need the environment's instruction; FastChat files carry it.
      const trajectoriesFile = JSON.parse(expert.stdout).trajectories_file
      const viaExport = path.join(dir, "sft-export.jsonl")
      yield* run(["export", "sft", "--input", trajectoriesFile, "--env", "webshop", "--out", viaExport])
      expect(lines(viaExport)).toEqual(sft)
      const fastchat = path.join(dir, "sft-fastchat.jsonl")
      yield* run(["export", "sft", "--input", trajectoriesFile, "--env", "webshop", "--format", "fastchat", "--out", fastchat])
      const back = path.join(dir, "sft-back.jsonl")
      yield* run(["export", "sft", "--input", fastchat, "--out", back])
      expect(lines(back)).toEqual(sft)
      const noEnv = yield* cli(["export", "sft", "--input", trajectoriesFile, "--out", back])
      expect(noEnv.code).toBe(1)
      expect(noEnv.stderr.trim()).toMatch(/its records carry no instruction prompt; give --env$/)

      // Pairs: the expert's episode against the random policy's on the same goals.
      const experts = yield* Jsonl.readJsonl(Trajectory, trajectoriesFile)
      const randoms = yield* Jsonl.readJsonl(Trajectory, JSON.parse(random.stdout).trajectories_file)
      const pairs: Array<PreferencePair> = experts.map((e, i) => ({
        level: "trajectory", task: e.task, initialObservation: e.initialObservation, prefix: [],
        chosen: e.turns, rejected: randoms[i]!.turns, chosenReward: e.reward, rejectedReward: randoms[i]!.reward
      }))
      const pairsFile = path.join(dir, "pairs.jsonl")
      yield* Jsonl.writeJsonl(PreferencePair, pairsFile, pairs)
      const trl = path.join(dir, "dpo-trl.jsonl")
      const done = yield* run(["export", "pairs", "--input", pairsFile, "--env", "webshop", "--out", trl, "--json"])
      expect(JSON.parse(done.stdout)).toEqual({ out: trl, format: "trl", records: 3 })
      const records = lines(trl)
      for (const [i, r] of records.entries()) {
        expect(Object.keys(r)).toEqual(["prompt", "chosen", "rejected"])
        expect(r.prompt.at(-1)).toEqual({ role: "user", content: experts[i]!.initialObservation })
        expect(r.chosen[0].role).toBe("assistant")
        expect(r.chosen.filter((m: { role: string }) => m.role === "assistant")).toHaveLength(experts[i]!.turns.length)
        expect(r.rejected.filter((m: { role: string }) => m.role === "assistant")).toHaveLength(randoms[i]!.turns.length)
      }
      // ETO's DPO layout, and from it TRL's again without --env.
      const eto = path.join(dir, "dpo-eto.jsonl")
      yield* run(["export", "pairs", "--input", pairsFile, "--env", "webshop", "--format", "eto", "--out", eto])
      const etoRecords = yield* Jsonl.readJsonl(Conversations.DpoRecord, eto)
      expect(etoRecords[0]!.id).toBe(experts[0]!.task.id)
      const again = path.join(dir, "dpo-again.jsonl")
      yield* run(["export", "pairs", "--input", eto, "--out", again])
      expect(lines(again)).toEqual(records)
    }))
})
