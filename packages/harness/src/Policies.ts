/**
 * Turning a `--policy` value into a policy. Every command that runs a policy
 * goes through `resolvePolicy`; new kinds of policy (e.g. a trained
 * checkpoint, `checkpoint:<dir>`) are added as one more case there.
 */
import { Effect } from "effect"
import { type DataFileError, InvalidInput, type PolicyError, randomPolicy, type PolicyShape, type TrajectorySource } from "@eto/core"
import type { LoadedEnvironment } from "@eto/envs"
import { makeCheckpointPolicy } from "@eto/policy"

export interface ResolvedPolicy {
  readonly policy: PolicyShape
  /** Recorded in each trajectory. */
  readonly source: TrajectorySource
  /** Short name for summaries and file names. */
  readonly label: string
}

export interface PolicyContext {
  readonly env: LoadedEnvironment
  readonly seed: number
}

/** The policy names and forms `resolvePolicy` understands, for help texts and errors. */
export const POLICY_FORMS: ReadonlyArray<string> = ["expert", "random", "checkpoint:<dir>"]

/** What resolving a policy may fail with (a checkpoint may be missing or unreadable). */
export type PolicyResolutionError = InvalidInput | DataFileError | PolicyError

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
    // Prefixed forms "<kind>:<argument>" are added here (and listed in POLICY_FORMS), e.g.
    //   if (value.startsWith("checkpoint:")) return checkpointPolicy(value.slice("checkpoint:".length), ctx)
    // returning { policy, source: { kind: "checkpoint", path }, label }.
    return Effect.fail(new InvalidInput({ reason: `unknown policy '${spec}' (known: ${POLICY_FORMS.join(", ")})` }))
  })

/** A policy label made safe for a file name. */
export const fileLabel = (label: string): string => label.replace(/[^A-Za-z0-9_.-]+/g, "_").replace(/^_+|_+$/g, "") || "policy"
