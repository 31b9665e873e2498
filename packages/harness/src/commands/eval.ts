/**
 * `eto eval`: runs a policy on a split of an environment, writes the
 * trajectories and a one-row summary, and prints the average reward and
 * success rate (both x100, as in the paper's tables).
 */
import * as path from "node:path"
import { Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { InvalidInput, rollout, summarize } from "@eto/core"
import { loadEnvironment } from "../Environments"
import * as Flags from "../Flags"
import { Io, println } from "../Io"
import { fileLabel, POLICY_FORMS, resolvePolicy } from "../Policies"
import { makeProgress } from "../Progress"
import { evalFiles, partialTrajectories, SFT_FORMATS, summaryRow, writeConversations, writeEvalResults } from "../Results"

export const evalFlags = {
  env: Flags.env,
  policy: Flag.String("policy").pipe(Flag.withDescription(`Policy to run (${POLICY_FORMS.join(", ")})`)),
  split: Flag.String("split").pipe(Flag.optional, Flag.withDescription("Split to evaluate (default: the environment's)")),
  limit: Flag.Int("limit").pipe(Flag.optional, Flag.withDescription("Evaluate only the first N tasks of the split")),
  seed: Flags.seed,
  batch: Flag.Int("batch").pipe(Flag.withDefault(16), Flag.withDescription("Episodes run together, one policy call per step for all (default 16)")),
  json: Flags.json,
  settings: Flags.settings,
  dataDir: Flags.dataDir,
  out: Flag.String("out").pipe(
    Flag.optional,
    Flag.withMetavar("dir"),
    Flag.withDescription("Directory for the trajectories and the summary (default: results/<env>/eval)")
  ),
  exportConversations: Flag.String("export-conversations").pipe(
    Flag.optional,
    Flag.withMetavar("file"),
    Flag.withDescription("Also write the trajectories as ETO/FastChat conversations (JSONL, SFT data)")
  ),
  exportMinReward: Flag.Finite("export-min-reward").pipe(
    Flag.optional,
    Flag.withMetavar("r"),
    Flag.withDescription("Export only trajectories whose final reward is at least r (e.g. 1 for successes only)")
  ),
  exportFormat: Flag.Literals("export-format", SFT_FORMATS).pipe(
    Flag.withDefault("fastchat" as const),
    Flag.withDescription("Layout of --export-conversations: fastchat (ETO's conversations) or trl (TRL's messages)")
  ),
  ...Flags.remote
}

const atLeastOne = (flag: string, value: Option.Option<number>) =>
  Option.isSome(value) && value.value < 1
    ? Effect.fail(new InvalidInput({ reason: `--${flag} must be at least 1 (got ${value.value})` }))
    : Effect.void

export const evalCommand = Command.make("eval", evalFlags, (flags) =>
  Effect.gen(function*() {
    const io = yield* Io
    yield* atLeastOne("limit", flags.limit)
    yield* atLeastOne("batch", Option.some(flags.batch))
    if (Option.isSome(flags.exportMinReward) && Option.isNone(flags.exportConversations)) {
      return yield* new InvalidInput({ reason: "--export-min-reward needs --export-conversations" })
    }
    const env = yield* loadEnvironment({
      env: flags.env,
      dataDir: Option.getOrUndefined(flags.dataDir),
      settings: flags.settings
    })
    const split = Option.getOrElse(flags.split, () => env.defaultSplit)
    const all = yield* env.tasks(split)
    const tasks = Option.match(flags.limit, { onNone: () => all, onSome: (n) => all.slice(0, n) })
    const resolved = yield* resolvePolicy(flags.policy, { env, seed: flags.seed, remote: yield* Flags.remoteSettings(flags) })

    const dir = Option.getOrElse(flags.out, () => path.join("results", env.name, "eval"))
    const files = evalFiles(dir, `${fileLabel(resolved.label)}-${fileLabel(split)}-seed${flags.seed}`)
    const partial = yield* partialTrajectories(files.trajectories)

    const progress = makeProgress(io, `eval ${env.name}/${split} ${resolved.label}`, tasks.length)
    let rewardSum = 0
    let finished = 0
    const started = performance.now()
    const trajectories = yield* rollout(env, resolved.policy, tasks, {
      batchSize: flags.batch,
      source: resolved.source,
      onEpisode: (done, _total, t) => {
        partial.append(t)
        finished = done
        rewardSum += t.reward
        progress.update(done, `avg reward ${((rewardSum / done) * 100).toFixed(1)}`)
      }
    }).pipe(
      Effect.onExit((exit) =>
        Effect.sync(() => {
          if (exit._tag === "Success") return
          if (finished === 0) partial.discard()
          else progress.finish(`eval stopped: ${finished} finished episodes kept in ${partial.file}`)
        })
      )
    )
    const wallSeconds = (performance.now() - started) / 1000
    const usage = resolved.policy.usage?.()
    const summary = {
      ...summarize(trajectories, { env: env.name, split, policy: resolved.label, seed: flags.seed, wallSeconds }),
      ...(usage === undefined ? {} : { promptTokens: usage.promptTokens, completionTokens: usage.completionTokens })
    }
    const row = summaryRow(summary)
    progress.finish(
      `eval ${env.name}/${split} ${resolved.label}: ${row.tasks} tasks in ${row.wall_seconds.toFixed(1)} s`
    )

    yield* writeEvalResults(files, trajectories, row)
    partial.discard()
    const conversations = Option.getOrUndefined(flags.exportConversations)
    const minReward = Option.getOrElse(flags.exportMinReward, () => Number.NEGATIVE_INFINITY)
    const exported = trajectories.filter((t) => t.reward >= minReward)
    if (conversations !== undefined) yield* writeConversations(conversations, exported, env.instructionPrompt, flags.exportFormat)

    if (flags.json) {
      yield* println(JSON.stringify({
        ...row,
        trajectories_file: files.trajectories,
        summary_file: files.summary,
        ...(conversations === undefined ? {} : { conversations_file: conversations, conversations: exported.length })
      }))
    } else {
      yield* println(`${env.name} ${split} ${resolved.label}: ${row.tasks} tasks, seed ${row.seed}`)
      yield* println(`  average reward  ${row.avg_reward.toFixed(2)}`)
      yield* println(`  success rate    ${row.success_rate.toFixed(2)}`)
      yield* println(`  mean steps      ${row.mean_steps.toFixed(2)}`)
      if (usage !== undefined) {
        yield* println(`  tokens          ${usage.promptTokens} prompt, ${usage.completionTokens} completion (${usage.requests} requests)`)
      }
      yield* println(`  trajectories    ${files.trajectories}`)
      yield* println(`  summary         ${files.summary}`)
      if (conversations !== undefined) yield* println(`  conversations   ${conversations} (${exported.length})`)
    }
  })
).pipe(
  Command.withDescription("Run a policy on a split and report average reward and success rate (x100)"),
  Command.withExamples([
    { command: "eto eval --env webshop --policy expert --split test --limit 20", description: "Expert on 20 test goals" },
    {
      command: "eto eval --env webshop --policy expert --split train --export-conversations sft.jsonl",
      description: "Expert trajectories as SFT data"
    },
    {
      command: "eto eval --env webshop --policy openai:gpt-4o-mini --split test --limit 20",
      description: "A hosted model, prompted with the instruction and a one-shot example (key from OPENAI_API_KEY)"
    }
  ])
)
