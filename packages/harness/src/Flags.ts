/**
 * Flags shared by several commands, so they read and behave the same
 * everywhere.
 */
import { Flag } from "effect/cli"
import { envNames } from "@eto/envs"

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
