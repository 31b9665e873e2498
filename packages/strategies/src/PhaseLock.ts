/**
 * Lock files that keep two processes from computing the same phase at once.
 *
 * A lock is a file created exclusively (`.lock-<key>` beside the phase
 * directories) holding the owner's pid, the pid's start time (Linux: field
 * 22 of /proc/<pid>/stat, so a reused pid is not mistaken for the owner), the
 * host and a random token. A lock whose owner no longer runs is stale: it is
 * renamed aside, checked to still be the one judged stale (else put back),
 * and removed. Correctness does not rest on the lock: phase directories are
 * published by an atomic rename and the first finished one wins, so a lost
 * race costs duplicated work, never a mixed directory.
 */
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { DataFileError } from "@eto/core"
import { Duration, Effect, Schema } from "effect"

export const LockOwner = Schema.Struct({
  pid: Schema.Int,
  /** Start time of the process (clock ticks since boot), where the system tells it. */
  started: Schema.optionalKey(Schema.String),
  host: Schema.String,
  token: Schema.String,
  since: Schema.String
})
export type LockOwner = typeof LockOwner.Type

/** Passed to the waiting callback: who holds the lock and for how long we have waited. */
export interface LockWait {
  readonly owner: LockOwner | undefined
  readonly waitedSeconds: number
}

export interface HeldLock {
  readonly file: string
  readonly release: () => void
}

/** Whether a process with this pid exists (EPERM: it exists, owned by someone else). */
export const pidAlive = (pid: number): boolean => {
  if (pid === process.pid) return true
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"
  }
}

/** The start time of a process, or undefined where /proc does not tell. */
export const processStart = (pid: number): string | undefined => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]
  } catch {
    return undefined
  }
}

const decodeOwner = Schema.decodeUnknownOption(LockOwner)

const readOwner = (file: string): LockOwner | undefined => {
  try {
    const o = decodeOwner(JSON.parse(fs.readFileSync(file, "utf8")))
    return o._tag === "Some" ? o.value : undefined
  } catch {
    return undefined
  }
}

/** A lock file that holds no owner (its writer died between creating and writing it) counts as stale after this. */
const UNREADABLE_GRACE_MS = 5000

/** Whether a lock's owner no longer runs. Locks of other hosts are never judged stale. */
export const isStale = (file: string, owner: LockOwner | undefined): boolean => {
  if (owner === undefined) {
    try {
      return Date.now() - fs.statSync(file).mtimeMs > UNREADABLE_GRACE_MS
    } catch {
      return false
    }
  }
  if (owner.host !== os.hostname()) return false
  if (!pidAlive(owner.pid)) return true
  const started = processStart(owner.pid)
  return owner.started !== undefined && started !== undefined && started !== owner.started
}

/** Creates the lock file if nobody holds it; undefined when it exists. */
const tryCreate = (file: string): HeldLock | undefined => {
  const owner: LockOwner = {
    pid: process.pid,
    ...(processStart(process.pid) !== undefined ? { started: processStart(process.pid)! } : {}),
    host: os.hostname(),
    token: crypto.randomBytes(8).toString("hex"),
    since: new Date().toISOString()
  }
  try {
    fs.writeFileSync(file, JSON.stringify(owner) + "\n", { flag: "wx" })
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return undefined
    throw e
  }
  return {
    file,
    release: () => {
      // Only our own lock is removed, should it have been taken over meanwhile.
      if (readOwner(file)?.token === owner.token) fs.rmSync(file, { force: true })
    }
  }
}

/**
 * Removes a stale lock: renamed aside first, so that of two processes that
 * judge it stale only one removes it; if what was moved is not the lock
 * judged stale (a new owner took it meanwhile), it is linked back.
 */
const breakStale = (file: string, seen: LockOwner | undefined): void => {
  const aside = `${file}.stale-${process.pid}-${crypto.randomBytes(4).toString("hex")}`
  try {
    fs.renameSync(file, aside)
  } catch {
    return
  }
  const moved = readOwner(aside)
  if (moved !== undefined && moved.token !== seen?.token) {
    try {
      fs.linkSync(aside, file)
    } catch {
      // A newer lock exists now; the one moved aside lost its race and is dropped.
    }
  }
  fs.rmSync(aside, { force: true })
}

/**
 * Takes the lock `file`, waiting while a live process holds it (polling, at
 * most every second) and taking over a stale one.
 */
export const acquirePhaseLock = (file: string, onWait: (wait: LockWait) => void): Effect.Effect<HeldLock, DataFileError> =>
  Effect.gen(function*() {
    const t0 = Date.now()
    let delay = 50
    let nextNotice = 0
    for (;;) {
      const held = yield* Effect.try({
        try: () => tryCreate(file),
        catch: (e) => new DataFileError({ path: file, reason: `cannot create lock: ${e instanceof Error ? e.message : String(e)}` })
      })
      if (held !== undefined) return held
      const owner = readOwner(file)
      if (isStale(file, owner)) {
        breakStale(file, owner)
        continue
      }
      const waited = (Date.now() - t0) / 1000
      if (waited >= nextNotice) {
        onWait({ owner, waitedSeconds: waited })
        nextNotice = waited + 60
      }
      yield* Effect.sleep(Duration.millis(delay))
      delay = Math.min(1000, delay * 2)
    }
  })

/** Removes the stale lock files of a phase folder; returns their paths. */
export const removeStaleLocks = (dir: string): Array<string> => {
  if (!fs.existsSync(dir)) return []
  const removed: Array<string> = []
  for (const name of fs.readdirSync(dir)) {
    if (!name.startsWith(".lock-")) continue
    const file = path.join(dir, name)
    if (name.includes(".stale-")) {
      const pid = Number(/\.stale-(\d+)-/.exec(name)?.[1])
      if (!pidAlive(pid)) {
        fs.rmSync(file, { force: true })
        removed.push(file)
      }
      continue
    }
    const owner = readOwner(file)
    if (isStale(file, owner)) {
      breakStale(file, owner)
      if (!fs.existsSync(file)) removed.push(file)
    }
  }
  return removed
}
