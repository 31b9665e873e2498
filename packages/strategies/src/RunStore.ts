/**
 * The file-system store of phase directories under `runs/`.
 *
 * A phase run writes into a temporary sibling directory
 * (`.partial-<key>-<pid>-<nonce>`); publishing adds the phase's
 * `manifest.json`, then `DONE.json` (the completion marker, last), and
 * renames the directory to `<phase>/<key>` in one step. The marker records
 * the store format, the phase, key and code version, and the size and
 * SHA-256 of every other file in the directory. A directory is reused only
 * when all of that matches what is on disk now: a truncated, corrupted,
 * added or missing file, a marker that does not parse, or one written by
 * another store format or phase version makes it invalid, and the caller
 * recomputes the phase instead of using it.
 */
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { DataFileError, describeSchemaError } from "@eto/core"
import { Context, Effect, Result, Schema } from "effect"
import { acquirePhaseLock, type LockWait, pidAlive, removeStaleLocks } from "./PhaseLock"

export const MARKER = "DONE.json"
export const MANIFEST = "manifest.json"
const PARTIAL = ".partial-"
const INVALID = ".invalid-"

/** The store format written into every marker; a marker of another format is not reused. */
export const STORE_FORMAT = "eto-runs/2"

const FileEntry = Schema.Struct({ bytes: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)), sha256: Schema.String })

/** The completion marker written last into a phase directory. */
export const CompletionMarker = Schema.Struct({
  store: Schema.String,
  phase: Schema.String,
  key: Schema.String,
  version: Schema.String,
  config: Schema.Unknown,
  upstream: Schema.Record(Schema.String, Schema.String),
  wallSeconds: Schema.Finite,
  finishedAt: Schema.String,
  /** Every other file of the directory (relative, `/`-separated): size and SHA-256. */
  files: Schema.Record(Schema.String, FileEntry)
})
export type CompletionMarker = typeof CompletionMarker.Type

/** What a phase hands to `commit`; the store adds the format and the file checksums. */
export type MarkerInfo = Omit<CompletionMarker, "store" | "files">

/** The state of a phase's directory. */
export type Found =
  | { readonly _tag: "Missing" }
  | { readonly _tag: "Valid"; readonly dir: string; readonly marker: CompletionMarker }
  | { readonly _tag: "Invalid"; readonly dir: string; readonly reason: string }

export interface RunStoreShape {
  /** Where phase directories live. */
  readonly root: string
  /** The finished directory of a phase run, if there is one (not verified; see `check`). */
  readonly find: (phase: string, key: string) => Effect.Effect<string | undefined>
  /**
   * The phase directory of `key`, verified against its marker: the store
   * format, phase, key and `version`, and every file's size and checksum.
   */
  readonly check: (phase: string, key: string, version: string) => Effect.Effect<Found>
  /** Moves an invalid phase directory out of the way and removes it. */
  readonly evict: (dir: string) => Effect.Effect<void, DataFileError>
  /** Reads and decodes a file of a finished phase directory. */
  readonly readJson: <A, I>(file: string, schema: Schema.Codec<A, I>) => Effect.Effect<A, DataFileError>
  /**
   * A fresh empty temporary directory for a phase run. Temporary directories
   * of the same phase and key left by processes that no longer run are
   * removed first.
   */
  readonly begin: (phase: string, key: string) => Effect.Effect<string, DataFileError>
  /**
   * Writes the manifest and marker (with every file's checksum) into
   * `tmpDir` and renames it to the phase directory. When another process
   * finished the same key meanwhile, its directory wins and `tmpDir` is
   * removed. Returns the phase directory.
   */
  readonly commit: (tmpDir: string, manifest: unknown, marker: MarkerInfo) => Effect.Effect<string, DataFileError>
  /** Removes a temporary directory (a phase that failed). */
  readonly discard: (tmpDir: string) => Effect.Effect<void>
  /**
   * Holds the lock of a phase key while `use` runs, so two processes do not
   * compute the same phase at once; a lock left by a process that no longer
   * runs is taken over. `onWait` is told who holds it while waiting.
   */
  readonly withLock: <A, E, R>(
    phase: string,
    key: string,
    onWait: (wait: LockWait) => void,
    use: Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E | DataFileError, R>
  /** Removes every temporary directory and lock left by a process that no longer runs. */
  readonly cleanStale: () => Effect.Effect<ReadonlyArray<string>, DataFileError>
}

export class RunStore extends Context.Service<RunStore, RunStoreShape>()("@eto/strategies/RunStore") {}

/** `.partial-<key>-<pid>-<nonce>` or `.invalid-<key>-<pid>-<nonce>` → pid. */
const scratchPid = (name: string): number | undefined => {
  const m = /^\.(?:partial|invalid)-[^-]+-(\d+)-[0-9a-f]+$/.exec(name)
  return m ? Number(m[1]) : undefined
}

const fsError = (file: string, what: string) => (e: unknown) =>
  new DataFileError({ path: file, reason: `cannot ${what}: ${e instanceof Error ? e.message : String(e)}` })

/** Every file under `dir` (relative, `/`-separated, sorted), directories left out. */
export const listFiles = (dir: string): Array<string> => {
  const out: Array<string> = []
  const walk = (rel: string) => {
    for (const d of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel === "" ? d.name : `${rel}/${d.name}`
      if (d.isDirectory()) walk(r)
      else out.push(r)
    }
  }
  walk("")
  return out.sort()
}

const sha256File = (file: string): string => {
  const hash = crypto.createHash("sha256")
  const fd = fs.openSync(file, "r")
  try {
    const buf = Buffer.allocUnsafe(1 << 20)
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null)
      if (n === 0) break
      hash.update(buf.subarray(0, n))
    }
  } finally {
    fs.closeSync(fd)
  }
  return hash.digest("hex")
}

/** Size and checksum of every file of a directory except the marker. */
export const checksums = (dir: string): Record<string, { bytes: number; sha256: string }> =>
  Object.fromEntries(
    listFiles(dir)
      .filter((f) => f !== MARKER)
      .map((f) => [f, { bytes: fs.statSync(path.join(dir, f)).size, sha256: sha256File(path.join(dir, f)) }])
  )

const decodeMarker = Schema.decodeUnknownResult(CompletionMarker)

/**
 * Why a phase directory cannot be used (undefined: it can). Checks the
 * marker first, then the file list, sizes and checksums.
 */
export const verifyPhaseDir = (
  dir: string,
  expected: { readonly phase: string; readonly key: string; readonly version: string }
): { readonly marker: CompletionMarker } | { readonly reason: string } => {
  let json: unknown
  try {
    json = JSON.parse(fs.readFileSync(path.join(dir, MARKER), "utf8"))
  } catch (e) {
    return { reason: `${MARKER} is unreadable (${e instanceof Error ? e.message : String(e)})` }
  }
  const store = typeof json === "object" && json !== null ? (json as { store?: unknown }).store : undefined
  if (store !== STORE_FORMAT) {
    return { reason: `written by another run-store format (${typeof store === "string" ? store : "none recorded"}, expected ${STORE_FORMAT})` }
  }
  const decoded = decodeMarker(json)
  if (Result.isFailure(decoded)) return { reason: `${MARKER} is malformed: ${describeSchemaError(decoded.failure)}` }
  const m = decoded.success
  if (m.phase !== expected.phase || m.key !== expected.key) {
    return { reason: `${MARKER} belongs to ${m.phase} [${m.key}], not ${expected.phase} [${expected.key}]` }
  }
  if (m.version !== expected.version) return { reason: `written by phase version ${m.version}, this code is version ${expected.version}` }
  const onDisk = listFiles(dir).filter((f) => f !== MARKER)
  const listed = Object.keys(m.files).sort()
  const missing = listed.filter((f) => !onDisk.includes(f))
  if (missing.length > 0) return { reason: `${missing[0]} is missing` }
  const extra = onDisk.filter((f) => m.files[f] === undefined)
  if (extra.length > 0) return { reason: `${extra[0]} is not in the marker's file list` }
  for (const f of listed) {
    const want = m.files[f]!
    const bytes = fs.statSync(path.join(dir, f)).size
    if (bytes < want.bytes) return { reason: `${f} is truncated (${bytes} of ${want.bytes} bytes)` }
    if (bytes !== want.bytes) return { reason: `${f} has ${bytes} bytes, ${want.bytes} were written` }
    if (sha256File(path.join(dir, f)) !== want.sha256) return { reason: `${f} is corrupted (checksum mismatch)` }
  }
  return { marker: m }
}

/** The file-system run store rooted at `root`. */
export const makeRunStore = (root: string): RunStoreShape => {
  const phaseDir = (phase: string) => path.join(root, phase)
  const finalDir = (phase: string, key: string) => path.join(root, phase, key)
  const scratch = (phase: string, prefix: string, key: string) =>
    path.join(phaseDir(phase), `${prefix}${key}-${process.pid}-${crypto.randomBytes(4).toString("hex")}`)

  const removeStaleIn = (dir: string, keyFilter?: string): Array<string> => {
    if (!fs.existsSync(dir)) return []
    const removed: Array<string> = []
    for (const name of fs.readdirSync(dir)) {
      if (!name.startsWith(PARTIAL) && !name.startsWith(INVALID)) continue
      if (keyFilter !== undefined && !name.startsWith(`${PARTIAL}${keyFilter}-`)) continue
      const pid = scratchPid(name)
      if (pid !== undefined && pidAlive(pid)) continue
      fs.rmSync(path.join(dir, name), { recursive: true, force: true })
      removed.push(path.join(dir, name))
    }
    return removed
  }

  return {
    root,
    find: (phase, key) =>
      Effect.sync(() => {
        const dir = finalDir(phase, key)
        return fs.existsSync(path.join(dir, MARKER)) ? dir : undefined
      }),
    check: (phase, key, version) =>
      Effect.sync((): Found => {
        const dir = finalDir(phase, key)
        if (!fs.existsSync(dir)) return { _tag: "Missing" }
        try {
          const r = verifyPhaseDir(dir, { phase, key, version })
          return "reason" in r ? { _tag: "Invalid", dir, reason: r.reason } : { _tag: "Valid", dir, marker: r.marker }
        } catch (e) {
          return { _tag: "Invalid", dir, reason: `cannot be read (${e instanceof Error ? e.message : String(e)})` }
        }
      }),
    evict: (dir) =>
      Effect.try({
        try: () => {
          const key = path.basename(dir)
          const aside = scratch(path.basename(path.dirname(dir)), INVALID, key)
          fs.renameSync(dir, aside)
          fs.rmSync(aside, { recursive: true, force: true })
        },
        catch: fsError(dir, "remove the invalid phase directory")
      }),
    readJson: <A, I>(file: string, schema: Schema.Codec<A, I>) =>
      Effect.flatMap(
        Effect.try({ try: () => JSON.parse(fs.readFileSync(file, "utf8")) as unknown, catch: fsError(file, "read JSON") }),
        (json) => {
          const r = Schema.decodeUnknownResult(schema as unknown as Schema.Codec<A, I, never, never>)(json)
          return Result.isFailure(r)
            ? Effect.fail(new DataFileError({ path: file, reason: `bad content: ${describeSchemaError(r.failure)}` }))
            : Effect.succeed(r.success)
        }
      ),
    begin: (phase, key) =>
      Effect.try({
        try: () => {
          const dir = phaseDir(phase)
          fs.mkdirSync(dir, { recursive: true })
          removeStaleIn(dir, key)
          const tmp = scratch(phase, PARTIAL, key)
          fs.mkdirSync(tmp)
          return tmp
        },
        catch: fsError(phaseDir(phase), "create a temporary directory in")
      }),
    commit: (tmpDir, manifest, info) =>
      Effect.try({
        try: () => {
          fs.writeFileSync(path.join(tmpDir, MANIFEST), JSON.stringify(manifest, null, 2) + "\n")
          const marker: CompletionMarker = { store: STORE_FORMAT, ...info, files: checksums(tmpDir) }
          // The marker goes in last: a directory with it is complete.
          fs.writeFileSync(path.join(tmpDir, MARKER), JSON.stringify(marker, null, 2) + "\n")
          const target = finalDir(info.phase, info.key)
          if (fs.existsSync(target) && !fs.existsSync(path.join(target, MARKER))) {
            // A directory without its marker was not made by a rename from here; replace it.
            fs.rmSync(target, { recursive: true, force: true })
          }
          try {
            fs.renameSync(tmpDir, target)
          } catch (e) {
            const code = (e as NodeJS.ErrnoException).code
            if ((code === "ENOTEMPTY" || code === "EEXIST") && fs.existsSync(path.join(target, MARKER))) {
              fs.rmSync(tmpDir, { recursive: true, force: true })
            } else {
              throw e
            }
          }
          return target
        },
        catch: fsError(tmpDir, "finish phase directory")
      }),
    discard: (tmpDir) => Effect.sync(() => fs.rmSync(tmpDir, { recursive: true, force: true })),
    withLock: (phase, key, onWait, use) =>
      Effect.acquireUseRelease(
        Effect.flatMap(
          Effect.try({ try: () => fs.mkdirSync(phaseDir(phase), { recursive: true }), catch: fsError(phaseDir(phase), "create") }),
          () => acquirePhaseLock(path.join(phaseDir(phase), `.lock-${key}`), onWait)
        ),
        () => use,
        (lock) => Effect.sync(() => lock.release())
      ),
    cleanStale: () =>
      Effect.try({
        try: () => {
          if (!fs.existsSync(root)) return []
          return fs.readdirSync(root, { withFileTypes: true })
            .filter((d) => d.isDirectory())
            .flatMap((d) => [...removeStaleIn(path.join(root, d.name)), ...removeStaleLocks(path.join(root, d.name))])
        },
        catch: fsError(root, "clean")
      })
  }
}
