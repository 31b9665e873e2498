/**
 * `prompted`: a model behind an OpenAI-compatible API (a hosted model, a
 * vLLM server, `eto serve`), prompted with the environment's instruction
 * and a one-shot example and never trained: Table 2's GPT-4, GPT-3.5-Turbo
 * and Llama-2-7B-Chat rows. Greedy by default; with `samples` > 1 each test
 * task is sampled that many times and the episode with the highest reward
 * is kept (Best-of-N of the prompted model). The copies of a task run side
 * by side, so their first turns go out as one request with `n` choices.
 *
 * Evaluations are memoised phases keyed by the model, the API root and the
 * sampling settings, so a rerun does not query the model again; each
 * records the prompt and completion tokens the server reported.
 *
 * `remotePolicyRef` gives the same model as a `PolicyRef` for any phase that
 * takes a policy (exploration, step exploration, self-play sampling).
 */
import * as path from "node:path"
import { EvaluationSummary, Jsonl, rollout, summarize, type Task, Trajectory } from "@eto/core"
import type { LoadedEnvironment } from "@eto/envs"
import { Remote } from "@eto/policy"
import { Effect, Schema } from "effect"
import type { ResolvedPrompted } from "../Config"
import type { StrategyImpl } from "../Experiment"
import * as Pairs from "../Pairs"
import { type PolicyRef, selectTasks } from "../Phases"
import { memoPhase } from "../Runner"

export const PROMPTED_VERSION = "1"

export type RemoteSettings = Pick<ResolvedPrompted, "model" | "baseUrl" | "shots" | "temperature" | "maxTokens" | "concurrency">

export interface RemotePolicyRef extends PolicyRef {
  readonly policy: Remote.RemotePolicy
}

/** A remote model as a policy for phases; its one-shot example is the expert solving a training task. */
export const remotePolicyRef = (env: LoadedEnvironment, s: RemoteSettings, seed: number) =>
  Effect.gen(function*() {
    const model = Remote.remoteModel(s.model) ?? s.model
    const baseURL = Remote.resolveBaseUrl(s.baseUrl)
    const example = s.shots === 0 ? undefined : yield* Remote.oneShotExample(env, env.expert(0))
    const policy = yield* Remote.makeRemotePolicy({
      model,
      baseURL,
      instructionPrompt: env.instructionPrompt,
      example,
      temperature: s.temperature,
      maxTokens: s.maxTokens,
      concurrency: s.concurrency,
      seed
    })
    const ref: RemotePolicyRef = {
      name: `${Remote.REMOTE_PREFIX}${model}`,
      policy,
      settings: {
        baseURL,
        shots: s.shots,
        temperature: s.temperature,
        maxTokens: s.maxTokens ?? null,
        ...(s.temperature > 0 ? { seed } : {})
      }
    }
    return ref
  })

export const PromptedManifest = Schema.Struct({
  file: Schema.String,
  /** Every sample; `file` holds the kept episode per task. */
  samplesFile: Schema.String,
  summary: EvaluationSummary,
  requests: Schema.Int
})
export type PromptedManifest = typeof PromptedManifest.Type

/** Each task `samples` times in a row, so a task's copies share a batch. */
const repeated = (tasks: ReadonlyArray<Task>, samples: number): Array<Task> => tasks.flatMap((t) => Array.from({ length: samples }, () => t))

/** The prompted model on (a spread subset of) a split; best of `samples` per task. */
export const promptedEvaluation = (
  env: LoadedEnvironment,
  ref: RemotePolicyRef,
  o: { readonly split: string; readonly limit: number | undefined; readonly samples: number; readonly seed: number; readonly label: string }
) =>
  memoPhase(
    {
      phase: "prompted-evaluate",
      version: PROMPTED_VERSION,
      config: { env: env.name, split: o.split, limit: o.limit ?? null, samples: o.samples, seed: o.seed, policy: { name: ref.name, settings: ref.settings } },
      manifest: PromptedManifest
    },
    (ctx) =>
      Effect.gen(function*() {
        const t0 = performance.now()
        const before = ref.policy.usage()
        const tasks = selectTasks(yield* env.tasks(o.split), o.limit)
        const all = yield* rollout(env, ref.policy, repeated(tasks, o.samples), {
          source: { kind: "policy", name: ref.name },
          onEpisode: (done, total) => ctx.progress(done, total)
        })
        const kept = o.samples > 1 ? Pairs.bestOfN(all) : [...all]
        const after = ref.policy.usage()
        yield* Jsonl.writeJsonl(Trajectory, path.join(ctx.dir, "samples.jsonl"), all)
        yield* Jsonl.writeJsonl(Trajectory, path.join(ctx.dir, "trajectories.jsonl"), kept)
        const summary = {
          ...summarize(kept, { env: env.name, split: o.split, policy: o.label, seed: o.seed, wallSeconds: (performance.now() - t0) / 1000 }),
          promptTokens: after.promptTokens - before.promptTokens,
          completionTokens: after.completionTokens - before.completionTokens
        }
        ctx.log(`${o.label}: ${summary.promptTokens} prompt and ${summary.completionTokens} completion tokens in ${after.requests - before.requests} requests`)
        return { file: "trajectories.jsonl", samplesFile: "samples.jsonl", summary, requests: after.requests - before.requests }
      })
  )

export const prompted: StrategyImpl<"prompted"> = {
  run: (ctx) =>
    Effect.gen(function*() {
      const s = ctx.strategy
      const ref = yield* remotePolicyRef(ctx.env, s, ctx.seed)
      const evaluations = yield* Effect.forEach(ctx.evalSplits, (split) =>
        Effect.map(
          promptedEvaluation(ctx.env, ref, { split, limit: ctx.testTasks, samples: s.samples, seed: ctx.seed, label: s.label }),
          (out) => out.manifest.summary
        ))
      return { evaluations }
    })
}
