/**
 * Engine settings (`--set name=value`). Each is a documented choice where the
 * behaviour of the jar used by the paper cannot be verified.
 */
import { Effect, Schema } from "effect"
import { InvalidInput, type SettingInfo } from "@eto/core"

export interface Settings {
  /** Open every closable container at reset (the paper's prompt says they are open). */
  readonly openContainers: boolean
  /** 6-3's last sentence names the tertiary colour (patched jars) or the secondary one (official releases). */
  readonly paintTertiaryWording: "tertiary" | "secondary"
  /** The debugging orange every task starts with in the inventory. */
  readonly inventoryOrange: boolean
}

export const DEFAULT_SETTINGS: Settings = { openContainers: true, paintTertiaryWording: "tertiary", inventoryOrange: true }

const Bool = Schema.Literals(["true", "false"])
const SCHEMAS = {
  openContainers: Bool,
  paintTertiaryWording: Schema.Literals(["tertiary", "secondary"]),
  inventoryOrange: Bool
} as const

export const SETTINGS_INFO: ReadonlyArray<SettingInfo> = [
  {
    name: "openContainers",
    description: "open all closable containers (cupboards, fridge, bee hive, ...) at reset, so bees leave the hive from the first tick (true|false)",
    default: "true"
  },
  {
    name: "paintTertiaryWording",
    description: "6-3 description ends with the tertiary colour as in patched jars, or the secondary colour as in official releases (tertiary|secondary)",
    default: "tertiary"
  },
  { name: "inventoryOrange", description: "the agent starts with an orange in its inventory, as in every official release (true|false)", default: "true" }
]

/** Decodes `name=value` settings; unknown names and bad values are InvalidInput. */
export const decodeSettings = (raw: Readonly<Record<string, string>> | undefined): Effect.Effect<Settings, InvalidInput> =>
  Effect.suspend(() => {
    const out: { -readonly [K in keyof Settings]: Settings[K] } = { ...DEFAULT_SETTINGS }
    for (const [name, value] of Object.entries(raw ?? {})) {
      if (!(name in SCHEMAS)) {
        return Effect.fail(
          new InvalidInput({ reason: `sciworld: unknown setting '${name}' (known: ${Object.keys(SCHEMAS).join(", ")})` })
        )
      }
      const exit = Schema.decodeUnknownExit(SCHEMAS[name as keyof typeof SCHEMAS])(value)
      if (exit._tag === "Failure") {
        const info = SETTINGS_INFO.find((s) => s.name === name)!
        return Effect.fail(new InvalidInput({ reason: `sciworld: bad value '${value}' for setting '${name}': ${info.description}` }))
      }
      if (name === "paintTertiaryWording") out.paintTertiaryWording = exit.value as Settings["paintTertiaryWording"]
      else if (name === "openContainers") out.openContainers = exit.value === "true"
      else out.inventoryOrange = exit.value === "true"
    }
    return Effect.succeed(out)
  })
