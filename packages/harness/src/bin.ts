/**
 * The `eto` executable: `pnpm eto <command>` or
 * `node --import tsx packages/harness/src/bin.ts <command>`.
 */
import { Effect } from "effect"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { layerNode, runCli } from "./Main"

NodeRuntime.runMain(
  runCli(process.argv.slice(2)).pipe(
    Effect.provide(layerNode),
    Effect.flatMap((code) =>
      Effect.sync(() => {
        process.exitCode = code
        // The platform layer holds standard input open; release it so an open
        // pipe or terminal does not keep the finished process alive.
        process.stdin.destroy()
      })
    )
  ),
  { disableErrorReporting: true }
)
