/**
 * `eto envs`: the registered environments with their splits, task counts,
 * settings and, where an environment reports them, task types.
 */
import { Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import { envNames, type LoadedEnvironment } from "@eto/envs"
import { loadEnvironment, resolveEnvName, taskTypesOf, type TaskTypeInfo } from "../Environments"
import * as Flags from "../Flags"
import { println } from "../Io"
import { CommandFailed } from "../Errors"

interface EnvReport {
  readonly name: string
  readonly defaultSplit?: string
  readonly splits?: ReadonlyArray<{ readonly name: string; readonly tasks: number }>
  readonly settings?: ReadonlyArray<{ readonly name: string; readonly description: string; readonly default: string }>
  readonly taskTypes?: ReadonlyArray<TaskTypeInfo>
  readonly error?: string
}

const describe = (name: string, env: LoadedEnvironment) =>
  Effect.gen(function*() {
    const splits: Array<{ name: string; tasks: number }> = []
    for (const split of env.splits) {
      const tasks = yield* env.tasks(split)
      splits.push({ name: split, tasks: tasks.length })
    }
    const taskTypes = taskTypesOf(env)
    const report: EnvReport = {
      name,
      defaultSplit: env.defaultSplit,
      splits,
      settings: env.settings.map((s) => ({ name: s.name, description: s.description, default: s.default })),
      ...(taskTypes === undefined ? {} : { taskTypes })
    }
    return report
  })

const printText = (r: EnvReport) =>
  Effect.gen(function*() {
    if (r.error !== undefined) {
      yield* println(`${r.name}: cannot load: ${r.error}`)
      return
    }
    yield* println(`${r.name} (default split: ${r.defaultSplit})`)
    yield* println(`  splits: ${(r.splits ?? []).map((s) => `${s.name} (${s.tasks} tasks)`).join(", ")}`)
    const settings = r.settings ?? []
    if (settings.length === 0) {
      yield* println("  settings: none")
    } else {
      yield* println("  settings:")
      const width = Math.max(...settings.map((s) => s.name.length))
      const defaultWidth = Math.max(...settings.map((s) => JSON.stringify(s.default).length))
      for (const s of settings) {
        yield* println(`    ${s.name.padEnd(width)}  default ${JSON.stringify(s.default).padEnd(defaultWidth)}  ${s.description}`)
      }
    }
    if (r.taskTypes !== undefined) {
      const enabled = r.taskTypes.filter((t) => t.enabled).length
      yield* println(`  task types: ${enabled} of ${r.taskTypes.length} enabled`)
      for (const t of r.taskTypes) {
        const label = [t.id, t.name].filter((x) => x !== undefined && x !== "").join(" ") || "?"
        yield* println(`    ${t.enabled ? "+" : "-"} ${label}${!t.enabled && t.reason ? `: ${t.reason}` : ""}`)
      }
    }
  })

export const envsCommand = Command.make(
  "envs",
  {
    env: Flag.String("env").pipe(
      Flag.atLeast(0),
      Flag.withDescription("Only this environment, repeatable (default: every registered one)")
    ),
    json: Flags.json,
    dataDir: Flags.dataDir
  },
  (flags) =>
    Effect.gen(function*() {
      const reports: Array<EnvReport> = []
      const names = flags.env.length > 0 ? flags.env : envNames()
      for (const name of names) {
        if (flags.env.length > 0) yield* resolveEnvName(name)
        const report = yield* loadEnvironment({ env: name, dataDir: Option.getOrUndefined(flags.dataDir) }).pipe(
          Effect.flatMap((env) => describe(name, env)),
          Effect.catch((e) => Effect.succeed<EnvReport>({ name, error: e.message }))
        )
        reports.push(report)
      }
      if (flags.json) {
        yield* println(JSON.stringify({ environments: reports }))
      } else if (reports.length === 0) {
        yield* println("no environments registered")
      } else {
        for (const r of reports) yield* printText(r)
      }
      const failed = reports.filter((r) => r.error !== undefined)
      if (failed.length > 0) {
        return yield* new CommandFailed({ reason: `${failed.map((r) => r.name).join(", ")}${failed.length === 1 ? " was" : " were"} not loaded` })
      }
    })
).pipe(
  Command.withDescription("List the registered environments: splits, task counts, settings and task types")
)
