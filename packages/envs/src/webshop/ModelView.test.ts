import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { rollout } from "@eto/core"
import { loadSync } from "./index"
import { compactObservation } from "./ModelView"
import { SEP } from "./Session"

const env = loadSync()

const pieces = (text: string) => text.split(SEP).map((p) => p.toLowerCase())

describe("webshop model view", () => {
  it.effect("keeps every target the expert clicks next, shorter than the page", () =>
    Effect.gen(function*() {
      const tasks = (yield* env.tasks("train")).slice(0, 40)
      const episodes = yield* rollout(env, env.expert(0), tasks, { source: { kind: "expert" } })
      let clicks = 0, full = 0, compact = 0
      for (const e of episodes) {
        for (let i = 0; i + 1 < e.turns.length; i++) {
          const page = e.turns[i]!.observation
          const view = compactObservation(page, 400)
          full += page.length
          compact += view.length
          expect(view).not.toContain(e.task.instruction)
          const next = /^click\[(.+)\]$/.exec(e.turns[i + 1]!.action)
          if (next === null) continue
          clicks++
          expect(pieces(view)).toContain(next[1]!.toLowerCase())
        }
      }
      expect(clicks).toBeGreaterThan(60)
      expect(compact).toBeLessThan(0.6 * full)
    }))

  it.effect("lists each result's ASIN, short title and price, and the page buttons", () =>
    Effect.gen(function*() {
      const ep = yield* env.reset("B082KBN23S:2")
      ep.step("search[wall mounted mirror for living room]")
      const page = ep.step("click[Next >]").observation
      const view = compactObservation(page, 10_000)
      const asins = page.split(SEP).filter((p) => /^[A-Z0-9]{10}$/.test(p))
      expect(asins.length).toBe(10)
      const parts = view.split(SEP)
      expect(parts.slice(0, 4)).toEqual(["Back to Search", "Page 2 (Total results: 50)", "< Prev", "Next >"])
      for (const asin of asins) {
        const at = parts.indexOf(asin)
        expect(at).toBeGreaterThan(0)
        expect(parts[at + 1]!.split(" ").length).toBeLessThanOrEqual(4)
        expect(parts[at + 2]!).toMatch(/^\$/)
      }
      // A tight budget drops titles first, never listings.
      const tight = compactObservation(page, 200).split(SEP)
      for (const asin of asins) expect(tight).toContain(asin)
      expect(tight.length).toBe(4 + 2 * asins.length)
    }))

  it.effect("keeps a product page's options, price and Buy Now, without rating or sub-pages", () =>
    Effect.gen(function*() {
      const ep = yield* env.reset("B082KBN23S:2")
      const results = ep.step("search[wall mounted decorative mirrors 60x60cm]").observation
      const asin = results.split(SEP).find((p) => /^[A-Z0-9]{10}$/.test(p))!
      const page = ep.step(`click[${asin}]`).observation
      const product = env.shop.catalog.byAsin.get(asin)!
      expect(product.options.length).toBeGreaterThan(0)
      const view = compactObservation(page, 10_000)
      const parts = view.split(SEP)
      for (const [group, values] of product.options) {
        expect(parts).toContain(group)
        for (const v of values) expect(parts).toContain(v)
      }
      expect(parts[0]).toBe("Back to Search")
      expect(parts[parts.length - 1]).toBe("Buy Now")
      expect(parts).toContain(`Price: ${product.record.Price}`)
      expect(view).not.toMatch(/Rating:|Description|Features|Reviews/)
      expect(view.length).toBeLessThan(page.length)
    }))

  it("cuts other pages at the budget and keeps the search page's task", () => {
    const search = "WebShop [SEP] Instruction: [SEP] find a red mug [SEP] Search"
    expect(compactObservation(search, 1000)).toBe(search)
    expect(compactObservation("Instruction: [SEP] find a red mug [SEP] Back to Search [SEP] < Prev [SEP] a long description", 20)).toBe(
      "Back to Search [SEP]"
    )
  })
})
