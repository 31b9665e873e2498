/**
 * Command-line flags of the benchmark scripts: `--name value` pairs (and
 * bare boolean flags, read as "true"), decoded through a schema. A bad
 * command line prints one line naming the flag and exits with code 2.
 */
import { describeSchemaError } from "@eto/core"
import { Result, Schema } from "effect"

export const parseFlags = <A, I>(
  command: string,
  schema: Schema.Codec<A, I>,
  argv: ReadonlyArray<string>,
  booleans: ReadonlyArray<string> = []
): A => {
  const fail = (why: string): never => {
    console.error(`${command}: ${why}`)
    process.exit(2)
  }
  const given: Record<string, string> = {}
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z][a-z-]*)(?:=(.*))?$/.exec(argv[i]!)
    if (m === null) fail(`unexpected argument '${argv[i]}'`)
    const name = m![1]!
    if (name in given) fail(`--${name} given twice`)
    if (booleans.includes(name)) given[name] = "true"
    else if (m![2] !== undefined) given[name] = m![2]
    else if (i + 1 < argv.length) given[name] = argv[++i]!
    else fail(`--${name} needs a value`)
  }
  const known = Schema.isSchema(schema) && "fields" in schema ? Object.keys((schema as unknown as { fields: object }).fields) : []
  for (const name of Object.keys(given)) if (!known.includes(name)) fail(`unknown flag --${name} (known: ${known.map((k) => `--${k}`).join(", ")})`)
  const decoded = Schema.decodeUnknownResult(schema as unknown as Schema.Codec<A, I, never, never>)(given)
  if (Result.isFailure(decoded)) fail(`bad flag ${describeSchemaError(decoded.failure).replace(/^(\w+)/, "--$1")}`)
  return Result.getOrThrow(decoded)
}
