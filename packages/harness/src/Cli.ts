/**
 * The `eto` root command and its command groups.
 *
 * Adding a group: write `src/commands/<group>.ts` exporting an effect/cli
 * `Command` (its handler may use the `Io` service and the platform services
 * provided in Main.ts), import it below and add it to `commandGroups`, e.g.
 *
 *   import { policyCommand } from "./commands/policy"
 *   ...
 *   export const commandGroups = [envsCommand, ..., policyCommand] as const
 *
 * Handler failures print as one line (their `message`) with exit code 1;
 * flag errors print as one line with exit code 2 (see Main.ts).
 */
import { Command } from "effect/cli"
import { benchCommand } from "./commands/bench"
import { compareCommand } from "./commands/compare"
import { envsCommand } from "./commands/envs"
import { evalCommand } from "./commands/eval"
import { exportCommand } from "./commands/export"
import { playCommand } from "./commands/play"
import { policyCommand } from "./commands/policy"
import { replayCommand } from "./commands/replay"
import { serveCommand } from "./commands/serve"
import { webshopCommand } from "./commands/webshop"

export const commandGroups = [evalCommand, replayCommand, playCommand, envsCommand, webshopCommand, compareCommand, policyCommand, benchCommand, serveCommand, exportCommand] as const

export const rootCommand = Command.make("eto").pipe(
  Command.withDescription(
    "ETO Bench: evaluate, replay and play agent environments (WebShop, ALFWorld, ScienceWorld)"
  ),
  Command.withSubcommands(commandGroups)
)

export const VERSION = "0.1.0"
