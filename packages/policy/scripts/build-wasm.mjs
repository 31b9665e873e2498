#!/usr/bin/env node
// Compiles the cpu engine's kernels (assembly/kernels.ts, AssemblyScript) to
// build/kernels.wasm: WebAssembly SIMD over an imported shared memory, so that
// worker threads run the same kernels on the same buffers.
import { main } from "assemblyscript/asc"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const source = path.join(root, "assembly", "kernels.ts")
const outFile = path.join(root, "build", "kernels.wasm")
// written beside the target, then renamed: a concurrent reader never sees half a file
const tmpFile = `${outFile}.${process.pid}.tmp`
fs.mkdirSync(path.dirname(outFile), { recursive: true })

const { error, stderr } = await main([
  source,
  "--outFile", tmpFile,
  "--optimizeLevel", "3",
  "--shrinkLevel", "0",
  "--noAssert",
  "--runtime", "stub",
  "--importMemory",
  "--sharedMemory",
  "--initialMemory", "1",
  "--maximumMemory", "65536",
  "--enable", "simd,threads"
])
if (error) {
  fs.rmSync(tmpFile, { force: true })
  console.error(stderr.toString())
  console.error(`build-wasm: compiling ${path.relative(process.cwd(), source)} failed: ${error.message}`)
  process.exit(1)
}
fs.renameSync(tmpFile, outFile)
console.log(`build-wasm: wrote ${path.relative(process.cwd(), outFile)} (${fs.statSync(outFile).size} bytes)`)
