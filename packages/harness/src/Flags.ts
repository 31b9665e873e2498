/**
 * Flags shared by several commands, so they read and behave the same
 * everywhere.
 */
import { Effect, Option } from "effect"
import { Flag } from "effect/cli"
import { InvalidInput } from "@eto/core"
import { envNames } from "@eto/envs"
import type { RemoteSettings } from "./Policies"

export const env = Flag.String("env").pipe(
  Flag.withDescription(`Environment name (registered: ${envNames().join(", ") || "none"})`)
)

export const settings = Flag.String("set").pipe(
  Flag.atLeast(0),
  Flag.withMetavar("name=value"),
  Flag.withDescription("Environment setting, repeatable (see `eto envs` for each environment's settings)")
)

export const dataDir = Flag.String("data-dir").pipe(
  Flag.optional,
  Flag.withMetavar("dir"),
  Flag.withDescription("Benchmark data directory (default: $ETO_DATA_DIR, else ../shared/data beside the repository)")
)

export const json = Flag.Boolean("json").pipe(
  Flag.withDefault(false),
  Flag.withDescription("Print JSON on standard output instead of text"))

export const seed = Flag.Int("seed").pipe(Flag.withDefault(0), Flag.withDescription("Seed for every random choice (default 0)"))

/** Settings of remote (`openai:<model>`) policies. */
export const remote = {
  baseUrl: Flag.String("base-url").pipe(
    Flag.optional,
    Flag.withMetavar("url"),
    Flag.withDescription("OpenAI-compatible API root for openai:<model> (default: $OPENAI_BASE_URL, else https://api.openai.com/v1); key from $OPENAI_API_KEY")
  ),
  concurrency: Flag.Int("concurrency").pipe(Flag.withDefault(8), Flag.withDescription("openai:<model>: requests in flight at once (default 8)")),
  shots: Flag.Int("shots").pipe(Flag.withDefault(1), Flag.withDescription("openai:<model>: in-context examples before the task, 1 (the paper's) or 0")),
  temperature: Flag.Finite("temperature").pipe(Flag.withDefault(0), Flag.withDescription("openai:<model>: sampling temperature (default 0, greedy)")),
  maxTokens: Flag.Int("max-tokens").pipe(Flag.optional, Flag.withDescription("openai:<model>: most tokens per reply (default: the server's)"))
}

/** The remote settings of parsed flags, checked. */
export const remoteSettings = (f: {
  readonly baseUrl: Option.Option<string>
  readonly concurrency: number
  readonly shots: number
  readonly temperature: number
  readonly maxTokens: Option.Option<number>
}): Effect.Effect<RemoteSettings, InvalidInput> => {
  const bad = (reason: string) => Effect.fail(new InvalidInput({ reason }))
  if (f.shots !== 0 && f.shots !== 1) return bad(`--shots must be 0 or 1 (got ${f.shots})`)
  if (!(f.concurrency >= 1)) return bad(`--concurrency must be at least 1 (got ${f.concurrency})`)
  if (!(f.temperature >= 0)) return bad(`--temperature must be at least 0 (got ${f.temperature})`)
  if (Option.isSome(f.maxTokens) && !(f.maxTokens.value >= 1)) return bad(`--max-tokens must be at least 1 (got ${f.maxTokens.value})`)
  if (Option.isSome(f.baseUrl) && !URL.canParse(f.baseUrl.value)) return bad(`--base-url: '${f.baseUrl.value}' is not a URL`)
  return Effect.succeed({
    baseUrl: Option.getOrUndefined(f.baseUrl),
    concurrency: f.concurrency,
    shots: f.shots,
    temperature: f.temperature,
    maxTokens: Option.getOrUndefined(f.maxTokens)
  })
}
