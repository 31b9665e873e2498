import { describe, expect, it } from "@effect/vitest"
import * as child from "node:child_process"
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Paths } from "@eto/core"
import { Effect, Layer } from "effect"
import { acquirePhaseLock, isStale, processStart, removeStaleLocks } from "../src/PhaseLock"
import { layerRunStore, MARKER, RunReporter, STORE_FORMAT, textReporter, verifyPhaseDir } from "../src/Runner"
import { pipeline } from "./fixtures/two-phases"

const tempRuns = () => fs.mkdtempSync(path.join(os.tmpdir(), "eto-store-"))

const layers = (root: string, lines: Array<string>) =>
  Layer.mergeAll(layerRunStore(root), Layer.succeed(RunReporter, textReporter((l) => lines.push(l), { intervalMs: 0 })))

/** Runs the two-phase pipeline (n = 4); counts how often the `square` body ran. */
const run = (root: string) =>
  Effect.gen(function*() {
    const lines: Array<string> = []
    let calls = 0
    const out = yield* pipeline(4, (dir, xs) =>
      Effect.sync(() => {
        calls++
        fs.writeFileSync(path.join(dir, "squares.txt"), xs.map((x) => x * x).join("\n"))
        fs.mkdirSync(path.join(dir, "sub"))
        fs.writeFileSync(path.join(dir, "sub", "notes.txt"), "a nested file\n")
      })).pipe(Effect.provide(layers(root, lines)))
    return { out, lines, calls }
  })

const squareDir = (root: string) => {
  const keys = fs.readdirSync(path.join(root, "square")).filter((n) => !n.startsWith("."))
  expect(keys).toHaveLength(1)
  return path.join(root, "square", keys[0]!)
}

const editMarker = (dir: string, edit: (m: Record<string, unknown>) => void) => {
  const file = path.join(dir, MARKER)
  const m = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>
  edit(m)
  fs.writeFileSync(file, JSON.stringify(m))
}

/** Each way a finished phase directory can go bad, and the reason it is reported with. */
const damages: ReadonlyArray<readonly [name: string, damage: (dir: string) => void, reason: RegExp]> = [
  ["a truncated file", (d) => fs.truncateSync(path.join(d, "squares.txt"), 3), /squares\.txt is truncated \(3 of \d+ bytes\)/],
  ["an emptied file", (d) => fs.writeFileSync(path.join(d, "sub", "notes.txt"), ""), /sub\/notes\.txt is truncated \(0 of 14 bytes\)/],
  ["a flipped byte", (d) => {
    const f = path.join(d, "squares.txt")
    const b = fs.readFileSync(f)
    b[0] = b[0]! ^ 0x01
    fs.writeFileSync(f, b)
  }, /squares\.txt is corrupted \(checksum mismatch\)/],
  ["a corrupted manifest", (d) => fs.writeFileSync(path.join(d, "manifest.json"), "{\"file\":\"squares.txt\",\"sum\":31}\n"), /manifest\.json is truncated \(32 of 41 bytes\)/],
  ["a grown file", (d) => fs.appendFileSync(path.join(d, "squares.txt"), "\n25"), /squares\.txt has \d+ bytes, \d+ were written/],
  ["a missing file", (d) => fs.rmSync(path.join(d, "squares.txt")), /squares\.txt is missing/],
  ["an added file", (d) => fs.writeFileSync(path.join(d, "stray.bin"), "x"), /stray\.bin is not in the marker's file list/],
  ["a truncated marker", (d) => fs.truncateSync(path.join(d, MARKER), 20), /DONE\.json is unreadable/],
  ["a missing marker", (d) => fs.rmSync(path.join(d, MARKER)), /DONE\.json is unreadable/],
  ["a marker of an older store", (d) => editMarker(d, (m) => {
    delete m.store
    delete m.files
  }), /another run-store format \(none recorded, expected eto-runs\/2\)/],
  ["a marker of another phase version", (d) => editMarker(d, (m) => {
    m.version = "0"
  }), /written by phase version 0, this code is version 1/],
  ["a marker of another key", (d) => editMarker(d, (m) => {
    m.key = "0000000000000000"
  }), /DONE\.json belongs to square \[0000000000000000\]/],
  ["a malformed marker", (d) => editMarker(d, (m) => {
    m.files = { "squares.txt": { bytes: -1, sha256: "x" } }
  }), /DONE\.json is malformed: files\["squares\.txt"\]\.bytes: /]
]

describe("phase directories that went bad", () => {
  it.effect("a finished directory verifies: store format, file list, sizes and checksums", () =>
    Effect.gen(function*() {
      const root = tempRuns()
      const { out } = yield* run(root)
      const marker = JSON.parse(fs.readFileSync(path.join(out.square.dir, MARKER), "utf8"))
      expect(marker.store).toBe(STORE_FORMAT)
      expect(Object.keys(marker.files)).toEqual(["manifest.json", "squares.txt", "sub/notes.txt"])
      expect(marker.files["squares.txt"]).toEqual({ bytes: 8, sha256: crypto.createHash("sha256").update("1\n4\n9\n16").digest("hex") })
      const ok = verifyPhaseDir(out.square.dir, { phase: "square", key: out.square.key, version: "1" })
      expect("marker" in ok).toBe(true)
    }))

  for (const [name, damage, reason] of damages) {
    it.effect(`${name}: reported in one line, recomputed, never used`, () =>
      Effect.gen(function*() {
        const root = tempRuns()
        const first = yield* run(root)
        expect(first.calls).toBe(1)
        const dir = squareDir(root)
        damage(dir)
        const again = yield* run(root)
        expect(again.calls).toBe(1)
        const notices = again.lines.filter((l) => l.includes("not reused"))
        expect(notices).toHaveLength(1)
        expect(notices[0]).toMatch(new RegExp(`^phase square \\[${first.out.square.key}\\]: not reused, `))
        expect(notices[0]).toMatch(reason)
        expect(notices[0]).toMatch(/; recomputing$/)
        expect(again.out.square.reused).toBe(false)
        expect(again.out.count.reused).toBe(true)
        // The recomputed directory is whole again, and nothing else is left in the phase folder.
        expect(fs.readFileSync(path.join(dir, "squares.txt"), "utf8")).toBe("1\n4\n9\n16")
        expect(again.out.square.manifest).toEqual({ file: "squares.txt", sum: 30 })
        expect(fs.readdirSync(path.join(root, "square"))).toEqual([first.out.square.key])
        const third = yield* run(root)
        expect([third.calls, third.out.square.reused]).toEqual([0, true])
      }))
  }
})

describe("phase locks", () => {
  it.live("two runs of the same experiment in one process: one computes, the other waits and reuses", () =>
    Effect.gen(function*() {
      const root = tempRuns()
      const lines: Array<string> = []
      let calls = 0
      const slowSquares = (dir: string, xs: Array<number>) =>
        Effect.andThen(
          Effect.sleep(300),
          Effect.sync(() => {
            calls++
            fs.writeFileSync(path.join(dir, "squares.txt"), xs.map((x) => x * x).join("\n"))
          })
        )
      const [a, b] = yield* Effect.all([pipeline(4, slowSquares), pipeline(4, slowSquares)], { concurrency: 2 })
        .pipe(Effect.provide(layers(root, lines)))
      expect(calls).toBe(1)
      expect([a.square.reused, b.square.reused].sort()).toEqual([false, true])
      expect(a.square.dir).toBe(b.square.dir)
      expect(lines.filter((l) => /^phase square \[[0-9a-f]{16}\]: waiting for process \d+ \(since .*\), which is computing it$/.test(l)))
        .toHaveLength(1)
      expect(fs.readdirSync(path.join(root, "square"))).toEqual([a.square.key])
    }))

  it("two processes run the same experiment at once: one computes each phase, both finish, nothing is mixed", async () => {
    const root = tempRuns()
    const spawnOne = () =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const p = child.spawn(process.execPath, ["--import", "tsx", path.join(__dirname, "fixtures", "two-phases.ts")], {
          cwd: Paths.repoRoot(),
          env: { ...process.env, ETO_TWO_PHASES_CHILD: root, ETO_TWO_PHASES_SLOW: "1500" },
          stdio: ["ignore", "pipe", "inherit"]
        })
        let out = ""
        p.stdout.on("data", (d) => (out += String(d)))
        p.on("exit", (code) => resolve({ code, out }))
      })
    const [a, b] = await Promise.all([spawnOne(), spawnOne()])
    expect([a.code, b.code]).toEqual([0, 0])
    const computed = [a, b].filter((r) => /phase square \[[0-9a-f]{16}\] done in/.test(r.out))
    const reused = [a, b].filter((r) => /phase square \[[0-9a-f]{16}\] reused/.test(r.out))
    expect([computed.length, reused.length]).toEqual([1, 1])
    expect(reused[0]!.out).toMatch(/phase square \[[0-9a-f]{16}\]: waiting for process \d+/)
    const dir = squareDir(root)
    expect(fs.readFileSync(path.join(dir, "squares.txt"), "utf8")).toBe("1\n4\n9\n16")
    expect("marker" in verifyPhaseDir(dir, { phase: "square", key: path.basename(dir), version: "1" })).toBe(true)
    for (const phase of ["count", "square"]) {
      expect(fs.readdirSync(path.join(root, phase)).filter((n) => n.startsWith("."))).toEqual([])
    }
  })

  it.live("a lock of a dead process, of a reused pid or never written is stale; a live one is not", () =>
    Effect.gen(function*() {
      const dir = tempRuns()
      const host = os.hostname()
      const write = (name: string, owner: unknown) => {
        const f = path.join(dir, name)
        fs.writeFileSync(f, typeof owner === "string" ? owner : JSON.stringify(owner))
        return f
      }
      const base = { host, token: "t", since: "then" }
      const dead = write(".lock-dead", { ...base, pid: 999_999_999 })
      expect(isStale(dead, { ...base, pid: 999_999_999 })).toBe(true)
      const live = { ...base, pid: process.pid, started: processStart(process.pid) }
      const liveFile = write(".lock-live", live)
      expect(isStale(liveFile, live)).toBe(false)
      if (processStart(process.pid) !== undefined) {
        const reused = { ...live, started: "1" }
        expect(isStale(write(".lock-reused", reused), reused)).toBe(true)
      }
      const elsewhere = { ...base, pid: 999_999_999, host: `${host}-other` }
      expect(isStale(write(".lock-elsewhere", elsewhere), elsewhere)).toBe(false)
      const empty = write(".lock-empty", "")
      expect(isStale(empty, undefined)).toBe(false)
      fs.utimesSync(empty, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000))
      expect(isStale(empty, undefined)).toBe(true)

      const removed = removeStaleLocks(dir).map((f) => path.basename(f)).sort()
      expect(removed).toEqual([".lock-dead", ".lock-empty", ...(processStart(process.pid) !== undefined ? [".lock-reused"] : [])])
      expect(fs.readdirSync(dir).sort()).toEqual([".lock-elsewhere", ".lock-live"])

      // A stale lock is taken over at once; the new lock is ours and goes away on release.
      const lockFile = write(".lock-k", { ...base, pid: 999_999_999 })
      const waits: Array<unknown> = []
      const held = yield* acquirePhaseLock(lockFile, (w) => waits.push(w))
      expect(waits).toEqual([])
      expect(JSON.parse(fs.readFileSync(lockFile, "utf8")).pid).toBe(process.pid)
      held.release()
      expect(fs.existsSync(lockFile)).toBe(false)
    }))
})
