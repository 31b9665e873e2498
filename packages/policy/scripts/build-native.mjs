#!/usr/bin/env node
// Compiles the native engine (native/src/*.cc, C++20) into
// build/native/eto_native.node with the system C++ compiler against Node's own
// headers (N-API, node_api.h): no downloads. On x86-64 the kernels are
// compiled three times (AVX-512, AVX2 + FMA, baseline) and the engine picks
// one at run time. Never fails: when the build cannot run, one line says why
// and that the WebAssembly engine will be used; the exit status stays 0.
//
//   ETO_NATIVE_BUILD=0   skip the build (the WebAssembly engine is used)
//   CXX                  the compiler (default g++)
//   ETO_NODE_HEADERS     the directory holding node_api.h (default: beside this Node)
import { spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const srcDir = path.join(root, "native", "src")
const outDir = path.join(root, "build", "native")
const outFile = path.join(outDir, "eto_native.node")
const statusFile = path.join(outDir, "status.json")
const rel = (p) => path.relative(process.cwd(), p) || "."

const give = (ok, reason) => {
  fs.mkdirSync(outDir, { recursive: true })
  fs.writeFileSync(statusFile, JSON.stringify({ ok, reason }) + "\n")
  if (ok) console.log(`build-native: ${reason}`)
  else console.log(`build-native: the native engine was not built (${reason}); the WebAssembly engine will be used`)
  process.exit(0)
}

if (process.env.ETO_NATIVE_BUILD === "0") give(false, "ETO_NATIVE_BUILD=0")
if (process.platform !== "linux") give(false, `the native engine builds on Linux only, this is ${process.platform}`)

const headerCandidates = [
  process.env.ETO_NODE_HEADERS,
  path.join(path.dirname(process.execPath), "..", "include", "node"),
  process.config?.variables?.node_prefix ? path.join(process.config.variables.node_prefix, "include", "node") : undefined
].filter((p) => typeof p === "string" && p !== "")
const headers = headerCandidates.find((d) => fs.existsSync(path.join(d, "node_api.h")))
if (!headers) give(false, `no node_api.h in ${headerCandidates.join(" or ")}`)

const cxx = process.env.CXX || "g++"
const probe = spawnSync(cxx, ["--version"], { encoding: "utf8" })
if (probe.error || probe.status !== 0) give(false, `no C++ compiler (${cxx})`)

const x86 = process.arch === "x64"
const isaFlags = {
  // GCC 12 warns about its own AVX-512 headers (_mm512_undefined_ps)
  "isa_avx512.cc": ["-mavx512f", "-mavx2", "-mfma", "-Wno-maybe-uninitialized"],
  "isa_avx2.cc": ["-mavx2", "-mfma"],
  "isa_portable.cc": []
}
const units = ["addon.cc", "model.cc", "decode.cc", "pool.cc", "dispatch.cc", "isa_portable.cc", ...(x86 ? ["isa_avx512.cc", "isa_avx2.cc"] : [])]
const common = [
  "-std=c++20",
  "-O3",
  "-fPIC",
  "-fvisibility=hidden",
  "-fno-math-errno",
  "-Wall",
  "-Wextra",
  "-Wno-unused-parameter",
  "-Wno-missing-field-initializers",
  "-DNAPI_VERSION=8",
  ...(x86 ? ["-DETO_HAVE_X86"] : []),
  `-I${headers}`
]

// Up to date when the library is newer than every source and this script.
const inputs = [...fs.readdirSync(srcDir).map((f) => path.join(srcDir, f)), fileURLToPath(import.meta.url)]
if (fs.existsSync(outFile)) {
  const built = fs.statSync(outFile).mtimeMs
  if (inputs.every((f) => fs.statSync(f).mtimeMs < built)) give(true, `${rel(outFile)} is up to date`)
}

const objDir = path.join(outDir, `obj-${process.pid}`)
fs.mkdirSync(objDir, { recursive: true })

const compile = (unit) =>
  new Promise((resolve) => {
    const obj = path.join(objDir, unit.replace(/\.cc$/, ".o"))
    const child = spawn(cxx, [...common, ...(isaFlags[unit] ?? []), "-c", path.join(srcDir, unit), "-o", obj], { stdio: ["ignore", "ignore", "pipe"] })
    let err = ""
    child.stderr.on("data", (d) => (err += d))
    child.on("error", (e) => resolve({ unit, ok: false, err: e.message }))
    child.on("close", (code) => resolve({ unit, ok: code === 0, err, obj }))
  })

const started = Date.now()
// a few compilers at a time: the kernels' translation units are the slow ones
const queue = [...units]
const results = []
await Promise.all(
  Array.from({ length: Math.max(1, Math.min(os.availableParallelism(), 4)) }, async () => {
    while (queue.length > 0) results.push(await compile(queue.shift()))
  })
)
const failed = results.find((r) => !r.ok)
if (failed) {
  fs.rmSync(objDir, { recursive: true, force: true })
  process.stderr.write(failed.err)
  give(false, `compiling ${failed.unit} failed: ${failed.err.split("\n").find((l) => l.includes("error")) ?? "see above"}`)
}
const tmp = `${outFile}.${process.pid}.tmp`
const link = spawnSync(cxx, ["-shared", "-pthread", "-o", tmp, ...results.map((r) => r.obj)], { encoding: "utf8" })
fs.rmSync(objDir, { recursive: true, force: true })
if (link.status !== 0) {
  fs.rmSync(tmp, { force: true })
  give(false, `linking failed: ${(link.stderr || String(link.error)).trim().split("\n")[0]}`)
}
fs.renameSync(tmp, outFile)
give(true, `wrote ${rel(outFile)} (${fs.statSync(outFile).size} bytes, ${((Date.now() - started) / 1000).toFixed(1)} s)`)
