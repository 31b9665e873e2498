import { describe, expect, it } from "@effect/vitest"
import { loadCpuFactory, makeEngine, nativeStatus, resolveKind } from "../src/Engines"
import { defaultConfig, initParams } from "../src/Init"
import { hasTfjsGpu } from "../src/tfjs/index"

const config = defaultConfig({ vocabSize: 40, nPositions: 8, nEmbd: 8, nLayer: 1, nHead: 2 })

describe("engine selection", () => {
  it("auto is tfjs with a tfjs GPU backend, else the native engine when it built, else the cpu engine", async () => {
    const gpu = await hasTfjsGpu()
    const cpu = await loadCpuFactory()
    const native = nativeStatus()
    expect(cpu).toBeTypeOf("function")
    // the machines this project runs on build it during pnpm install
    expect(native).toEqual({ available: true })
    expect(await resolveKind("auto")).toBe(gpu ? "tfjs" : "native")
    expect(await resolveKind("tfjs")).toBe("tfjs")
    expect(await resolveKind("cpu")).toBe("cpu")
  })

  it("every kind builds the same model from the same parameters", async () => {
    const params = initParams(config, 5)
    const batch = { tokens: Int32Array.from([1, 2, 3, 4, 5, 6]), targets: Int32Array.from([2, 3, 4, 5, 6, -1]), B: 1, T: 6 }
    const engines = await Promise.all((["tfjs", "cpu", "native", "auto"] as const).map((k) => makeEngine(k, config, params)))
    expect(engines[0]!.name).toMatch(/^tfjs/)
    expect(engines[1]!.name).toBe("cpu")
    expect(engines[2]!.name).toBe("native")
    const outs = engines.map((e) => e.forward(batch).logprobs)
    for (const o of outs.slice(1)) o.forEach((x, i) => expect(x).toBeCloseTo(outs[0]![i]!, 4))
    // Without parameters the seed decides the initialisation, the same on every engine.
    const seeded = await Promise.all((["tfjs", "cpu", "native"] as const).map((k) => makeEngine(k, config, undefined, { seed: 5 })))
    const wte = seeded.map((e) => Array.from(e.getParams().get("transformer.wte.weight")!.data))
    expect(wte[1]).toEqual(wte[0])
    expect(wte[2]).toEqual(wte[0])
    for (const e of [...engines, ...seeded]) e.dispose()
  })
})
