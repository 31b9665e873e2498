import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { rollout } from "@eto/core"
import { loadSync } from "./index"
import { actionFromModel, actionToModel, compactObservation, VIEW_SEP } from "./ModelView"
import { SEP } from "./Session"

const env = loadSync()

const pieces = (text: string) => text.split(VIEW_SEP).map((p) => p.toLowerCase())

describe("webshop model view", () => {
  it.effect("keeps every target the expert clicks next, in the view's labels, shorter than the page", () =>
    Effect.gen(function*() {
      const tasks = (yield* env.tasks("train")).slice(0, 40)
      const episodes = yield* rollout(env, env.expert(0), tasks, { source: { kind: "expert" } })
      let clicks = 0, productClicks = 0, full = 0, compact = 0
      for (const e of episodes) {
        for (let i = 0; i + 1 < e.turns.length; i++) {
          const page = e.turns[i]!.observation
          const view = compactObservation(page, 400)
          full += page.length
          compact += view.length
          expect(view).not.toContain(e.task.instruction)
          const action = e.turns[i + 1]!.action
          const modelAction = actionToModel(action, page)
          // The model's action reads back as the environment's.
          expect(actionFromModel(modelAction, page)).toBe(action)
          const next = /^click\[(.+)\]$/.exec(modelAction)
          if (next === null) continue
          clicks++
          if (/^item \d+$/.test(next[1]!)) productClicks++
          expect(pieces(view)).toContain(next[1]!.toLowerCase())
        }
      }
      expect(clicks).toBeGreaterThan(60)
      expect(productClicks).toBeGreaterThanOrEqual(40)
      expect(compact).toBeLessThan(0.6 * full)
    }))

  it.effect("maps product clicks to position labels and back through the page they were taken on", () =>
    Effect.gen(function*() {
      const ep = yield* env.reset("B082KBN23S:2")
      const page = ep.step("search[wall mounted mirror for living room]").observation
      const asins = page.split(SEP).filter((p) => /^[A-Z0-9]{10}$/.test(p))
      expect(actionToModel(`click[${asins[2]!}]`, page)).toBe("click[item 3]")
      expect(actionToModel(`click[${asins[2]!.toLowerCase()}]`, page)).toBe("click[item 3]")
      expect(actionFromModel("click[item 3]", page)).toBe(`click[${asins[2]!}]`)
      expect(actionFromModel("click[Item 10]", page)).toBe(`click[${asins[9]!}]`)
      // Past the listing, other buttons, searches and other pages pass through unchanged.
      expect(actionFromModel("click[item 11]", page)).toBe("click[item 11]")
      expect(actionFromModel("click[Next >]", page)).toBe("click[Next >]")
      expect(actionToModel("search[red mug]", page)).toBe("search[red mug]")
      const product = ep.step(`click[${asins[0]!}]`).observation
      expect(actionFromModel("click[item 1]", product)).toBe("click[item 1]")
      // The environment still takes only its own actions.
      const step = ep.step("click[item 1]")
      expect(step.valid).toBe(false)
      expect(step.observation).toBe(product)
    }))

  it.effect("lists each result's label, short title and price, and the page buttons", () =>
    Effect.gen(function*() {
      const ep = yield* env.reset("B082KBN23S:2")
      ep.step("search[wall mounted mirror for living room]")
      const page = ep.step("click[Next >]").observation
      const view = compactObservation(page, 10_000)
      const asins = page.split(SEP).filter((p) => /^[A-Z0-9]{10}$/.test(p))
      expect(asins.length).toBe(10)
      const parts = view.split(VIEW_SEP)
      expect(parts.slice(0, 4)).toEqual(["Back to Search", "Page 2 (Total results: 50)", "< Prev", "Next >"])
      expect(view).not.toMatch(/\b[A-Z0-9]{10}\b/)
      for (let k = 1; k <= asins.length; k++) {
        const at = parts.indexOf(`item ${k}`)
        expect(at).toBeGreaterThan(0)
        expect(parts[at + 1]!.split(" ").length).toBeLessThanOrEqual(4)
        expect(parts[at + 2]!).toMatch(/^\$/)
      }
      // A tight budget drops titles first, never listings.
      const tight = compactObservation(page, 200).split(VIEW_SEP)
      for (let k = 1; k <= asins.length; k++) expect(tight).toContain(`item ${k}`)
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
      const parts = view.split(VIEW_SEP)
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
    expect(compactObservation(search, 1000)).toBe("WebShop\nInstruction:\nfind a red mug\nSearch")
    expect(compactObservation("Instruction: [SEP] find a red mug [SEP] Back to Search [SEP] < Prev [SEP] a long description", 20)).toBe(
      "Back to Search\n< Pre"
    )
  })
})
