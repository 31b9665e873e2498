import { describe, expect, it } from "@effect/vitest"
import * as child from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Paths } from "@eto/core"
import { Effect, Exit, Layer, Schema } from "effect"
import {
  canonicalJson,
  layerRunStore,
  makeRunStore,
  memoPhase,
  phaseKey,
  RunReporter,
  RunStore,
  textReporter
} from "../src/Runner"
import { pipeline } from "./fixtures/two-phases"

const tempRuns = () => fs.mkdtempSync(path.join(os.tmpdir(), "eto-runs-"))

const layers = (root: string, lines: Array<string>) =>
  Layer.mergeAll(layerRunStore(root), Layer.succeed(RunReporter, textReporter((l) => lines.push(l), { intervalMs: 0 })))

const writeSquares = (dir: string, numbers: Array<number>) =>
  Effect.sync(() => fs.writeFileSync(path.join(dir, "squares.txt"), numbers.map((x) => x * x).join("\n")))

const listTree = (root: string): Array<string> =>
  fs.readdirSync(root, { recursive: true, withFileTypes: false }).map(String).sort()

describe("phase keys", () => {
  it("ignore key order but change with config, version and upstream keys", () => {
    const base = { phase: "sft", version: "1", config: { lr: 1e-5, epochs: 3 }, upstream: { data: "abc" } }
    const k = phaseKey(base)
    expect(k).toMatch(/^[0-9a-f]{16}$/)
    expect(phaseKey({ ...base, config: { epochs: 3, lr: 1e-5 } })).toBe(k)
    expect(phaseKey({ ...base, config: { lr: 2e-5, epochs: 3 } })).not.toBe(k)
    expect(phaseKey({ ...base, version: "2" })).not.toBe(k)
    expect(phaseKey({ ...base, upstream: { data: "abd" } })).not.toBe(k)
    expect(canonicalJson({ b: [1, { d: 1, c: undefined, a: 2 }], a: null })).toBe("{\"a\":null,\"b\":[1,{\"a\":2,\"d\":1}]}")
    expect(() => canonicalJson({ x: Number.NaN })).toThrow("$.x")
  })
})

describe("RunStore", () => {
  it.effect("publishes a phase directory only with its marker and cleans dead partial directories", () =>
    Effect.gen(function*() {
      const root = tempRuns()
      const store = makeRunStore(root)
      expect(yield* store.find("p", "k1")).toBeUndefined()
      const tmp = yield* store.begin("p", "k1")
      fs.writeFileSync(path.join(tmp, "a.txt"), "x")
      expect(yield* store.find("p", "k1")).toBeUndefined()
      const marker = { phase: "p", key: "k1", version: "1", config: {}, upstream: {}, wallSeconds: 0.5, finishedAt: "now" }
      const dir = yield* store.commit(tmp, { file: "a.txt" }, marker)
      expect(dir).toBe(path.join(root, "p", "k1"))
      expect(yield* store.find("p", "k1")).toBe(dir)
      expect(fs.existsSync(tmp)).toBe(false)
      expect(listTree(dir)).toEqual(["DONE.json", "a.txt", "manifest.json"])
      const back = yield* store.readJson(path.join(dir, "manifest.json"), Schema.Struct({ file: Schema.String }))
      expect(back).toEqual({ file: "a.txt" })
      // A partial directory of a process that is gone, and one of this (live) process.
      const dead = path.join(root, "p", ".partial-k2-999999999-00ff")
      fs.mkdirSync(dead)
      const live = yield* store.begin("p", "k3")
      expect(yield* store.cleanStale()).toEqual([dead])
      expect(fs.existsSync(live)).toBe(true)
      const bad = yield* Effect.exit(store.readJson(path.join(dir, "manifest.json"), Schema.Struct({ file: Schema.Number })))
      expect(Exit.isFailure(bad) && String(bad.cause)).toContain("manifest.json: bad content")
    }))

  it.effect("keeps the first finished directory when two runs finish the same key", () =>
    Effect.gen(function*() {
      const store = makeRunStore(tempRuns())
      const marker = { phase: "p", key: "k", version: "1", config: {}, upstream: {}, wallSeconds: 1, finishedAt: "now" }
      const a = yield* store.begin("p", "k")
      const b = yield* store.begin("p", "k")
      fs.writeFileSync(path.join(a, "who"), "a")
      fs.writeFileSync(path.join(b, "who"), "b")
      const dirA = yield* store.commit(a, {}, marker)
      const dirB = yield* store.commit(b, {}, marker)
      expect(dirB).toBe(dirA)
      expect(fs.readFileSync(path.join(dirA, "who"), "utf8")).toBe("a")
      expect(fs.existsSync(b)).toBe(false)
    }))
})

describe("memoPhase", () => {
  it.effect("runs once, then reuses with the same typed manifest, and logs each phase with its time", () =>
    Effect.gen(function*() {
      const root = tempRuns()
      const lines: Array<string> = []
      const first = yield* pipeline(5, writeSquares).pipe(Effect.provide(layers(root, lines)))
      expect([first.count.reused, first.square.reused]).toEqual([false, false])
      expect(first.square.manifest).toEqual({ file: "squares.txt", sum: 55 })
      expect(fs.readFileSync(path.join(first.square.dir, "squares.txt"), "utf8")).toBe("1\n4\n9\n16\n25")
      expect(lines.filter((l) => / done in \d+\.\d s$/.test(l))).toHaveLength(2)

      let calls = 0
      lines.length = 0
      const again = yield* pipeline(5, (dir, xs) => Effect.andThen(Effect.sync(() => calls++), writeSquares(dir, xs)))
        .pipe(Effect.provide(layers(root, lines)))
      expect(calls).toBe(0)
      expect([again.count.reused, again.square.reused]).toEqual([true, true])
      expect(again.square.manifest).toEqual(first.square.manifest)
      expect(again.square.dir).toBe(first.square.dir)
      expect(lines).toEqual([
        expect.stringMatching(/^phase count \[[0-9a-f]{16}\] reused \(produced in \d+\.\d s\)$/),
        expect.stringMatching(/^phase square \[[0-9a-f]{16}\] reused/)
      ])
    }))

  it.effect("a changed dependency changes the downstream key and reruns only what depends on it", () =>
    Effect.gen(function*() {
      const root = tempRuns()
      const a = yield* pipeline(3, writeSquares).pipe(Effect.provide(layers(root, [])))
      const b = yield* pipeline(4, writeSquares).pipe(Effect.provide(layers(root, [])))
      expect(b.count.key).not.toBe(a.count.key)
      // `square` has the same config and version; only its upstream key moved.
      expect(b.square.key).not.toBe(a.square.key)
      expect([b.count.reused, b.square.reused]).toEqual([false, false])
      expect(b.square.manifest.sum).toBe(30)
      const c = yield* pipeline(3, writeSquares).pipe(Effect.provide(layers(root, [])))
      expect([c.count.reused, c.square.reused]).toEqual([true, true])
      expect(fs.readdirSync(path.join(root, "square")).sort()).toEqual([a.square.key, b.square.key].sort())
    }))

  it.effect("a failing phase leaves nothing behind and the next run starts it afresh", () =>
    Effect.gen(function*() {
      const root = tempRuns()
      const failing = pipeline(3, (dir) =>
        Effect.andThen(Effect.sync(() => fs.writeFileSync(path.join(dir, "squares.txt"), "1\n")), Effect.die("out of memory")))
      const exit = yield* Effect.exit(failing.pipe(Effect.provide(layers(root, []))))
      expect(Exit.isFailure(exit)).toBe(true)
      expect(fs.readdirSync(path.join(root, "square"))).toEqual([])
      const ok = yield* pipeline(3, writeSquares).pipe(Effect.provide(layers(root, [])))
      expect([ok.count.reused, ok.square.reused]).toEqual([true, false])
    }))

  it.effect("refuses a manifest that does not match the phase's schema", () =>
    Effect.gen(function*() {
      const root = tempRuns()
      const exit = yield* Effect.exit(
        memoPhase(
          { phase: "bad", version: "1", config: {}, manifest: Schema.Struct({ n: Schema.Int }) },
          () => Effect.succeed({ n: 1.5 })
        ).pipe(Effect.provide(layers(root, [])))
      )
      expect(Exit.isFailure(exit) && String(exit.cause)).toContain("phase bad returned a bad manifest")
      expect(fs.readdirSync(path.join(root, "bad"))).toEqual([])
    }))

  it("resumes after the process is killed mid-phase: finished phases reused, partial directory removed", async () => {
    const root = tempRuns()
    const ready = path.join(root, "ready")
    // Node itself with tsx as a loader, so the pid killed is the one running the phase.
    const proc = child.spawn(process.execPath, ["--import", "tsx", path.join(__dirname, "fixtures", "two-phases.ts")], {
      cwd: Paths.repoRoot(),
      env: { ...process.env, ETO_TWO_PHASES_CHILD: root, ETO_TWO_PHASES_READY: ready },
      stdio: "ignore"
    })
    const exited = new Promise<NodeJS.Signals | null>((resolve) => proc.on("exit", (_code, signal) => resolve(signal)))
    const deadline = Date.now() + 60_000
    while (!fs.existsSync(ready)) {
      if (Date.now() > deadline || proc.exitCode !== null) throw new Error("child never reached the second phase")
      await new Promise((r) => setTimeout(r, 50))
    }
    proc.kill("SIGKILL")
    expect(await exited).toBe("SIGKILL")

    // Left behind: the partial directory and the lock of the killed process.
    const left = fs.readdirSync(path.join(root, "square")).sort()
    expect(left).toHaveLength(2)
    const [lock, partial] = left as [string, string]
    expect(lock).toMatch(/^\.lock-[0-9a-f]{16}$/)
    expect(JSON.parse(fs.readFileSync(path.join(root, "square", lock), "utf8")).pid).toBe(proc.pid)
    expect(partial).toMatch(new RegExp(`^\\.partial-[0-9a-f]{16}-${proc.pid}-`))
    expect(fs.readdirSync(path.join(root, "square", partial))).toEqual(["squares.txt"])

    const lines: Array<string> = []
    const resumed = await Effect.runPromise(pipeline(4, writeSquares).pipe(Effect.provide(layers(root, lines))))
    expect([resumed.count.reused, resumed.square.reused]).toEqual([true, false])
    expect(fs.readdirSync(path.join(root, "square"))).toEqual([resumed.square.key])
    expect(fs.readFileSync(path.join(resumed.square.dir, "squares.txt"), "utf8")).toBe("1\n4\n9\n16")
    expect(resumed.square.manifest.sum).toBe(30)
    expect(lines[0]).toMatch(/^phase count .* reused/)
  })
})

describe("RunStore service", () => {
  const root = tempRuns()
  it.effect("is provided by its layer", () =>
    Effect.gen(function*() {
      const store = yield* RunStore
      expect(store.root).toBe(root)
      expect(yield* store.cleanStale()).toEqual([])
    }).pipe(Effect.provide(layerRunStore(root))))
})
