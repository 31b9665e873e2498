/**
 * Turning a `--policy` value into a policy. Every command that runs a policy
 * goes through `resolvePolicy`; new kinds of policy (e.g. a trained
 * checkpoint, `checkpoint:<dir>`) are added as one more case there.
 */
import { Effect } from "effect"
import {
  type DataFileError,
  InvalidInput,
  type PolicyError,
  type PolicyShape,
  randomPolicy,
  type TrajectorySource,
  type UnknownSplit,
  type UnknownTask
} from "@eto/core"
import type { LoadedEnvironment } from "@eto/envs"
import { makeCheckpointPolicy, Remote } from "@eto/policy"

export interface ResolvedPolicy {
  readonly policy: PolicyShape
  /** Recorded in each trajectory. */
  readonly source: TrajectorySource
  /** Short name for summaries and file names. */
  readonly label: string
}

/** Settings of a remote (`openai:<model>`) policy; the others ignore them. */
export interface RemoteSettings {
  /** Default: $OPENAI_BASE_URL, else the public API. */
  readonly baseUrl?: string | undefined
  readonly concurrency?: number | undefined
  /** In-context examples before the task: 1 (the paper's one-shot prompt) or 0. */
  readonly shots?: 0 | 1 | undefined
  readonly temperature?: number | undefined
  readonly maxTokens?: number | undefined
}

export interface PolicyContext {
  readonly env: LoadedEnvironment
  readonly seed: number
  readonly remote?: RemoteSettings | undefined
}

/** The policy names and forms `resolvePolicy` understands, for help texts and errors. */
export const POLICY_FORMS: ReadonlyArray<string> = ["expert", "random", "checkpoint:<dir>", "openai:<model>"]

/** What resolving a policy may fail with (a checkpoint may be missing or unreadable, a remote one's example not found). */
export type PolicyResolutionError = InvalidInput | DataFileError | PolicyError | UnknownSplit | UnknownTask

/**
 * A prompted model behind an OpenAI-compatible API, shown the environment's
 * instruction and (by default) its one-shot example: the expert solving a
 * training task.
 */
export const remotePolicy = (model: string, env: LoadedEnvironment, seed: number, o: RemoteSettings = {}) =>
  Effect.gen(function*() {
    const example = (o.shots ?? 1) === 0 ? undefined : yield* Remote.oneShotExample(env, env.expert(0))
    return yield* Remote.makeRemotePolicy({
      model,
      baseURL: o.baseUrl,
      instructionPrompt: env.instructionPrompt,
      example,
      temperature: o.temperature,
      maxTokens: o.maxTokens,
      concurrency: o.concurrency,
      seed
    })
  })

export const resolvePolicy = (spec: string, ctx: PolicyContext): Effect.Effect<ResolvedPolicy, PolicyResolutionError> =>
  Effect.suspend((): Effect.Effect<ResolvedPolicy, PolicyResolutionError> => {
    const value = spec.trim()
    switch (value) {
      case "expert":
        return Effect.succeed({ policy: ctx.env.expert(ctx.seed), source: { kind: "expert" }, label: "expert" })
      case "random":
        return Effect.succeed({
          policy: randomPolicy(ctx.seed),
          source: { kind: "policy", name: "random" },
          label: "random"
        })
    }
    if (value.startsWith("checkpoint:")) {
      // A trained checkpoint, greedy decoding, on the default engine.
      const dir = value.slice("checkpoint:".length)
      return Effect.map(
        makeCheckpointPolicy({ checkpoint: dir, instructionPrompt: ctx.env.instructionPrompt, sampling: { seed: ctx.seed } }),
        (policy) => ({ policy, source: { kind: "checkpoint", path: dir }, label: `checkpoint-${dir.split(/[\\/]/).filter(Boolean).pop() ?? "model"}` })
      )
    }
    const model = Remote.remoteModel(value)
    if (model !== undefined) {
      return Effect.map(remotePolicy(model, ctx.env, ctx.seed, ctx.remote), (policy) => ({
        policy,
        source: { kind: "policy", name: `${Remote.REMOTE_PREFIX}${model}` },
        label: `openai-${model}`
      }))
    }
    // Prefixed forms "<kind>:<argument>" are added here (and listed in POLICY_FORMS),
    // returning { policy, source, label }.
    return Effect.fail(new InvalidInput({ reason: `unknown policy '${spec}' (known: ${POLICY_FORMS.join(", ")})` }))
  })

/** A policy label made safe for a file name. */
export const fileLabel = (label: string): string => label.replace(/[^A-Za-z0-9_.-]+/g, "_").replace(/^_+|_+$/g, "") || "policy"
