/**
 * The environment registry. Each environment lives in its own folder and
 * exports a module of this shape from `<env>/index.ts`; adding an environment
 * means adding one entry to `modules` below.
 */
import type { Effect } from "effect"
import type { DataFileError, EnvName, EnvironmentShape, InvalidInput, PolicyShape } from "@eto/core"

export interface LoadOptions {
  /** Root of the benchmark data (defaults to `Paths.dataDir()`). */
  readonly dataDir?: string | undefined
  /** Engine settings given as `--set name=value`. */
  readonly settings?: Readonly<Record<string, string>> | undefined
}

export interface LoadedEnvironment extends EnvironmentShape {
  /** The split evaluated by default. */
  readonly defaultSplit: string
  /** The environment's expert, which knows each task's hidden goal. */
  expert(seed: number): PolicyShape
  /**
   * `policy` made to look around wherever it arrives before it acts there
   * (ScienceWorld: at the start of an episode and after every teleport, with
   * `look around`, which costs no game time), so the objects its later
   * actions name are in the episode's text. Meant for the expert, which plans
   * from the hidden state (`expert.lookAround` in an experiment
   * configuration). Absent: the environment has no such form.
   */
  withLookAround?(policy: PolicyShape): PolicyShape
  /**
   * The expert in a form that finds what it has not seen by a search the
   * episode's text can predict (ALFWorld: the receptacles that most often
   * hold that kind of thing in the training games first, then the order the
   * room lists them) instead of going where the hidden state says it is
   * (`expert.search: listed` in an experiment configuration). Absent: the
   * environment has no such form.
   */
  listedSearchExpert?(seed: number): PolicyShape
  /**
   * An observation shortened to about `budgetChars` characters for a model
   * with a small context, keeping what the page structure says matters
   * (whatever an agent may click). Absent: callers cut at the budget.
   */
  compactObservation?(observation: string, budgetChars: number): string
  /**
   * A structure-aware view used only when a configuration asks for it
   * (`model.observationView: structured`, with a budget): the observation
   * rewritten in fewer characters from its own text (ScienceWorld: a room
   * listing on one line), then cut to `budgetChars`.
   */
  structuredObservation?(observation: string, budgetChars: number): string
  /**
   * Paired with `compactObservation`, when the compact view names things by
   * short labels instead of the page's own codes (WebShop lists products as
   * "item 1", "item 2", ...): an action taken on the full page `observation`
   * as the model view writes it, and a model-view action back as the
   * environment reads it.
   */
  actionToModel?(action: string, observation: string): string
  actionFromModel?(action: string, observation: string): string
  /**
   * A short note the model view may add after each observation, restating
   * what the episode's text has said so far (ALFWorld: the task, where the
   * agent stands, what it holds, the receptacles it has not gone to yet).
   * Entry i reads the initial observation and
   * turns 0..i only, so training and prompting see the same notes.
   */
  stateNotes?(initialObservation: string, turns: ReadonlyArray<{ readonly action: string; readonly observation: string }>): ReadonlyArray<string>
}

export interface EnvModule {
  readonly name: EnvName
  load(options?: LoadOptions): Effect.Effect<LoadedEnvironment, DataFileError | InvalidInput>
}

/** Environment modules by name, loaded lazily so one env's data is read only when used. */
export const modules: Partial<Record<EnvName, () => Promise<EnvModule>>> = {
  webshop: () => import("./webshop/index").then((m) => m.module),
  alfworld: () => import("./alfworld/index").then((m) => m.module),
  sciworld: () => import("./sciworld/index").then((m) => m.module),
}

export const envNames = (): ReadonlyArray<EnvName> => Object.keys(modules) as Array<EnvName>
