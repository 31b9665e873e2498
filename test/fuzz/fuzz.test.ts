/**
 * A bounded run of every fuzz target (300 inputs each, fixed seed, with
 * shrinking on failure); `pnpm bench:fuzz --inputs N` runs them at size.
 */
import { describe, it } from "@effect/vitest"
import fc from "fast-check"
import { targets } from "./targets"

const INPUTS = 300

describe("fuzzing", () => {
  for (const target of targets) {
    it(`${target.name}: ${target.contract}`, async () => {
      const prepared = await target.prepare()
      try {
        await fc.assert(fc.asyncProperty(prepared.arbitrary, async (input) => {
          await prepared.check(input)
        }), { numRuns: INPUTS, seed: 1 })
      } finally {
        await prepared.dispose?.()
      }
    })
  }
})
