/**
 * The command-line harness: the `eto` command tree and the plumbing its
 * commands share, for reuse by other packages and tools.
 */
export * as ActionsFile from "./ActionsFile"
export { commandGroups, rootCommand, VERSION } from "./Cli"
export * as Environments from "./Environments"
export { CommandFailed, describeCliError, describeFailure } from "./Errors"
export * as Flags from "./Flags"
export { eprintln, Io, type IoShape, println } from "./Io"
export * as IoLayers from "./Io"
export { EXIT_DEFECT, EXIT_FAILED, EXIT_OK, EXIT_USAGE, layerNode, runCli, runCommand } from "./Main"
export * as Policies from "./Policies"
export * as Progress from "./Progress"
export * as Results from "./Results"
