/**
 * Gold episodes logged by the original simulator, replayed through this
 * engine: per episode, whether every action is accepted or rejected as in the
 * log and whether the final score is the same.
 *
 * The fixture `packages/envs/fixtures/sciworld-gold.jsonl.gz` holds, per
 * episode, the task type, variation, task description and each step's action,
 * observation, score and completion flag (see this folder's README for where
 * the episodes come from).
 */
import * as path from "node:path"
import { Effect, Schema } from "effect"
import { type DataFileError, Jsonl, Paths } from "@eto/core"
import type { Variation } from "./data"
import { NO_MATCH } from "./game"
import type { Settings } from "./settings"
import { newGame } from "./tasks"

export const GoldStep = Schema.Struct({
  action: Schema.String,
  observation: Schema.String,
  score: Schema.Number,
  completed: Schema.Boolean
})

export const GoldEpisode = Schema.Struct({
  task: Schema.String,
  variation: Schema.Number,
  description: Schema.String,
  steps: Schema.Array(GoldStep)
})
export type GoldEpisode = typeof GoldEpisode.Type

export const GOLD_FILE = path.join(Paths.repoRoot(), "packages", "envs", "fixtures", "sciworld-gold.jsonl.gz")

export const loadGold = (file: string = GOLD_FILE): Effect.Effect<ReadonlyArray<GoldEpisode>, DataFileError> =>
  Jsonl.readJsonl(GoldEpisode, file, "the gold-episode fixture ships with the repository")

export interface ReplayDiff {
  readonly step: number
  readonly action: string
  readonly logged: string
  readonly ours: string
}

export interface ReplayResult {
  readonly id: string
  readonly steps: number
  /** Every action accepted (or rejected) as in the log. */
  readonly sameAcceptance: boolean
  /** Final scores equal after rounding to whole points. */
  readonly sameScore: boolean
  readonly loggedScore: number
  readonly ourScore: number
  /** Steps whose observation is the logged one, character for character. */
  readonly sameObservations: number
  /** The first step accepted differently, if any. */
  readonly firstAcceptanceDiff: ReplayDiff | undefined
  /** The first step whose observation differs, if any. */
  readonly firstObservationDiff: ReplayDiff | undefined
  /** Steps whose acceptance differs. */
  readonly acceptanceDiffs: ReadonlyArray<ReplayDiff>
}

const points = (score: number): number => Math.round(score * 100)

/** Replays one logged episode on a fresh game of its variation. */
export const replayGold = (episode: GoldEpisode, variation: Variation, settings: Settings): ReplayResult => {
  const game = newGame(variation, settings)
  let sameObservations = 0
  let firstObservationDiff: ReplayDiff | undefined
  const acceptanceDiffs: Array<ReplayDiff> = []
  episode.steps.forEach((s, i) => {
    const r = game.step(s.action)
    const loggedAccepted = s.observation !== NO_MATCH
    if (loggedAccepted !== r.parsed) acceptanceDiffs.push({ step: i, action: s.action, logged: s.observation, ours: r.observation })
    if (r.observation === s.observation) sameObservations++
    else firstObservationDiff ??= { step: i, action: s.action, logged: s.observation, ours: r.observation }
  })
  const last = episode.steps[episode.steps.length - 1]
  const loggedScore = last?.score ?? 0
  return {
    id: `${episode.task}/${episode.variation}`,
    steps: episode.steps.length,
    sameAcceptance: acceptanceDiffs.length === 0,
    sameScore: points(loggedScore) === points(game.score),
    loggedScore,
    ourScore: game.score,
    sameObservations,
    firstAcceptanceDiff: acceptanceDiffs[0],
    firstObservationDiff,
    acceptanceDiffs
  }
}

/** Whether a replay matches the log on acceptance and final score. */
export const faithful = (r: ReplayResult): boolean => r.sameAcceptance && r.sameScore
