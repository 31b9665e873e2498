/**
 * `eto export`: data for training elsewhere.
 *   sft    trajectories (or FastChat conversations) as SFT data: ETO/FastChat
 *          `conversations`, or TRL's conversational `messages`
 *   pairs  preference pairs (a pairs phase's pairs.jsonl, or ETO DPO records)
 *          as ETO's DPO records, or TRL's `prompt` / `chosen` / `rejected`
 * Records that carry no instruction prompt (trajectories, pairs) take the
 * environment's, so those need `--env`.
 */
import { Effect, Option, Schema } from "effect"
import { Command, Flag } from "effect/cli"
import { Conversations, type DataFileError, InvalidInput, Jsonl, PreferencePair, Trajectory } from "@eto/core"
import { loadEnvironment } from "../Environments"
import * as Flags from "../Flags"
import { println } from "../Io"
import { SFT_FORMATS } from "../Results"

const SftInput = Schema.Union([Trajectory, Conversations.ConversationRecord])
const PairInput = Schema.Union([PreferencePair, Conversations.DpoRecord])

const input = Flag.String("input").pipe(Flag.withMetavar("jsonl"), Flag.withDescription("File to convert, one JSON record per line"))
const out = Flag.String("out").pipe(Flag.withMetavar("file"), Flag.withDescription("JSONL file to write"))
const env = Flag.String("env").pipe(Flag.optional, Flag.withDescription("Environment whose instruction prompt opens each conversation (trajectories and pairs)"))

/** The instruction prompt, loaded only when some record needs it. */
const instructionFor = (needed: boolean, name: Option.Option<string>, dataDir: Option.Option<string>, file: string): Effect.Effect<string, InvalidInput | DataFileError> =>
  !needed
    ? Effect.succeed("")
    : Option.isNone(name)
    ? Effect.fail(new InvalidInput({ reason: `${file}: its records carry no instruction prompt; give --env` }))
    : Effect.map(loadEnvironment({ env: name.value, dataDir: Option.getOrUndefined(dataDir), settings: [] }), (e) => e.instructionPrompt)

const sft = Command.make(
  "sft",
  {
    input,
    out,
    env,
    format: Flag.Literals("format", SFT_FORMATS).pipe(Flag.withDefault("trl" as const), Flag.withDescription("fastchat (ETO's conversations) or trl (TRL's messages); default trl")),
    minReward: Flag.Finite("min-reward").pipe(Flag.optional, Flag.withMetavar("r"), Flag.withDescription("Keep only records whose reward is at least r")),
    dataDir: Flags.dataDir,
    json: Flags.json
  },
  (f) =>
    Effect.gen(function*() {
      const records = yield* Jsonl.readJsonl(SftInput, f.input)
      const instruction = yield* instructionFor(records.some((r) => "turns" in r), f.env, f.dataDir, f.input)
      const min = Option.getOrElse(f.minReward, () => Number.NEGATIVE_INFINITY)
      const conversations = records
        .filter((r) => (r.reward ?? 0) >= min)
        .map((r) => ("turns" in r ? Conversations.trajectoryToConversation(r, instruction) : r))
      if (f.format === "trl") yield* Jsonl.writeJsonl(Conversations.TrlSftRecord, f.out, conversations.map(Conversations.conversationToTrl))
      else yield* Jsonl.writeJsonl(Conversations.ConversationRecord, f.out, conversations)
      yield* println(f.json ? JSON.stringify({ out: f.out, format: f.format, records: conversations.length }) : `${f.out}: ${conversations.length} ${f.format} records`)
    })
).pipe(Command.withDescription("Trajectories or conversations as SFT data (TRL messages or ETO/FastChat conversations)"))

const pairs = Command.make(
  "pairs",
  {
    input,
    out,
    env,
    format: Flag.Literals("format", ["eto", "trl"]).pipe(Flag.withDefault("trl" as const), Flag.withDescription("eto (ETO's DPO records) or trl (TRL's prompt / chosen / rejected); default trl")),
    dataDir: Flags.dataDir,
    json: Flags.json
  },
  (f) =>
    Effect.gen(function*() {
      const records = yield* Jsonl.readJsonl(PairInput, f.input)
      const instruction = yield* instructionFor(records.some((r) => "level" in r), f.env, f.dataDir, f.input)
      const dpo = records.map((r) => ("level" in r ? Conversations.pairToDpo(r, instruction) : r))
      if (f.format === "trl") yield* Jsonl.writeJsonl(Conversations.TrlPreferenceRecord, f.out, dpo.map(Conversations.dpoToTrl))
      else yield* Jsonl.writeJsonl(Conversations.DpoRecord, f.out, dpo)
      yield* println(f.json ? JSON.stringify({ out: f.out, format: f.format, records: dpo.length }) : `${f.out}: ${dpo.length} ${f.format} pairs`)
    })
).pipe(Command.withDescription("Preference pairs as DPO data (TRL prompt/chosen/rejected or ETO's DPO records)"))

export const exportCommand = Command.make("export").pipe(
  Command.withDescription("Convert trajectories and preference pairs for training elsewhere (TRL, ETO/FastChat)"),
  Command.withSubcommands([sft, pairs])
)
