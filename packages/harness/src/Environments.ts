/**
 * Loading an environment by name from the registry, with `--set name=value`
 * settings and an optional data directory. Loaded environments are cached per
 * process (keyed by name, data directory and settings), so several commands
 * run in one process read the data once.
 */
import { Effect, Schema } from "effect"
import { EnvName, InvalidInput, type DataFileError } from "@eto/core"
import { envNames, modules, type LoadedEnvironment } from "@eto/envs"

/** One `--set` argument: a setting name, "=", and a value (which may be empty). */
export const SettingArgument = Schema.String.check(
  Schema.isPattern(/^[A-Za-z_][A-Za-z0-9_.-]*=/, { message: "expected name=value" })
)

/** Decodes the `--set` arguments into a record; a name given twice keeps the last value. */
export const parseSettings = (args: ReadonlyArray<string>): Effect.Effect<Record<string, string>, InvalidInput> =>
  Effect.suspend(() => {
    const decode = Schema.decodeUnknownExit(SettingArgument)
    const out: Record<string, string> = {}
    for (const arg of args) {
      if (decode(arg)._tag === "Failure") {
        return Effect.fail(new InvalidInput({ reason: `bad --set '${arg}': expected name=value (e.g. --set seed=1)` }))
      }
      const at = arg.indexOf("=")
      out[arg.slice(0, at)] = arg.slice(at + 1)
    }
    return Effect.succeed(out)
  })

export interface EnvironmentRequest {
  readonly env: string
  readonly dataDir?: string | undefined
  readonly settings?: ReadonlyArray<string> | undefined
}

const cache = new Map<string, LoadedEnvironment>()

/** Checks an environment name against the registry. */
export const resolveEnvName = (name: string): Effect.Effect<EnvName, InvalidInput> => {
  const registered = envNames()
  const known = registered.length > 0 ? registered.join(", ") : "none"
  if (!Schema.is(EnvName)(name)) {
    return Effect.fail(new InvalidInput({ reason: `unknown environment '${name}' (registered: ${known})` }))
  }
  if (modules[name] === undefined) {
    return Effect.fail(new InvalidInput({ reason: `environment '${name}' is not registered yet (registered: ${known})` }))
  }
  return Effect.succeed(name)
}

/** Loads an environment from the registry and checks the settings against the ones it declares. */
export const loadEnvironment = (
  request: EnvironmentRequest
): Effect.Effect<LoadedEnvironment, InvalidInput | DataFileError> =>
  Effect.gen(function*() {
    const settings = yield* parseSettings(request.settings ?? [])
    const name = yield* resolveEnvName(request.env)
    const key = JSON.stringify([name, request.dataDir ?? null, Object.entries(settings).sort()])
    const cached = cache.get(key)
    if (cached !== undefined) return cached
    const mod = yield* Effect.tryPromise({
      try: () => modules[name]!(),
      catch: (e) => new InvalidInput({ reason: `cannot load environment '${name}': ${String(e)}` })
    })
    const env = yield* mod.load({ dataDir: request.dataDir, settings })
    const known = new Set(env.settings.map((s) => s.name))
    for (const given of Object.keys(settings)) {
      if (!known.has(given)) {
        const list = env.settings.length > 0 ? env.settings.map((s) => s.name).join(", ") : "none"
        return yield* new InvalidInput({ reason: `${name}: unknown setting '${given}' (known: ${list})` })
      }
    }
    cache.set(key, env)
    return env
  })

/**
 * A task type an environment reports beside its splits (enabled or not, and
 * why). Environments may expose such a list as `taskTypes`; it is read through
 * this schema so a missing or differently shaped field is simply not shown.
 */
export const TaskTypeInfo = Schema.Struct({
  name: Schema.optionalKey(Schema.String),
  id: Schema.optionalKey(Schema.String),
  enabled: Schema.Boolean,
  reason: Schema.optionalKey(Schema.NullOr(Schema.String))
})
export type TaskTypeInfo = typeof TaskTypeInfo.Type

export const taskTypesOf = (env: object): ReadonlyArray<TaskTypeInfo> | undefined => {
  const raw = (env as { readonly taskTypes?: unknown }).taskTypes
  if (raw === undefined) return undefined
  const exit = Schema.decodeUnknownExit(Schema.Array(TaskTypeInfo))(raw)
  return exit._tag === "Success" ? exit.value : undefined
}
