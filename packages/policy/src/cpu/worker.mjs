// A kernel worker of the cpu engine: instantiates the kernels over the shared
// memory and runs its share of each dispatched kernel. Plain JavaScript so it
// starts the same under node, tsx and vitest.
//
// Control block (Int32Array over a SharedArrayBuffer):
//   [0] generation (bumped by the main thread per dispatch)
//   [1] kernel index (-1: exit)   [2] argument count
//   [3] finished workers          [4] threads taking part
// Arguments are in a Float64Array beside it.
import { parentPort, workerData } from "node:worker_threads"

const { module, memory, control, args, tid, scratch, names } = workerData
const instance = new WebAssembly.Instance(module, { env: { memory } })
instance.exports.set_scratch(scratch)
const kernels = names.map((name) => instance.exports[name])
const ctrl = new Int32Array(control)
const argv = new Float64Array(args)
const SPIN = 20000

let generation = Atomics.load(ctrl, 0)
parentPort.postMessage({ ready: true, generation })
for (;;) {
  let spins = 0
  while (Atomics.load(ctrl, 0) === generation && spins < SPIN) spins++
  if (Atomics.load(ctrl, 0) === generation) Atomics.wait(ctrl, 0, generation)
  generation = Atomics.load(ctrl, 0)
  const k = ctrl[1]
  if (k < 0) break
  const nth = ctrl[4]
  if (tid < nth) {
    kernels[k](...argv.subarray(0, ctrl[2]), tid, nth)
  }
  Atomics.add(ctrl, 3, 1)
  Atomics.notify(ctrl, 3)
}
