/** Every fuzz target, in the order `pnpm bench:fuzz` runs them. */
import { checkpointLoading } from "./checkpoint"
import { cliFlags } from "./cli"
import { alfworldActions, sciworldActions, webshopActions } from "./envs"
import { serveHttp } from "./serve"
import { actionsFile, conversations, dpo, experimentConfig, sftData, trajectoriesJsonl } from "./readers"
import type { FuzzTarget } from "./Target"

export const targets: ReadonlyArray<FuzzTarget> = [
  webshopActions,
  alfworldActions,
  sciworldActions,
  trajectoriesJsonl,
  conversations,
  sftData,
  dpo,
  actionsFile,
  experimentConfig,
  checkpointLoading,
  cliFlags,
  serveHttp
]
