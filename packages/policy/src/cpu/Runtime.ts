/**
 * The cpu engine's runtime: one shared WebAssembly memory holding every
 * buffer, the compiled kernels (build/kernels.wasm, from assembly/kernels.ts),
 * worker threads that run their share of each kernel, and a small allocator.
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Worker } from "node:worker_threads"
import { Data } from "effect"

export class CpuEngineError extends Data.TaggedError("CpuEngineError")<{ readonly message: string }> {}

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..")
export const wasmPath = path.join(packageRoot, "build", "kernels.wasm")
const buildScript = path.join(packageRoot, "scripts", "build-wasm.mjs")
const workerPath = path.join(path.dirname(fileURLToPath(import.meta.url)), "worker.mjs")

export const kernelNames = [
  "mm_nn",
  "mm_nt",
  "mm_tn",
  "bias_init",
  "colsum_acc",
  "encoder_forward",
  "encoder_backward",
  "layernorm_forward",
  "layernorm_backward_input",
  "layernorm_backward_params",
  "gelu_forward",
  "gelu_backward",
  "attention_forward",
  "attention_backward",
  "kv_store",
  "attention_decode",
  "lm_stats",
  "lm_dlogits",
  "lm_forward",
  "add",
  "sumsq_chunks",
  "pack_rows",
  "mm_packed",
  "adamw"
] as const
export type KernelName = (typeof kernelNames)[number]

// The project's TypeScript lib has no WebAssembly declarations: the few we use.
export interface WasmMemory {
  readonly buffer: SharedArrayBuffer
  grow(pages: number): number
}
export interface WasmModule {
  readonly __wasmModule: unique symbol
}
const WA = (globalThis as unknown as {
  WebAssembly: {
    Module: new (bytes: Uint8Array) => WasmModule
    Memory: new (d: { initial: number; maximum: number; shared: boolean }) => WasmMemory
    Instance: new (m: WasmModule, imports: object) => { exports: Record<string, unknown> }
  }
}).WebAssembly

let compiled: WasmModule | undefined

/** The compiled kernels; builds them first when the .wasm is missing (a fresh checkout). */
export const kernelModule = (): WasmModule => {
  if (compiled) return compiled
  if (!fs.existsSync(wasmPath)) {
    const r = spawnSync(process.execPath, [buildScript], { encoding: "utf8" })
    if (r.status !== 0 || !fs.existsSync(wasmPath)) {
      throw new CpuEngineError({
        message: `cannot build ${wasmPath}: ${(r.stderr || r.stdout || String(r.error)).trim()} (run: pnpm --filter @eto/policy build:wasm)`
      })
    }
  }
  const m = new WA.Module(fs.readFileSync(wasmPath))
  compiled = m
  return m
}

const PAGE = 65536
const MAX_PAGES = 65536
const BASE = 1 << 16 // the first 64 KiB stay with the compiled module's own data
const ALIGN = 64

type KernelFn = (...args: Array<number>) => void

export interface RuntimeOptions {
  /** Threads taking part in each kernel (the main thread included); default: os.availableParallelism(). */
  readonly threads?: number | undefined
}

export class Runtime {
  readonly memory: WasmMemory
  readonly threads: number
  private readonly kernels: ReadonlyArray<KernelFn>
  private readonly fns: Record<string, (...args: Array<number>) => number>
  /** Per-thread packing buffers of the matrix products (thread 0 first). */
  private packScratch: Array<number> = []
  private readonly index = new Map<string, number>()
  private readonly ctrl: Int32Array
  private readonly argv: Float64Array
  private readonly workers: Array<Worker> = []
  private top = BASE
  private free: Array<{ off: number; size: number }> = []
  private f32: Float32Array
  private i32: Int32Array
  private disposed = false

  private constructor(module: WasmModule, threads: number) {
    this.threads = threads
    this.memory = new WA.Memory({ initial: 64, maximum: MAX_PAGES, shared: true })
    const instance = new WA.Instance(module, { env: { memory: this.memory } })
    this.kernels = kernelNames.map((n) => instance.exports[n] as KernelFn)
    this.fns = instance.exports as Record<string, (...args: Array<number>) => number>
    kernelNames.forEach((n, i) => this.index.set(n, i))
    this.ctrl = new Int32Array(new SharedArrayBuffer(64))
    this.argv = new Float64Array(new SharedArrayBuffer(8 * 32))
    this.f32 = new Float32Array(this.memory.buffer)
    this.i32 = new Int32Array(this.memory.buffer)
  }

  static async make(options: RuntimeOptions = {}): Promise<Runtime> {
    const requested = options.threads ?? os.availableParallelism()
    if (!Number.isInteger(requested) || requested < 1) {
      throw new CpuEngineError({ message: `threads must be a positive integer, got ${requested}` })
    }
    const rt = new Runtime(kernelModule(), requested)
    const bytes = rt.call("scratch_bytes")
    for (let tid = 0; tid < requested; tid++) rt.packScratch.push(rt.alloc(bytes / 4))
    rt.call("set_scratch", rt.packScratch[0]!)
    const ready: Array<Promise<void>> = []
    for (let tid = 1; tid < requested; tid++) {
      const worker = new Worker(workerPath, {
        workerData: {
          module: kernelModule(),
          memory: rt.memory,
          control: rt.ctrl.buffer,
          args: rt.argv.buffer,
          tid,
          scratch: rt.packScratch[tid],
          names: [...kernelNames]
        }
      })
      rt.workers.push(worker)
      ready.push(
        new Promise<void>((resolve, reject) => {
          worker.once("message", () => resolve())
          worker.once("error", (e) => reject(new CpuEngineError({ message: `kernel worker ${tid} failed: ${e.message}` })))
        })
      )
    }
    await Promise.all(ready)
    for (const w of rt.workers) w.unref()
    return rt
  }

  /** Float32 view of the whole memory (refreshed after growth). */
  get F32(): Float32Array {
    if (this.f32.buffer.byteLength !== this.memory.buffer.byteLength) this.refresh()
    return this.f32
  }
  get I32(): Int32Array {
    if (this.i32.buffer.byteLength !== this.memory.buffer.byteLength) this.refresh()
    return this.i32
  }
  private refresh(): void {
    this.f32 = new Float32Array(this.memory.buffer)
    this.i32 = new Int32Array(this.memory.buffer)
  }

  /** Allocates `floats` 4-byte elements (zeroed); returns the byte offset. */
  alloc(floats: number): number {
    const size = Math.max(ALIGN, Math.ceil((floats * 4) / ALIGN) * ALIGN)
    for (let i = 0; i < this.free.length; i++) {
      const block = this.free[i]!
      if (block.size >= size) {
        const off = block.off
        if (block.size === size) this.free.splice(i, 1)
        else this.free[i] = { off: off + size, size: block.size - size }
        this.F32.fill(0, off / 4, (off + size) / 4)
        return off
      }
    }
    const off = this.top
    const end = off + size
    const have = this.memory.buffer.byteLength
    if (end > have) {
      const pages = Math.ceil((end - have) / PAGE)
      if (have / PAGE + pages > MAX_PAGES) {
        throw new CpuEngineError({ message: `out of memory: ${(end / 2 ** 30).toFixed(2)} GiB needed, 4 GiB is the WebAssembly limit` })
      }
      this.memory.grow(pages)
      this.refresh()
    }
    this.top = end
    this.F32.fill(0, off / 4, end / 4)
    return off
  }

  release(off: number, floats: number): void {
    const size = Math.max(ALIGN, Math.ceil((floats * 4) / ALIGN) * ALIGN)
    this.free.push({ off, size })
    this.free.sort((a, b) => a.off - b.off)
    const merged: Array<{ off: number; size: number }> = []
    for (const b of this.free) {
      const last = merged[merged.length - 1]
      if (last && last.off + last.size === b.off) last.size += b.size
      else merged.push({ ...b })
    }
    const last = merged[merged.length - 1]
    if (last && last.off + last.size === this.top) {
      this.top = last.off
      merged.pop()
    }
    this.free = merged
  }

  /** Calls a helper export on the main thread and returns its result. */
  call(name: string, ...args: Array<number>): number {
    return this.fns[name]!(...args)
  }

  /** Runs a kernel on the calling thread only. */
  run1(name: KernelName, ...args: Array<number>): void {
    this.kernels[this.index.get(name)!]!(...args, 0, 1)
  }

  /**
   * Runs a kernel on all threads (the main thread takes share 0). `work` is a
   * rough operation count: small kernels run on the main thread alone, where
   * waking the workers would cost more than it saves. Results do not depend
   * on the split.
   */
  run(name: KernelName, work: number, ...args: Array<number>): void {
    if (this.profile) {
      const c0 = process.cpuUsage()
      this.dispatch(name, work, args)
      const c = process.cpuUsage(c0)
      const key = name === "mm_nn" || name === "mm_nt" || name === "mm_tn" ? `${name} ${args[6]}x${args[7]}x${args[8]}` : name
      this.profile.set(key, (this.profile.get(key) ?? 0) + (c.user + c.system) / 1000)
    } else this.dispatch(name, work, args)
  }

  /** When set, CPU milliseconds of the process spent in each kernel are added up here. */
  profile: Map<string, number> | undefined

  private dispatch(name: KernelName, work: number, args: Array<number>): void {
    const k = this.index.get(name)!
    const nth = this.threads
    if (nth === 1 || work < 1_000_000 || this.disposed) {
      this.kernels[k]!(...args, 0, 1)
      return
    }
    const ctrl = this.ctrl
    for (let i = 0; i < args.length; i++) this.argv[i] = args[i]!
    ctrl[1] = k
    ctrl[2] = args.length
    ctrl[4] = nth
    Atomics.store(ctrl, 3, 0)
    Atomics.add(ctrl, 0, 1)
    Atomics.notify(ctrl, 0)
    this.kernels[k]!(...args, 0, nth)
    const need = nth - 1
    let spins = 0
    for (;;) {
      const done = Atomics.load(ctrl, 3)
      if (done >= need) break
      if (spins++ < 20000) continue
      Atomics.wait(ctrl, 3, done, 50)
    }
  }

  dispose(): void {
    if (this.disposed) return
    this.disposed = true
    this.ctrl[1] = -1
    Atomics.add(this.ctrl, 0, 1)
    Atomics.notify(this.ctrl, 0)
    for (const w of this.workers) void w.terminate()
  }
}
