/**
 * The model every strategy of an experiment trains, and the view it has of
 * an episode: how observations are fitted to a small context
 * (`model.maxObservationChars`, the environment's labelled view and its
 * action maps or, with `model.observationView: structured`, its opt-in
 * structured view, an observation that repeats the one before shown as a short
 * mark, the environment's notes on the episode so far), how replies are
 * written (`model.thoughts`) and decoded
 * (`model.noRepeatNgram`), and how conversations become training windows
 * (`model.windows`). Training data and prompts go through the same view, so
 * a checkpoint is always prompted the way it was trained; `trainingModelKey`
 * puts the view into every training phase's key.
 */
import { type EnvironmentShape, formatReply, parseReply, type PolicyShape, type Turn } from "@eto/core"
import { type EngineKind, Render } from "@eto/policy"
import { Effect } from "effect"
import type { ExperimentConfig } from "../Config"
import { repairingPolicy } from "./ActionRepair"

/** The model every strategy of an experiment trains, and how it generates. */
export interface ModelSettings {
  readonly nLayer: number
  readonly nEmbd: number
  readonly nHead: number
  readonly nPositions: number
  readonly vocabSize: number
  readonly engine: EngineKind
  /** Most tokens generated per agent turn. */
  readonly maxReplyTokens: number
  /** Observation view: characters kept per observation (undefined: all). */
  readonly maxObservationChars: number | undefined
  readonly instructionPrompt: "full" | "none"
  /** "keep": ReAct replies; "drop": replies with an empty thought; "none": "Action: ..." alone. */
  readonly thoughts: "keep" | "drop" | "none"
  /** Decoding never repeats an n-gram of this size within a reply (0: off). */
  readonly noRepeatNgram: number
  /** Training windows (Render.Windows); "episode" also orders micro-batches by length. */
  readonly windows: Render.Windows
  /** "mark": an observation identical (in the view) to the one before it is shown as `REPEATED_OBSERVATION`. */
  readonly repeatedObservations: "keep" | "mark"
  /** "env": each observation is followed by the environment's note on the episode so far (LoadedEnvironment.stateNotes), where it has one. */
  readonly stateNotes?: "none" | "env" | undefined
  /** "structured": the environment's opt-in structure-aware view (LoadedEnvironment.structuredObservation), where it has one. */
  readonly observationView?: "default" | "structured" | undefined
  /** "nearest": an action the environment does not list is replaced by the nearest listed one (ActionRepair.ts). */
  readonly actionRepair?: "none" | "nearest" | undefined
}

export const modelSettings = (c: ExperimentConfig): ModelSettings => ({
  nLayer: c.model?.nLayer ?? 4,
  nEmbd: c.model?.nEmbd ?? 128,
  nHead: c.model?.nHead ?? 4,
  nPositions: c.model?.nPositions ?? 512,
  vocabSize: c.model?.vocabSize ?? 2048,
  engine: c.engine ?? "auto",
  maxReplyTokens: c.model?.maxReplyTokens ?? 64,
  maxObservationChars: c.model?.maxObservationChars,
  instructionPrompt: c.model?.instructionPrompt ?? "full",
  thoughts: c.model?.thoughts ?? "keep",
  noRepeatNgram: c.model?.noRepeatNgram ?? 0,
  windows: c.model?.windows ?? "turn",
  repeatedObservations: c.model?.repeatedObservations ?? "keep",
  stateNotes: c.model?.stateNotes ?? "none",
  observationView: c.model?.observationView ?? "default",
  actionRepair: c.model?.actionRepair ?? "none"
})

/** The instruction prompt the model is trained and prompted with. */
export const instructionOf = (env: EnvironmentShape, m: ModelSettings): string => (m.instructionPrompt === "none" ? "" : env.instructionPrompt)

/** What an observation identical to the one before it reads as, with `repeatedObservations: "mark"`. */
export const REPEATED_OBSERVATION = "(unchanged)"

/** An environment's structure-aware shortening of observations (LoadedEnvironment.compactObservation), when it has one. */
type ObservationShortener = (observation: string, budgetChars: number) => string
/** LoadedEnvironment.actionToModel / actionFromModel: an action on the page it was taken on, mapped between views. */
type ActionMap = (action: string, observation: string) => string

const hookOf = <F>(
  env: EnvironmentShape,
  name: "compactObservation" | "structuredObservation" | "actionToModel" | "actionFromModel" | "stateNotes"
): F | undefined => {
  const hook = (env as unknown as Record<string, unknown>)[name]
  return typeof hook === "function" ? (hook as F) : undefined
}
/** The opt-in structure-aware view, when the settings ask for it and the environment has one. */
const structuredOf = (env: EnvironmentShape, m: ModelSettings) =>
  m.observationView === "structured" ? hookOf<ObservationShortener>(env, "structuredObservation") : undefined
const shortenerOf = (env: EnvironmentShape, m: ModelSettings) => structuredOf(env, m) ?? hookOf<ObservationShortener>(env, "compactObservation")
/** LoadedEnvironment.stateNotes: a note after each turn's observation, from the episode so far. */
type StateNotes = (initialObservation: string, turns: ReadonlyArray<Turn>) => ReadonlyArray<string>
/** The environment's state notes, when the settings ask for them and it has them. */
const notesOf = (env: EnvironmentShape, m: ModelSettings) => (m.stateNotes === "env" ? hookOf<StateNotes>(env, "stateNotes") : undefined)

/** Which view a model is trained with: the environment's own shortening or the character cut. */
const viewKind = (env: EnvironmentShape, m: ModelSettings): "env" | "cut" | "full" =>
  m.maxObservationChars === undefined ? "full" : shortenerOf(env, m) !== undefined ? "env" : "cut"

/** The action maps of the environment's view, when the model sees that view and the view labels things. */
const actionMapsOf = (env: EnvironmentShape, m: ModelSettings): { toModel: ActionMap; fromModel: ActionMap } | undefined => {
  const toModel = hookOf<ActionMap>(env, "actionToModel"), fromModel = hookOf<ActionMap>(env, "actionFromModel")
  return viewKind(env, m) === "env" && structuredOf(env, m) === undefined && toModel !== undefined && fromModel !== undefined ? { toModel, fromModel } : undefined
}

/**
 * The observation view of a small context: an observation that restates the
 * task instruction at its start ("Instruction: [SEP] ... [SEP] ", as WebShop
 * pages do) loses that restatement (the first observation keeps the task),
 * and observations are cut to \`maxChars\` characters.
 */
export const compactObservation = (text: string, maxChars: number | undefined): string => {
  const stripped = text.replace(/^\s*Instruction:\s*\[SEP\][^[]*\[SEP\]\s*/, "")
  return maxChars === undefined || stripped.length <= maxChars ? stripped : stripped.slice(0, maxChars)
}

/**
 * An observation as the model sees it: with a character budget, the
 * environment's structure-aware shortening when it has one, else the
 * character cut of \`compactObservation\`.
 */
export const viewObservation = (env: EnvironmentShape, m: ModelSettings, text: string): string => {
  const shorten = shortenerOf(env, m)
  return m.maxObservationChars !== undefined && shorten !== undefined
    ? shorten(text, m.maxObservationChars)
    : compactObservation(text, m.maxObservationChars)
}

/**
 * Turns as the model sees them: observations in the view (one identical to
 * the observation before it marked as such when the settings say so),
 * each followed by the environment's note on the episode so far when the
 * settings ask for it (`model.stateNotes`), thoughts dropped when the
 * settings say so, and actions in the view's own
 * labels (each action is mapped through the page it was taken on: the
 * initial observation, then the previous turn's).
 */
export const compactTurns = (env: EnvironmentShape, initialObservation: string, turns: ReadonlyArray<Turn>, m: ModelSettings): Array<Turn> => {
  const maps = actionMapsOf(env, m)
  const views = turns.map((t) => viewObservation(env, m, t.observation))
  const notes = notesOf(env, m)?.(initialObservation, turns)
  return turns.map((t, i) => {
    const observation = m.repeatedObservations === "mark" && i > 0 && views[i] === views[i - 1] ? REPEATED_OBSERVATION : views[i]!
    return {
      ...t,
      thought: m.thoughts === "keep" ? t.thought : "",
      action: maps === undefined ? t.action : maps.toModel(t.action, i === 0 ? initialObservation : turns[i - 1]!.observation),
      observation: notes?.[i] ? `${observation}\n${notes[i]}` : observation
    }
  })
}

/** How the model writes its turns. */
export const replyFormOf = (m: ModelSettings): Render.ReplyForm => (m.thoughts === "none" ? "action" : "thought-action")

/** The dialogue the model sees for a trajectory (training and prompting alike). */
export const dialogueOf = (env: EnvironmentShape, m: ModelSettings, initialObservation: string, turns: ReadonlyArray<Turn>): Render.Dialogue =>
  Render.fromTurns(instructionOf(env, m), initialObservation, compactTurns(env, initialObservation, turns, m), false, replyFormOf(m))

/** A reply in the view's action labels, as the environment reads it (`page`: the full page it answers). */
const replyFromModel = (maps: { readonly fromModel: ActionMap }, reply: string, page: string): string => {
  const parsed = parseReply(reply)
  if (parsed === undefined) return reply
  const action = maps.fromModel(parsed.action, page)
  return action === parsed.action ? reply : formatReply(parsed.thought, action)
}

/** A policy seeing the compact view of each request, its actions mapped back to the environment's. */
export const viewPolicy = (env: EnvironmentShape, policy: PolicyShape, m: ModelSettings): PolicyShape =>
  m.actionRepair === "nearest" ? repairingPolicy(shownPolicy(env, policy, m)) : shownPolicy(env, policy, m)

/** `policy` shown the model's view of each request, its replies mapped back to the environment's actions. */
const shownPolicy = (env: EnvironmentShape, policy: PolicyShape, m: ModelSettings): PolicyShape => {
  if (m.maxObservationChars === undefined && m.thoughts === "keep" && m.repeatedObservations === "keep" && notesOf(env, m) === undefined) return policy
  const maps = actionMapsOf(env, m)
  return {
    ...policy,
    act: (requests) => {
      const replies = policy.act(requests.map((r) => ({ ...r, turns: compactTurns(env, r.initialObservation, r.turns, m) })))
      if (maps === undefined) return replies
      return Effect.map(replies, (rs) =>
        rs.map((reply, j) => {
          const r = requests[j]!
          return replyFromModel(maps, reply, r.turns.length === 0 ? r.initialObservation : r.turns[r.turns.length - 1]!.observation)
        }))
    }
  }
}

/**
 * Version of the environments' structure-aware views, in the key of every
 * phase trained on one: "lines" is the view whose page pieces are written
 * one per line.
 */
const ENV_VIEW = "env-lines"

/** Version of the environments' opt-in structured views (`model.observationView: structured`). */
const STRUCTURED_VIEW = "structured-1"

/** Version of the environments' state notes, in the key of every phase trained with them. */
const STATE_NOTES = "env-2"

/** What of the model settings changes a trained checkpoint (settings at their defaults stay out, so older keys hold). */
export const trainingModelKey = (env: EnvironmentShape, m: ModelSettings) => ({
  nLayer: m.nLayer,
  nEmbd: m.nEmbd,
  nHead: m.nHead,
  nPositions: m.nPositions,
  vocabSize: m.vocabSize,
  engine: m.engine,
  maxObservationChars: m.maxObservationChars ?? null,
  instructionPrompt: m.instructionPrompt,
  ...(m.thoughts !== "keep" ? { thoughts: m.thoughts } : {}),
  ...(viewKind(env, m) === "env" ? { observationView: structuredOf(env, m) !== undefined ? STRUCTURED_VIEW : ENV_VIEW } : {}),
  ...(actionMapsOf(env, m) !== undefined ? { actionView: "labels" } : {}),
  ...(m.windows !== "turn" ? { windows: m.windows } : {}),
  ...(m.repeatedObservations !== "keep" ? { repeatedObservations: m.repeatedObservations } : {}),
  ...(notesOf(env, m) !== undefined ? { stateNotes: STATE_NOTES } : {})
})

/** How replies become actions beyond the view (absent when off, so they change no phase key): `model.actionRepair`. */
export const actingOf = (m: ModelSettings): { readonly actionRepair?: "nearest" } => (m.actionRepair === "nearest" ? { actionRepair: "nearest" } : {})

/** Decoding settings beyond temperature (absent when off, so they change no phase key). */
export const decodingOf = (m: ModelSettings): { readonly noRepeatNgram?: number } => (m.noRepeatNgram > 1 ? { noRepeatNgram: m.noRepeatNgram } : {})
