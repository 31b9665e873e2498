/**
 * Experiment phases and their on-disk artifacts.
 *
 * A phase (expert data, SFT, exploration, pair building, training,
 * evaluation) writes its files under `runs/<phase>/<key>/`, where `key` hashes
 * everything the phase depends on: its slice of the configuration, the keys
 * of the phases it reads from, and its code version. Running a phase whose
 * key already has a finished directory reuses it, after checking every file
 * against the checksums in its completion marker; a directory that fails the
 * check (truncated, corrupted, another store format or phase version) is
 * reported in one line, removed and recomputed. Otherwise the phase writes
 * into a fresh temporary sibling directory, adds its manifest and the marker,
 * and renames the directory into place in one step (RunStore.ts). A killed
 * run therefore leaves at most a temporary directory, which the next run
 * removes, and resumes at the first unfinished phase. While a process
 * computes a phase it holds the phase key's lock (PhaseLock.ts): a second
 * process running the same experiment waits for it and then reuses its
 * directory; a lock left by a killed process is taken over.
 *
 * A phase declares the schema of its manifest, so a reused phase hands back
 * the same typed value as a fresh one. `manifest.json` and `DONE.json` are
 * the store's own files in a phase directory; a phase writes other names.
 * A phase body must not run other phases (they are its upstream instead).
 */
import * as crypto from "node:crypto"
import * as path from "node:path"
import { DataFileError, describeSchemaError, Paths } from "@eto/core"
import { Context, Effect, Layer, Schema } from "effect"
import { type LockWait } from "./PhaseLock"
import { type CompletionMarker, MANIFEST, makeRunStore, RunStore } from "./RunStore"

// ---------------------------------------------------------------------------
// Keys

/**
 * JSON with object keys sorted at every level, so equal values hash equally
 * whatever order their keys were written in. `undefined` members are left
 * out as JSON.stringify does; non-finite numbers and functions are refused.
 */
export const canonicalJson = (value: unknown): string => {
  const walk = (v: unknown, at: string): unknown => {
    if (v === null || typeof v === "string" || typeof v === "boolean") return v
    if (typeof v === "number") {
      if (!Number.isFinite(v)) throw new TypeError(`phase key: non-finite number at ${at}`)
      return v
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, `${at}[${i}]`))
    if (typeof v === "object") {
      const out: Record<string, unknown> = {}
      for (const k of Object.keys(v as object).sort()) {
        const x = (v as Record<string, unknown>)[k]
        if (x !== undefined) out[k] = walk(x, `${at}.${k}`)
      }
      return out
    }
    throw new TypeError(`phase key: cannot hash a ${typeof v} at ${at}`)
  }
  return JSON.stringify(walk(value, "$"))
}

/** What a phase's key is computed from. */
export interface KeyInputs {
  readonly phase: string
  readonly version: string
  readonly config: unknown
  /** Keys of the phases this one reads, by a name of the caller's choosing. */
  readonly upstream: Readonly<Record<string, string>>
}

/** 16 hex digits of SHA-256 over the canonical JSON of the inputs. */
export const phaseKey = (inputs: KeyInputs): string =>
  crypto.createHash("sha256").update(canonicalJson(inputs)).digest("hex").slice(0, 16)

// ---------------------------------------------------------------------------
// Run store (RunStore.ts) and phase locks (PhaseLock.ts)

export {
  checksums,
  CompletionMarker,
  type Found,
  makeRunStore,
  MANIFEST,
  MARKER,
  type MarkerInfo,
  RunStore,
  type RunStoreShape,
  STORE_FORMAT,
  verifyPhaseDir
} from "./RunStore"
export { type LockOwner, type LockWait } from "./PhaseLock"

/** The runs directory: `$ETO_RUNS_DIR`, else `runs/` at the repository root. */
export const defaultRunsDir = (): string => process.env.ETO_RUNS_DIR ?? path.join(Paths.repoRoot(), "runs")

export const layerRunStore = (root: string = defaultRunsDir()): Layer.Layer<RunStore> =>
  Layer.succeed(RunStore, makeRunStore(root))

// ---------------------------------------------------------------------------
// Progress and phase log lines

export interface PhaseEnd {
  readonly phase: string
  readonly key: string
  readonly reused: boolean
  /** Wall time of this run of the phase (lookup time when reused). */
  readonly wallSeconds: number
  /** Wall time of the run that produced the directory. */
  readonly producedInSeconds: number
}

export interface RunReporterShape {
  readonly phaseStart: (phase: string, key: string) => void
  /** Synchronous so hot loops can call it; implementations throttle. */
  readonly progress: (phase: string, done: number, total: number) => void
  readonly phaseEnd: (end: PhaseEnd) => void
  readonly line: (text: string) => void
}

export class RunReporter extends Context.Service<RunReporter, RunReporterShape>()("@eto/strategies/RunReporter") {}

const seconds = (s: number): string =>
  s < 60 ? `${s.toFixed(1)} s` : s < 3600 ? `${(s / 60).toFixed(1)} min` : `${(s / 3600).toFixed(2)} h`

/** One log line per phase end. */
export const phaseEndLine = (e: PhaseEnd): string =>
  e.reused
    ? `phase ${e.phase} [${e.key}] reused (produced in ${seconds(e.producedInSeconds)})`
    : `phase ${e.phase} [${e.key}] done in ${seconds(e.wallSeconds)}`

/**
 * A reporter that writes text lines: one at each phase start and end, and
 * progress at most every `intervalMs` (plus the final count) with rate and
 * time left.
 */
export const textReporter = (
  write: (line: string) => void,
  options: { readonly intervalMs?: number; readonly now?: () => number } = {}
): RunReporterShape => {
  const interval = options.intervalMs ?? 2000
  const now = options.now ?? (() => performance.now())
  const started = new Map<string, number>()
  const lastShown = new Map<string, number>()
  return {
    phaseStart: (phase, key) => {
      started.set(phase, now())
      lastShown.delete(phase)
      write(`phase ${phase} [${key}] started`)
    },
    progress: (phase, done, total) => {
      const t = now()
      const last = lastShown.get(phase)
      if (done < total && last !== undefined && t - last < interval) return
      lastShown.set(phase, t)
      const elapsed = (t - (started.get(phase) ?? t)) / 1000
      const rate = elapsed > 0 ? done / elapsed : 0
      const left = rate > 0 && total > done ? `, ${seconds((total - done) / rate)} left` : ""
      const share = total > 0 ? ` (${((100 * done) / total).toFixed(0)}%)` : ""
      write(`phase ${phase}: ${done}/${total}${share}, ${seconds(elapsed)}${left}`)
    },
    phaseEnd: (e) => write(phaseEndLine(e)),
    line: write
  }
}

export const layerStderrReporter: Layer.Layer<RunReporter> = Layer.sync(RunReporter, () =>
  textReporter((l) => process.stderr.write(`${l}\n`)))

// ---------------------------------------------------------------------------
// Phase memoisation

/** A finished phase: where its files are and its decoded manifest. */
export interface PhaseOutput<M> {
  readonly phase: string
  readonly key: string
  readonly dir: string
  readonly manifest: M
  readonly reused: boolean
  readonly wallSeconds: number
}

export interface PhaseSpec<M, I> {
  /** Directory name under the runs root, e.g. `sft` or `explore`. */
  readonly phase: string
  /** Bump when the phase's code changes what it writes. */
  readonly version: string
  /** The part of the configuration this phase reads. */
  readonly config: unknown
  /** Phases this one reads from, by name; their keys enter this key. */
  readonly upstream?: Readonly<Record<string, PhaseOutput<unknown>>>
  /** The schema of the manifest the phase returns. */
  readonly manifest: Schema.Codec<M, I>
}

export interface PhaseContext {
  /** The directory to write into (temporary until the phase finishes). */
  readonly dir: string
  readonly key: string
  /** Reports progress of a long phase. */
  readonly progress: (done: number, total: number) => void
  readonly log: (text: string) => void
}

/** The key a phase spec resolves to. */
export const specKey = (spec: PhaseSpec<any, any>): string =>
  phaseKey({
    phase: spec.phase,
    version: spec.version,
    config: spec.config,
    upstream: Object.fromEntries(Object.entries(spec.upstream ?? {}).map(([k, v]) => [k, v.key]))
  })

/**
 * Runs `body` as a memoised phase: a finished directory with the same key is
 * reused (its manifest decoded with the phase's schema); otherwise `body`
 * writes into a temporary directory, its result becomes the manifest, and
 * the directory is published atomically. Paths in a manifest should be
 * relative to the phase directory, which moves when published.
 */
export const memoPhase = <M, I, E, R>(
  spec: PhaseSpec<M, I>,
  body: (ctx: PhaseContext) => Effect.Effect<M, E, R>
): Effect.Effect<PhaseOutput<M>, E | DataFileError, R | RunStore | RunReporter> =>
  Effect.gen(function*() {
    const store = yield* RunStore
    const reporter = yield* RunReporter
    const upstream = Object.fromEntries(Object.entries(spec.upstream ?? {}).map(([k, v]) => [k, v.key]))
    const key = phaseKey({ phase: spec.phase, version: spec.version, config: spec.config, upstream })
    const t0 = performance.now()
    const reuse = (dir: string, marker: CompletionMarker) =>
      Effect.map(store.readJson(path.join(dir, MANIFEST), spec.manifest), (manifest): PhaseOutput<M> => {
        const wallSeconds = (performance.now() - t0) / 1000
        reporter.phaseEnd({ phase: spec.phase, key, reused: true, wallSeconds, producedInSeconds: marker.wallSeconds })
        return { phase: spec.phase, key, dir, manifest, reused: true, wallSeconds }
      })
    const first = yield* store.check(spec.phase, key, spec.version)
    if (first._tag === "Valid") return yield* reuse(first.dir, first.marker)
    const onWait = (w: LockWait) =>
      reporter.line(
        `phase ${spec.phase} [${key}]: waiting for ${w.owner ? `process ${w.owner.pid} (since ${w.owner.since})` : "another process"}, which is computing it`
      )
    return yield* store.withLock(spec.phase, key, onWait, Effect.gen(function*() {
      // Another process may have finished it while we waited for the lock.
      const found = yield* store.check(spec.phase, key, spec.version)
      if (found._tag === "Valid") return yield* reuse(found.dir, found.marker)
      if (found._tag === "Invalid") {
        reporter.line(`phase ${spec.phase} [${key}]: not reused, ${found.reason}; recomputing`)
        yield* store.evict(found.dir)
      }
      const tmp = yield* store.begin(spec.phase, key)
      reporter.phaseStart(spec.phase, key)
      const manifest = yield* body({
        dir: tmp,
        key,
        progress: (done, total) => reporter.progress(spec.phase, done, total),
        log: (text) => reporter.line(`phase ${spec.phase}: ${text}`)
      }).pipe(Effect.onError(() => store.discard(tmp)))
      const encoded = yield* Effect.mapError(
        Schema.encodeUnknownEffect(spec.manifest as unknown as Schema.Codec<M, I, never, never>)(manifest),
        (e) => new DataFileError({ path: tmp, reason: `phase ${spec.phase} returned a bad manifest: ${describeSchemaError(e)}` })
      ).pipe(Effect.onError(() => store.discard(tmp)))
      const wallSeconds = (performance.now() - t0) / 1000
      const dir = yield* store.commit(tmp, encoded, {
        phase: spec.phase,
        key,
        version: spec.version,
        config: JSON.parse(canonicalJson(spec.config ?? null)),
        upstream,
        wallSeconds,
        finishedAt: new Date().toISOString()
      })
      reporter.phaseEnd({ phase: spec.phase, key, reused: false, wallSeconds, producedInSeconds: wallSeconds })
      return { phase: spec.phase, key, dir, manifest, reused: false, wallSeconds }
    }))
  })
