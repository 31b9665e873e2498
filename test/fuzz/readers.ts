/**
 * The file readers: trajectories JSONL, ETO/FastChat conversations (and the
 * SFT data union), DPO pairs, `eto replay` action files and experiment
 * configurations. Inputs are real records (expert rollouts, the shipped
 * configurations) mutated field by field and as text, mixed with blank,
 * random and foreign lines. Contract: a reader never throws or dies; it
 * accepts exactly the texts whose every line decodes on its own (and what it
 * accepts survives an encode/decode round trip), and a rejection is one
 * line naming the file and the first bad line, or the field.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Conversations, DataFileError, Jsonl, Paths, type PreferencePair, rollout, Trajectory } from "@eto/core"
import { modules } from "@eto/envs"
import { decodeActions } from "@eto/harness/ActionsFile"
import { SftRecord } from "@eto/policy/Sft"
import { Config } from "@eto/strategies"
import { Cause, Effect, Exit, Result, Schema } from "effect"
import fc from "fast-check"
import { applyEdits, edit, mutatedJson, nastyText } from "./Inputs"
import { expectOneLine, expectThat, type FuzzTarget } from "./Target"

const FILE = "fuzzed/input.jsonl"

/** Real trajectories: the WebShop and ScienceWorld experts on a few training tasks. */
const expertTrajectories = async (): Promise<Array<Trajectory>> => {
  const out: Array<Trajectory> = []
  for (const name of ["webshop", "sciworld"] as const) {
    const env = await Effect.runPromise((await modules[name]!()).load())
    const tasks = (await Effect.runPromise(env.tasks("train"))).slice(0, 3)
    out.push(...await Effect.runPromise(rollout(env, env.expert(0), tasks, { source: { kind: "expert" } })))
  }
  return out
}

const pairsOf = (ts: ReadonlyArray<Trajectory>): Array<PreferencePair> =>
  ts.slice(1).map((t, i) => ({
    level: i % 2 === 0 ? "trajectory" : "step",
    task: t.task,
    initialObservation: t.initialObservation,
    prefix: i % 2 === 0 ? [] : t.turns.slice(0, 1),
    chosen: t.turns,
    rejected: ts[i]!.turns,
    chosenReward: t.reward,
    rejectedReward: ts[i]!.reward
  }))

/** A JSONL text: lines that are records (mutated or not), blank, random text or other JSON, joined and edited. */
const jsonlText = (samples: ReadonlyArray<unknown>): fc.Arbitrary<string> => {
  const valid = samples.map((s) => JSON.stringify(s))
  const line = fc.oneof(
    { arbitrary: fc.constantFrom(...valid), weight: 4 },
    { arbitrary: mutatedJson(samples), weight: 4 },
    fc.constantFrom("", "  ", "\t"),
    nastyText,
    fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v))
  )
  return fc.tuple(fc.array(line, { minLength: 1, maxLength: 5 }), fc.constantFrom("\n", "\r\n"), fc.boolean(), fc.array(edit, { maxLength: 1 }))
    .map(([lines, sep, trailing, edits]) => applyEdits(lines.join(sep) + (trailing ? sep : ""), edits))
}

/** The contract of a JSONL reader over `schema`. */
const checkJsonl = <S extends Schema.Codec<any, any, never, never>>(
  schema: S,
  text: string,
  extra?: (values: ReadonlyArray<S["Type"]>) => void
): string => {
  const exit = Effect.runSyncExit(Jsonl.decodeJsonl(schema, text, FILE))
  const lines = text.split("\n")
  const alone = (l: string) => Effect.runSyncExit(Jsonl.decodeJsonl(schema, l, FILE))
  if (Exit.isSuccess(exit)) {
    const records = lines.filter((l) => l.trim() !== "")
    expectThat(exit.value.length === records.length, () => `accepted ${exit.value.length} records from ${records.length} lines`)
    const back = Effect.runSyncExit(Jsonl.decodeJsonl(schema, Jsonl.encodeJsonl(schema, exit.value), FILE))
    expectThat(Exit.isSuccess(back) && JSON.stringify(back.value) === JSON.stringify(exit.value), () => "what was accepted does not survive a round trip")
    extra?.(exit.value)
    return "accepted"
  }
  const error = Cause.findErrorOption(exit.cause)
  expectThat(error._tag === "Some" && error.value instanceof DataFileError, () => `died or failed with something else: ${Cause.pretty(exit.cause).slice(0, 300)}`)
  const e = (error as { value: DataFileError }).value
  expectOneLine(e.message, "rejection")
  expectThat(e.path === FILE && e.line !== undefined && e.message.startsWith(`${FILE}:${e.line}: `), () => `does not name the file and line: ${e.message}`)
  expectThat(Exit.isFailure(alone(lines[e.line! - 1]!)), () => `line ${e.line} was named but decodes on its own: ${e.message}`)
  for (let i = 0; i < e.line! - 1; i++) expectThat(Exit.isSuccess(alone(lines[i]!)), () => `line ${i + 1} is bad too but ${e.line} was named`)
  if (/bad record/.test(e.message)) expectThat(/bad record: (\S+: |Expected|Missing)/.test(e.reason), () => `names no field: ${e.message}`)
  return "rejected"
}

const jsonlTarget = <S extends Schema.Codec<any, any, never, never>>(
  name: string,
  contract: string,
  schema: S,
  samples: () => Promise<ReadonlyArray<unknown>>,
  extra?: (values: ReadonlyArray<S["Type"]>) => void
): FuzzTarget<string> => ({
  name,
  contract,
  prepare: async () => ({ arbitrary: jsonlText(await samples()), check: (text) => checkJsonl(schema, text, extra) })
})

let trajectoriesOnce: Promise<Array<Trajectory>> | undefined
const trajectories = () => (trajectoriesOnce ??= expertTrajectories())
const encodeAll = <S extends Schema.Codec<any, any, never, never>>(schema: S, values: ReadonlyArray<S["Type"]>) =>
  values.map((v) => Schema.encodeSync(schema)(v))

export const trajectoriesJsonl = jsonlTarget(
  "jsonl-trajectories",
  "trajectory JSONL: first bad line named, accepted records round-trip",
  Trajectory,
  async () => encodeAll(Trajectory, await trajectories())
)

const toTrajectory = Schema.decodeUnknownSync(Trajectory)
export const conversations = jsonlTarget(
  "conversations",
  "FastChat conversations: first bad line named; every accepted record becomes a valid trajectory",
  Conversations.ConversationRecord,
  async () => (await trajectories()).map((t) => Conversations.trajectoryToConversation(t, "You are an agent.")),
  (records) => {
    for (const r of records) toTrajectory(Schema.encodeSync(Trajectory)(Conversations.conversationToTrajectory(r, "webshop")))
  }
)

export const sftData = jsonlTarget(
  "sft-data",
  "SFT data (conversations or trajectories): first bad line named, accepted records round-trip",
  SftRecord,
  async () => [
    ...(await trajectories()).map((t) => Conversations.trajectoryToConversation(t, "You are an agent.")),
    ...encodeAll(Trajectory, await trajectories())
  ]
)

export const dpo = jsonlTarget(
  "dpo",
  "DPO pairs: first bad line named, accepted records round-trip",
  Conversations.DpoRecord,
  async () => pairsOf(await trajectories()).map((p) => Conversations.pairToDpo(p, "You are an agent."))
)

export const actionsFile: FuzzTarget<string> = {
  name: "actions-file",
  contract: "replay action files: every non-blank line becomes one entry, or one line naming the file and line",
  prepare: async () => {
    const ts = await trajectories()
    const actions = [...new Set(ts.flatMap((t) => t.turns.map((u) => u.action)))]
    const outputs = ts.flatMap((t) => t.turns.map((u) => JSON.stringify({ output: `Thought: ${u.thought}\nAction: ${u.action}` })))
    const plain = fc.array(fc.oneof({ arbitrary: fc.constantFrom(...actions), weight: 4 }, nastyText, fc.constant("")), { minLength: 1, maxLength: 6 })
    const json = fc.array(fc.oneof({ arbitrary: fc.constantFrom(...outputs), weight: 4 }, mutatedJson(outputs.map((o) => JSON.parse(o))), nastyText), { minLength: 1, maxLength: 6 })
    const file = "fuzzed/actions.txt"
    return {
      arbitrary: fc.tuple(fc.oneof(plain, json), fc.constantFrom("\n", "\r\n"), fc.array(edit, { maxLength: 1 }))
        .map(([lines, sep, edits]) => applyEdits(lines.join(sep), edits)),
      check: (text) => {
        const exit = Effect.runSyncExit(decodeActions(text, file))
        if (Exit.isSuccess(exit)) {
          const nonBlank = text.split(/\r\n|\r|\n/).filter((l) => l.trim() !== "").length
          expectThat(exit.value.length === nonBlank, () => `${exit.value.length} entries from ${nonBlank} lines`)
          for (const e of exit.value) {
            if (e._tag === "Action") expectThat(e.action !== "" && !/[\r\n]/.test(e.action), () => `bad action entry ${JSON.stringify(e.action)}`)
          }
          return "accepted"
        }
        const error = Cause.findErrorOption(exit.cause)
        expectThat(error._tag === "Some" && error.value instanceof DataFileError, () => `died: ${Cause.pretty(exit.cause).slice(0, 300)}`)
        const e = (error as { value: DataFileError }).value
        expectOneLine(e.message, "rejection")
        expectThat(e.path === file && e.message.startsWith(file), () => `does not name the file: ${e.message}`)
        expectThat(e.line !== undefined || /no actions in file/.test(e.reason), () => `names no line: ${e.message}`)
        return "rejected"
      }
    }
  }
}

export const experimentConfig: FuzzTarget<string> = {
  name: "experiment-config",
  contract: "experiment configurations: accepted ones resolve; a rejection is one line naming the file and the field",
  prepare: async () => {
    const dir = path.join(Paths.repoRoot(), "packages", "strategies", "src", "configs")
    const samples = fs.readdirSync(dir).filter((f) => f.endsWith(".json")).sort()
      .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as unknown)
    const file = "fuzzed/config.json"
    return {
      arbitrary: fc.oneof({ arbitrary: mutatedJson(samples, 2), weight: 5 }, nastyText, fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v))),
      check: (text) => {
        let r: ReturnType<typeof Config.decodeConfig>
        try {
          r = Config.decodeConfig(text, file)
        } catch (e) {
          throw new Error(`decodeConfig threw: ${e instanceof Error ? e.message : String(e)}`)
        }
        if (Result.isSuccess(r)) {
          const labels = Config.checkLabels(r.success)
          if (Result.isFailure(labels)) {
            expectOneLine(labels.failure.message, "label check")
            return "rejected"
          }
          Config.scaleLimits(r.success)
          return "accepted"
        }
        const e = r.failure
        expectOneLine(e.message, "rejection")
        expectThat(e.message.startsWith(`${file}: `), () => `does not name the file: ${e.message}`)
        expectThat(/invalid JSON|\["[^"]*"\]|\[\d+\]| at |: Expected|Missing key/.test(e.reason), () => `names no field: ${e.message}`)
        return "rejected"
      }
    }
  }
}
