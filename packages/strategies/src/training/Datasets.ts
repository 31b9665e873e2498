/**
 * Training sets made from other phases' trajectories: `rft` is the expert
 * data plus the distinct successful explorations; `successful` is the
 * successful explorations alone (self-play, which has no expert).
 */
import * as path from "node:path"
import { type DataFileError, InvalidInput, Jsonl, Trajectory } from "@eto/core"
import { Effect, Schema } from "effect"
import type { ExploreManifest } from "../Phases"
import { readTrajectories } from "../Phases"
import * as Pairs from "../Pairs"
import { memoPhase, type PhaseOutput } from "../Runner"
import { type PhaseEnv, TRAINING_VERSIONS } from "./Checkpoints"

export const DatasetManifest = Schema.Struct({ file: Schema.String, trajectories: Schema.Int, added: Schema.Int })
export type DatasetManifest = typeof DatasetManifest.Type

/**
 * A training set of trajectories: `rft` is the expert data plus the distinct
 * successful explorations; `successful` is the successful explorations alone
 * (self-play, which has no expert). With `minReward`, an exploration is kept
 * when it succeeded or its final reward is at least that (Pairs.kept).
 */
export const dataset = (
  kind: "rft" | "successful",
  inputs: { readonly expert?: PhaseOutput<{ readonly file: string }> | undefined; readonly explorations: PhaseOutput<ExploreManifest> },
  options: { readonly minReward?: number | undefined } = {}
): Effect.Effect<PhaseOutput<DatasetManifest>, DataFileError | InvalidInput, PhaseEnv> => {
  if (kind === "rft" && inputs.expert === undefined) return Effect.fail(new InvalidInput({ reason: "an RFT data set needs expert data" }))
  const minReward = options.minReward
  return memoPhase(
    {
      phase: "dataset",
      version: TRAINING_VERSIONS.dataset,
      config: { kind, ...(minReward !== undefined ? { minReward } : {}) },
      upstream: { explorations: inputs.explorations, ...(kind === "rft" ? { expert: inputs.expert! } : {}) },
      manifest: DatasetManifest
    },
    (ctx) =>
      Effect.gen(function*() {
        const explorations = yield* readTrajectories(inputs.explorations)
        const data = kind === "rft"
          ? Pairs.rftDataset(yield* readTrajectories(inputs.expert!), explorations, minReward)
          : (() => {
            const ok = Pairs.successful(explorations, minReward)
            return { trajectories: ok, added: ok.length }
          })()
        yield* Jsonl.writeJsonl(Trajectory, path.join(ctx.dir, "trajectories.jsonl"), data.trajectories)
        ctx.log(`${data.trajectories.length} trajectories (${data.added} from explorations)`)
        return { file: "trajectories.jsonl", trajectories: data.trajectories.length, added: data.added }
      })
  )
}
