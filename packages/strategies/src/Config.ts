/**
 * The experiment configuration: which environment, at what scale, over which
 * seeds, with which strategies and hyper-parameters. Read from JSON files and
 * decoded with the schema below; omitted hyper-parameters take the paper's
 * values (Section 4.1 and tables.json `hyperparameters`) via `resolveStrategy`.
 */
import { DataFileError, describeSchemaError as describeIssues, EnvName, InvalidInput, Jsonl } from "@eto/core"
import { EngineKind } from "@eto/policy"
import { Effect, Result, Schema } from "effect"
import { type Perturbation, PERTURBATION_DEFAULTS } from "./Perturbed"

const PositiveInt = Schema.Int.check(Schema.isGreaterThan(0))
const PositiveNumber = Schema.Finite.check(Schema.isGreaterThan(0))
const Probability = Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 1 }))
const NonNegative = Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0))

/** Optimiser settings every training strategy shares. */
const trainingFields = {
  lr: Schema.optionalKey(PositiveNumber),
  batchSize: Schema.optionalKey(PositiveInt),
  epochs: Schema.optionalKey(PositiveInt),
  warmup: Schema.optionalKey(Probability)
}

/** A display name for the reports (defaults to the strategy's usual name). */
const label = { label: Schema.optionalKey(Schema.String) }

/**
 * The initial model evaluated as it is (Table 5's untuned row). With no
 * pretrained chat model, it is a model trained on episodes of the random
 * valid-action policy (strategies/Base.ts): `samples` episodes on each of
 * `tasks` training tasks (a spread subset of the scale's training tasks; the
 * explored tasks when omitted), `epochs` epochs; learning rate, batch and warm-up are the
 * SFT entry's unless given here.
 */
export const BaseConfig = Schema.TaggedStruct("base", {
  ...label,
  ...trainingFields,
  samples: Schema.optionalKey(PositiveInt),
  tasks: Schema.optionalKey(PositiveInt)
})
/**
 * Which explorations fine-tuning keeps: the successful ones (the paper's
 * rule, when omitted), or every one whose final reward is at least this.
 */
const minReward = { minReward: Schema.optionalKey(Probability) }
/** The random valid-action policy (the floor). */
export const RandomConfig = Schema.TaggedStruct("random", { ...label })
export const SftConfig = Schema.TaggedStruct("sft", { ...label, ...trainingFields })
export const BestOfNConfig = Schema.TaggedStruct("best-of-n", {
  ...label,
  n: Schema.optionalKey(PositiveInt),
  temperature: Schema.optionalKey(NonNegative)
})
export const RftConfig = Schema.TaggedStruct("rft", {
  ...label,
  ...trainingFields,
  /** Explorations per training task used to find successes. */
  samples: Schema.optionalKey(PositiveInt),
  temperature: Schema.optionalKey(NonNegative),
  ...minReward
})
export const PpoConfig = Schema.TaggedStruct("ppo", {
  ...label,
  ...trainingFields,
  /** Exploration-update rounds. */
  iterations: Schema.optionalKey(PositiveInt),
  clip: Schema.optionalKey(PositiveNumber),
  klCoef: Schema.optionalKey(NonNegative),
  temperature: Schema.optionalKey(NonNegative)
})
export const EtoLevel = Schema.Literals(["trajectory", "step", "mixture"])
export type EtoLevel = typeof EtoLevel.Type
const etoFields = {
  ...label,
  ...trainingFields,
  level: Schema.optionalKey(EtoLevel),
  beta: Schema.optionalKey(PositiveNumber),
  iterations: Schema.optionalKey(PositiveInt),
  /** The official release's settings from the second iteration on. */
  laterBeta: Schema.optionalKey(PositiveNumber),
  laterLr: Schema.optionalKey(PositiveNumber),
  /** Rounds a rejected trajectory may exceed the expert's by. */
  truncationMargin: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))),
  explorationTemperature: Schema.optionalKey(NonNegative),
  /**
   * Keep iterating up to this many iterations and report every iteration's
   * evaluation (Figure 4); the strategy's result stays the one after
   * `iterations`.
   */
  trackIterations: Schema.optionalKey(PositiveInt)
}
export const EtoConfig = Schema.TaggedStruct("eto", etoFields)
/** Shorthands: `eto-step` is `eto` with level "step", `eto-mixture` with level "mixture". */
const { level: _level, ...levelFree } = etoFields
export const EtoStepConfig = Schema.TaggedStruct("eto-step", levelFree)
export const EtoMixtureConfig = Schema.TaggedStruct("eto-mixture", levelFree)
/** How a model behind an OpenAI-compatible API is reached and prompted (prompted entries, self-play samplers). */
const remoteFields = {
  /** `openai:<model>`. */
  model: Schema.String.check(Schema.isPattern(/^openai:.+/)),
  /** The API root (default: $OPENAI_BASE_URL, else the public API); the key comes from $OPENAI_API_KEY. */
  baseUrl: Schema.optionalKey(Schema.String.check(Schema.makeFilter((s: string) => URL.canParse(s) || `'${s}' is not a URL`))),
  /** In-context examples before the task: 1 (the paper's one-shot prompt, default) or 0. */
  shots: Schema.optionalKey(Schema.Literals([0, 1])),
  maxTokens: Schema.optionalKey(PositiveInt),
  /** Requests in flight at once (default 8). */
  concurrency: Schema.optionalKey(PositiveInt)
}

/**
 * A remote model that samples a self-play strategy's episodes in place of
 * the untuned model (strategies/SelfPlay.ts); the model trained on them is
 * still the local untuned one. It samples at the strategy's `temperature`.
 */
export const SamplerConfig = Schema.Struct(remoteFields)

export const SelfPlayConfig = Schema.TaggedStruct("self-play", {
  ...label,
  ...trainingFields,
  /** What is trained on the self-generated data (Table 5). */
  method: Schema.Literals(["rft", "eto", "rft+eto"]),
  /** Samples per task, and the training tasks sampled (a spread subset; the explored tasks when omitted). */
  samples: Schema.optionalKey(PositiveInt),
  tasks: Schema.optionalKey(PositiveInt),
  temperature: Schema.optionalKey(NonNegative),
  beta: Schema.optionalKey(PositiveNumber),
  ...minReward,
  /** Sample from this remote model instead of the untuned model (omitted: the untuned model samples). */
  sampler: Schema.optionalKey(SamplerConfig)
})

/**
 * A model behind an OpenAI-compatible API, prompted and not trained (Table
 * 2's GPT-4, GPT-3.5-Turbo and Llama-2-7B-Chat rows). `samples` > 1: Best-of-N
 * of the prompted model (at `temperature`, default 1).
 */
export const PromptedConfig = Schema.TaggedStruct("prompted", {
  ...label,
  ...remoteFields,
  samples: Schema.optionalKey(PositiveInt),
  temperature: Schema.optionalKey(NonNegative)
})

export const StrategyConfig = Schema.Union([BaseConfig, RandomConfig, SftConfig, BestOfNConfig, RftConfig, PpoConfig, EtoConfig, EtoStepConfig, EtoMixtureConfig, SelfPlayConfig, PromptedConfig])
export type StrategyConfig = typeof StrategyConfig.Type
export type StrategyKind = StrategyConfig["_tag"]

export const Scale = Schema.Literals(["smoke", "ci", "paper"])
export type Scale = typeof Scale.Type

export const ExperimentConfig = Schema.Struct({
  name: Schema.String.check(Schema.isPattern(/^[A-Za-z0-9._-]+$/)),
  env: EnvName,
  scale: Scale,
  /** Overrides of the scale's task counts. */
  limits: Schema.optionalKey(Schema.Struct({
    trainTasks: Schema.optionalKey(PositiveInt),
    testTasks: Schema.optionalKey(PositiveInt),
    /** Training tasks explored (a spread subset of the expert's tasks); all of them when omitted. */
    exploreTasks: Schema.optionalKey(PositiveInt)
  })),
  /** Splits evaluated; the environment's default split when omitted. */
  evalSplits: Schema.optionalKey(Schema.Array(Schema.String)),
  seeds: Schema.NonEmptyArray(Schema.Int),
  /** Overrides of the policy model's shape (GPT-2 config fields). */
  model: Schema.optionalKey(Schema.Struct({
    nLayer: Schema.optionalKey(PositiveInt),
    nEmbd: Schema.optionalKey(PositiveInt),
    nHead: Schema.optionalKey(PositiveInt),
    nPositions: Schema.optionalKey(PositiveInt),
    vocabSize: Schema.optionalKey(PositiveInt),
    /** Most tokens generated per agent turn. */
    maxReplyTokens: Schema.optionalKey(PositiveInt),
    /** Observations the model sees are cut to this many characters (see Training.compactTurns). */
    maxObservationChars: Schema.optionalKey(PositiveInt),
    /** "none": an empty instruction prompt (a model trained from scratch gains nothing from a constant text). */
    instructionPrompt: Schema.optionalKey(Schema.Literals(["full", "none"])),
    /**
     * "drop": the model is trained on, and shown, replies without their
     * thought ("Thought: \nAction: ..."), so a small model spends its capacity
     * on actions; "none": replies are "Action: ..." alone (no empty thought
     * slot, which a small model otherwise learns to misuse after an error).
     */
    thoughts: Schema.optionalKey(Schema.Literals(["keep", "drop", "none"])),
    /** n > 1: decoding never repeats an n-gram within one reply (small models trained from scratch loop otherwise). */
    noRepeatNgram: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))),
    /**
     * Training windows (@eto/policy Render): "turn" (default), one window per
     * agent turn of a conversation longer than the context; "episode", as few
     * windows as hold every turn, each training all the turns it holds, in
     * length-bucketed micro-batches.
     */
    windows: Schema.optionalKey(Schema.Literals(["turn", "episode"])),
    /** "mark": an observation identical to the one before it is shown as "(unchanged)" (see Training.compactTurns). */
    repeatedObservations: Schema.optionalKey(Schema.Literals(["keep", "mark"])),
    /** "env": each observation is followed by the environment's note on the episode so far, where it has one (see Training.compactTurns). */
    stateNotes: Schema.optionalKey(Schema.Literals(["none", "env"])),
    /**
     * With `maxObservationChars`: "structured" shows observations in the
     * environment's opt-in structure-aware view where it has one
     * (LoadedEnvironment.structuredObservation; ScienceWorld: one-line room
     * listings); "default" (or omitted): its `compactObservation`, else the cut.
     */
    observationView: Schema.optionalKey(Schema.Literals(["default", "structured"])),
    /**
     * "nearest": where the environment lists the actions it accepts, an
     * action the model wrote that is not listed is replaced by the nearest
     * listed action with the same command word (training/ActionRepair.ts);
     * "none" (or omitted): actions go out as written, as the paper's agents'.
     */
    actionRepair: Schema.optionalKey(Schema.Literals(["none", "nearest"]))
  })),
  /**
   * How the expert plays its training data. Perturbed expert demonstrations
   * for the SFT agent (Perturbed.ts): per training task, `perturbedEpisodes`
   * expert episodes (extra to the clean one) in which each turn's action is,
   * with chance `mistakeRate` (default 0.2) and at most `maxMistakes` times
   * (default 2), replaced by a plausible wrong one that carries no loss, the
   * expert recovering after it; episodes the expert no longer solves are
   * dropped unless `keepUnsolved`. Omitted or 0 episodes: the clean expert
   * data alone. `lookAround`: the expert looks around wherever it arrives
   * before acting there (LoadedEnvironment.withLookAround; ScienceWorld's
   * expert only), in the expert data and the perturbed episodes, so every
   * phase built on them (SFT, step exploration's expert prefixes, the pairs'
   * expert side, RFT's data) sees the objects it names. `search: "listed"`:
   * the expert finds what it has not seen by a search the episode's text
   * predicts instead of going where the hidden state says it is
   * (LoadedEnvironment.listedSearchExpert; ALFWorld's expert only), in the
   * expert data and the perturbed episodes alike.
   */
  expert: Schema.optionalKey(
    Schema.Struct({
      perturbedEpisodes: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))),
      mistakeRate: Schema.optionalKey(Schema.Finite.check(Schema.isGreaterThan(0), Schema.isLessThanOrEqualTo(1))),
      maxMistakes: Schema.optionalKey(PositiveInt),
      keepUnsolved: Schema.optionalKey(Schema.Boolean),
      lookAround: Schema.optionalKey(Schema.Boolean),
      search: Schema.optionalKey(Schema.Literal("listed"))
    }).check(Schema.makeFilter((e) =>
      e.perturbedEpisodes === undefined && (e.mistakeRate !== undefined || e.maxMistakes !== undefined || e.keepUnsolved !== undefined)
        ? { path: ["perturbedEpisodes"], issue: "required with mistakeRate, maxMistakes or keepUnsolved" }
        : undefined
    ))
  ),
  /** Compute engine (@eto/policy Engines); "auto" when omitted (native when its addon built, else the WebAssembly cpu engine). Name one ("native", "cpu", "tfjs") so a phase key says which engine made it. */
  engine: Schema.optionalKey(EngineKind),
  strategies: Schema.NonEmptyArray(StrategyConfig),
  /** Paragraphs the report prints under its setup (how the settings were chosen on the dev split, what was seen there). */
  notes: Schema.optionalKey(Schema.Array(Schema.String))
})
export type ExperimentConfig = typeof ExperimentConfig.Type

/** Task counts per scale; `undefined` means every task of the split. */
export const SCALES: Record<Scale, { readonly trainTasks: number | undefined; readonly testTasks: number | undefined }> = {
  smoke: { trainTasks: 8, testTasks: 8 },
  ci: { trainTasks: 200, testTasks: 50 },
  paper: { trainTasks: undefined, testTasks: undefined }
}

export const scaleLimits = (
  c: ExperimentConfig
): { trainTasks: number | undefined; testTasks: number | undefined; exploreTasks: number | undefined } => ({
  trainTasks: c.limits?.trainTasks ?? SCALES[c.scale].trainTasks,
  testTasks: c.limits?.testTasks ?? SCALES[c.scale].testTasks,
  exploreTasks: c.limits?.exploreTasks
})

/** The configuration's perturbed expert demonstrations with defaults filled in; undefined when it asks for none. */
export const perturbationOf = (c: ExperimentConfig): Perturbation | undefined => {
  const e = c.expert
  if (e?.perturbedEpisodes === undefined || e.perturbedEpisodes === 0) return undefined
  return {
    episodes: e.perturbedEpisodes,
    mistakeRate: e.mistakeRate ?? PERTURBATION_DEFAULTS.mistakeRate,
    maxMistakes: e.maxMistakes ?? PERTURBATION_DEFAULTS.maxMistakes,
    keepUnsolved: e.keepUnsolved ?? PERTURBATION_DEFAULTS.keepUnsolved
  }
}

/** Whether the configuration asks the expert to look around wherever it arrives (`expert.lookAround`). */
export const lookAroundOf = (c: ExperimentConfig): boolean => c.expert?.lookAround === true

/** The expert's search the configuration asks for (`expert.search`), or undefined for the environment's own. */
export const searchOf = (c: ExperimentConfig): "listed" | undefined => c.expert?.search

/** One-line description of a schema failure: each problem as `field: what was expected`. */
export const describeSchemaError = (e: Schema.SchemaError): string => describeIssues(e)

/** Decodes a configuration from JSON text; errors name `source`. */
export const decodeConfig = (text: string, source: string): Result.Result<ExperimentConfig, DataFileError> => {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (e) {
    return Result.fail(new DataFileError({ path: source, reason: `invalid JSON: ${(e as Error).message}` }))
  }
  const decoded = Schema.decodeUnknownResult(ExperimentConfig)(json, { errors: "all" })
  return Result.isFailure(decoded)
    ? Result.fail(new DataFileError({ path: source, reason: `bad experiment config: ${describeSchemaError(decoded.failure)}` }))
    : Result.succeed(decoded.success)
}

export const loadConfig = (file: string): Effect.Effect<ExperimentConfig, DataFileError> =>
  Effect.flatMap(
    Jsonl.readText(file),
    (text) => Effect.fromResult(decodeConfig(text, file))
  )

/** Command-line overrides of a loaded configuration. */
export const withOverrides = (
  c: ExperimentConfig,
  o: { readonly seeds?: ReadonlyArray<number> | undefined; readonly scale?: Scale | undefined }
): Result.Result<ExperimentConfig, InvalidInput> => {
  if (o.seeds !== undefined) {
    if (o.seeds.length === 0) return Result.fail(new InvalidInput({ reason: "--seeds: give at least one seed" }))
    const bad = o.seeds.find((s) => !Number.isInteger(s))
    if (bad !== undefined) return Result.fail(new InvalidInput({ reason: `--seeds: ${bad} is not an integer` }))
  }
  return Result.succeed({
    ...c,
    ...(o.seeds !== undefined ? { seeds: [o.seeds[0]!, ...o.seeds.slice(1)] as const } : {}),
    ...(o.scale !== undefined ? { scale: o.scale } : {})
  })
}

// ---------------------------------------------------------------------------
// Paper defaults

export interface ResolvedTraining {
  readonly lr: number
  readonly batchSize: number
  readonly epochs: number
  readonly warmup: number
}

export type ResolvedStrategy =
  | {
    readonly _tag: "base"
    readonly label: string
    readonly samples: number
    /** Training tasks of the random-policy episodes; undefined: the explored tasks. */
    readonly tasks: number | undefined
    /** Training settings given on the entry; the rest are the SFT entry's (epochs: UNTUNED_DEFAULTS). */
    readonly training: { readonly lr?: number; readonly batchSize?: number; readonly epochs: number; readonly warmup?: number }
  }
  | { readonly _tag: "random"; readonly label: string }
  | { readonly _tag: "sft"; readonly label: string; readonly training: ResolvedTraining }
  | { readonly _tag: "best-of-n"; readonly label: string; readonly n: number; readonly temperature: number }
  | {
    readonly _tag: "rft"
    readonly label: string
    readonly training: ResolvedTraining
    readonly samples: number
    readonly temperature: number
    /** Explorations kept: reward at least this; undefined: the successful ones. */
    readonly minReward: number | undefined
  }
  | {
    readonly _tag: "ppo"
    readonly label: string
    readonly training: ResolvedTraining
    readonly iterations: number
    readonly clip: number
    readonly klCoef: number
    readonly temperature: number
  }
  | {
    readonly _tag: "eto"
    readonly label: string
    readonly training: ResolvedTraining
    readonly level: EtoLevel
    readonly beta: number
    readonly iterations: number
    readonly laterBeta: number
    readonly laterLr: number
    readonly truncationMargin: number
    readonly explorationTemperature: number
    readonly trackIterations: number | undefined
  }
  | {
    readonly _tag: "self-play"
    readonly label: string
    readonly training: ResolvedTraining
    readonly method: "rft" | "eto" | "rft+eto"
    readonly samples: number
    /** Training tasks sampled; undefined: the explored tasks. */
    readonly tasks: number | undefined
    readonly temperature: number
    readonly beta: number
    /** RFT stage: samples kept with reward at least this; undefined: the successful ones. */
    readonly minReward: number | undefined
    /** The remote model sampling in place of the untuned model; absent: the untuned model samples. */
    readonly sampler?: ResolvedRemote
  }
  | ResolvedPrompted

/**
 * The untuned model's random-policy data: episodes per explored training
 * task and epochs. Enough that the model writes valid actions, so that it
 * reaches about the random policy's reward when it samples at temperature 1.
 */
export const UNTUNED_DEFAULTS = { samples: 4, epochs: 2 } as const

/** A remote model with its defaults filled in. */
export interface ResolvedRemote {
  readonly model: string
  readonly baseUrl: string | undefined
  readonly shots: 0 | 1
  readonly maxTokens: number | undefined
  readonly concurrency: number
}

export interface ResolvedPrompted extends ResolvedRemote {
  readonly _tag: "prompted"
  readonly label: string
  readonly samples: number
  readonly temperature: number
}

/** SFT: batch 64, lr 1e-5, 3% warm-up, cosine, 3 epochs (Section 4.1). */
export const SFT_DEFAULTS: ResolvedTraining = { lr: 1e-5, batchSize: 64, epochs: 3, warmup: 0.03 }
/** ETO training phase: batch 32, lr 1e-6, 3 epochs (Section 4.1). */
export const ETO_DEFAULTS: ResolvedTraining = { lr: 1e-6, batchSize: 32, epochs: 3, warmup: 0 }
/** DPO beta: 0.1 on WebShop and ScienceWorld, 0.5 on ALFWorld (Section 4.1). */
export const ETO_BETA: Record<EnvName, number> = { webshop: 0.1, sciworld: 0.1, alfworld: 0.5 }
/** ETO iterations: 2 on WebShop and ScienceWorld, 1 on ALFWorld (Section 4.1). */
export const ETO_ITERATIONS: Record<EnvName, number> = { webshop: 2, sciworld: 2, alfworld: 1 }

const training = (
  s: { lr?: number; batchSize?: number; epochs?: number; warmup?: number },
  d: ResolvedTraining
): ResolvedTraining => ({
  lr: s.lr ?? d.lr,
  batchSize: s.batchSize ?? d.batchSize,
  epochs: s.epochs ?? d.epochs,
  warmup: s.warmup ?? d.warmup
})

const remote = (s: typeof SamplerConfig.Type): ResolvedRemote => ({
  model: s.model,
  baseUrl: s.baseUrl,
  shots: s.shots ?? 1,
  maxTokens: s.maxTokens,
  concurrency: s.concurrency ?? 8
})

/** The strategy with every omitted hyper-parameter set to the paper's value for `env`. */
export const resolveStrategy = (s: StrategyConfig, env: EnvName): ResolvedStrategy => {
  switch (s._tag) {
    case "base":
      return {
        _tag: "base",
        label: s.label ?? "Untuned",
        samples: s.samples ?? UNTUNED_DEFAULTS.samples,
        tasks: s.tasks,
        training: {
          ...(s.lr !== undefined ? { lr: s.lr } : {}),
          ...(s.batchSize !== undefined ? { batchSize: s.batchSize } : {}),
          epochs: s.epochs ?? UNTUNED_DEFAULTS.epochs,
          ...(s.warmup !== undefined ? { warmup: s.warmup } : {})
        }
      }
    case "random":
      return { _tag: "random", label: s.label ?? "Random" }
    case "sft":
      return { _tag: "sft", label: s.label ?? "SFT", training: training(s, SFT_DEFAULTS) }
    case "best-of-n":
      // Best-of-N is the one method not decoded greedily (Section 4.1); N = 10.
      return { _tag: "best-of-n", label: s.label ?? "Best-of-N", n: s.n ?? 10, temperature: s.temperature ?? 1 }
    case "rft":
      return {
        _tag: "rft",
        label: s.label ?? "RFT",
        training: training(s, SFT_DEFAULTS),
        samples: s.samples ?? 1,
        temperature: s.temperature ?? 0,
        minReward: s.minReward
      }
    case "ppo":
      return {
        _tag: "ppo",
        label: s.label ?? "PPO",
        training: training(s, ETO_DEFAULTS),
        iterations: s.iterations ?? 1,
        clip: s.clip ?? 0.2,
        klCoef: s.klCoef ?? 0.1,
        temperature: s.temperature ?? 1
      }
    case "eto":
    case "eto-step":
    case "eto-mixture": {
      const level = s._tag === "eto-step" ? "step" : s._tag === "eto-mixture" ? "mixture" : s.level ?? "trajectory"
      return {
        _tag: "eto",
        label: s.label ?? (level === "trajectory" ? "ETO" : `ETO (${level})`),
        training: training(s, ETO_DEFAULTS),
        level,
        beta: s.beta ?? ETO_BETA[env],
        iterations: s.iterations ?? ETO_ITERATIONS[env],
        // Official release: from the second iteration, beta 0.5 and lr 5e-7.
        laterBeta: s.laterBeta ?? 0.5,
        laterLr: s.laterLr ?? 5e-7,
        truncationMargin: s.truncationMargin ?? 5,
        // Exploration is greedy, once per training instance (Section 4.1).
        explorationTemperature: s.explorationTemperature ?? 0,
        trackIterations: s.trackIterations
      }
    }
    case "prompted": {
      const samples = s.samples ?? 1
      return {
        _tag: "prompted",
        label: s.label ?? s.model.slice("openai:".length),
        ...remote(s),
        samples,
        // Greedy like the paper's prompted rows; sampled when it is Best-of-N.
        temperature: s.temperature ?? (samples > 1 ? 1 : 0)
      }
    }
    case "self-play":
      return {
        _tag: "self-play",
        label: s.label ?? `Self-play ${s.method.toUpperCase()}${s.sampler === undefined ? "" : ` (${s.sampler.model} samples)`}`,
        training: training(s, s.method === "rft" ? SFT_DEFAULTS : ETO_DEFAULTS),
        method: s.method,
        samples: s.samples ?? 4,
        tasks: s.tasks,
        // Self-play explores at temperature 1.0 (Section 4.5).
        temperature: s.temperature ?? 1,
        beta: s.beta ?? ETO_BETA[env],
        minReward: s.minReward,
        ...(s.sampler !== undefined ? { sampler: remote(s.sampler) } : {})
      }
  }
}

/** Labels must be unique: they key the rows of every report. */
export const checkLabels = (c: ExperimentConfig): Result.Result<ReadonlyArray<ResolvedStrategy>, InvalidInput> => {
  const resolved = c.strategies.map((s) => resolveStrategy(s, c.env))
  const seen = new Set<string>()
  for (const r of resolved) {
    if (seen.has(r.label)) {
      return Result.fail(new InvalidInput({ reason: `two strategies are labelled '${r.label}'; give one a distinct "label"` }))
    }
    seen.add(r.label)
  }
  return Result.succeed(resolved)
}
