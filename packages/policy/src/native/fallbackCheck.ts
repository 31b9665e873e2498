/**
 * Prints, as one JSON line, which engine `auto` resolves to in this process
 * and what asking for `native` says (used by a test that runs it with
 * ETO_NATIVE=0, as a machine without the addon would).
 */
import { defaultConfig } from "../Init"
import { makeEngine, resolveKind } from "../Engines"

const auto = await resolveKind("auto")
let nativeError = ""
try {
  ;(await makeEngine("native", defaultConfig({ vocabSize: 10, nPositions: 4, nEmbd: 4, nLayer: 1, nHead: 1 }))).dispose()
} catch (e) {
  nativeError = (e as Error).message
}
console.log(JSON.stringify({ auto, nativeError }))
