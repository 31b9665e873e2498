/**
 * JSON Lines files read and written through a schema. Reading reports the
 * file and line of the first bad record; writing is atomic (temp file, then
 * rename), so a killed run never leaves half a file behind.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import * as zlib from "node:zlib"
import { Effect, Result, Schema } from "effect"
import { DataFileError, oneLine } from "./Errors"
import { describeSchemaError } from "./SchemaErrors"

/** Reads a text file, gunzipping `.gz` files. */
export const readText = (file: string, hint?: string): Effect.Effect<string, DataFileError> =>
  Effect.try({
    try: () => {
      const buf = fs.readFileSync(file)
      return (file.endsWith(".gz") ? zlib.gunzipSync(buf) : buf).toString("utf8")
    },
    catch: (e) =>
      new DataFileError({
        path: file,
        reason: (e as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : `cannot read: ${String(e)}`,
        hint
      })
  })

/** Decodes every non-empty line of a JSONL text. */
export const decodeJsonl = <S extends Schema.Codec<any, any, never, never>>(
  schema: S,
  text: string,
  file: string,
  hint?: string
): Effect.Effect<Array<S["Type"]>, DataFileError> =>
  Effect.suspend(() => {
    const decode = Schema.decodeUnknownResult(schema)
    const out: Array<S["Type"]> = []
    const lines = text.split("\n")
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.trim()
      if (line === "") continue
      let json: unknown
      try {
        json = JSON.parse(line)
      } catch (e) {
        return Effect.fail(new DataFileError({ path: file, line: i + 1, reason: `invalid JSON: ${oneLine((e as Error).message)}`, hint }))
      }
      const decoded = decode(json)
      if (Result.isFailure(decoded)) {
        return Effect.fail(new DataFileError({ path: file, line: i + 1, reason: `bad record: ${describeSchemaError(decoded.failure)}`, hint }))
      }
      out.push(decoded.success)
    }
    return Effect.succeed(out)
  })

export const readJsonl = <S extends Schema.Codec<any, any, never, never>>(
  schema: S,
  file: string,
  hint?: string
): Effect.Effect<Array<S["Type"]>, DataFileError> =>
  Effect.flatMap(readText(file, hint), (text) => decodeJsonl(schema, text, file, hint))

/** Writes a file atomically: a temporary sibling, then a rename. */
export const writeFileAtomic = (file: string, data: string | Uint8Array): Effect.Effect<void, DataFileError> =>
  Effect.try({
    try: () => {
      fs.mkdirSync(path.dirname(file), { recursive: true })
      const tmp = `${file}.${process.pid}.${Date.now()}.tmp`
      fs.writeFileSync(tmp, data)
      fs.renameSync(tmp, file)
    },
    catch: (e) => new DataFileError({ path: file, reason: `cannot write: ${String(e)}` })
  })

export const encodeJsonl = <S extends Schema.Codec<any, any, never, never>>(
  schema: S,
  values: ReadonlyArray<S["Type"]>
): string => {
  const encode = Schema.encodeSync(schema)
  return values.map((v) => JSON.stringify(encode(v))).join("\n") + (values.length > 0 ? "\n" : "")
}

export const writeJsonl = <S extends Schema.Codec<any, any, never, never>>(
  schema: S,
  file: string,
  values: ReadonlyArray<S["Type"]>
): Effect.Effect<void, DataFileError> =>
  Effect.flatMap(Effect.sync(() => encodeJsonl(schema, values)), (text) => writeFileAtomic(file, text))
