/**
 * The WebShop expert: a policy that knows each task's goal product and
 * options. It reads the instruction like a shopper, searches with words from
 * it, pages forward or rewords the search when the product is not on the
 * page, selects the requested options and buys. It replays the episode so far
 * on a private session to know exactly where it is, so it can also take over
 * an episode someone else started. Thoughts are worded differently per seed.
 */
import { Effect } from "effect"
import { formatReply, type PolicyRequest, PolicyError, type PolicyShape, Random } from "@eto/core"
import type { Goal, Product } from "./Catalog"
import type { WebShop } from "./Env"
import { MAX_STEPS } from "./Env"
import { parseInstruction } from "./Query"
import { computeReward } from "./Reward"
import { tokenSetRatio } from "./Fuzzy"
import { PRODUCT_WINDOW, type Session } from "./Session"

interface Plan {
  /** Candidate searches, most natural first. */
  readonly queries: ReadonlyArray<string>
  readonly product: string
}

const uniq = (xs: ReadonlyArray<string>): Array<string> => {
  const seen = new Set<string>()
  const out: Array<string> = []
  for (const x of xs) {
    const t = x.replace(/\s+/g, " ").trim()
    if (t !== "" && !seen.has(t)) {
      seen.add(t)
      out.push(t)
    }
  }
  return out
}

/** Candidate search keywords made only from the instruction text. */
export const candidateQueries = (instruction: string, rng: Random.Rng): Plan => {
  const parsed = parseInstruction(instruction)
  const product = parsed.product.toLowerCase()
  const values = parsed.options.map(([, v]) => v.replace(/ \| /g, " "))
  const head = product.split(" with ")[0]!
  const tail = product.includes(" with ") ? product.slice(product.indexOf(" with ") + 6) : ""
  const withValues = `${product} ${values.join(" ")}`
  const first = rng.next() < 0.5 ? [product, withValues] : [withValues, product]
  return {
    product,
    queries: uniq([
      ...first,
      head,
      `${head} ${values.join(" ")}`,
      `${values.join(" ")} ${head}`,
      `${head} ${tail}`,
      ...values.map((v) => `${head} ${v}`),
      tail === "" ? "" : `${tail} ${values.join(" ")}`
    ])
  }
}

const pick = (rng: Random.Rng, xs: ReadonlyArray<string>): string => rng.pick(xs)


/** Best value of each goal option group the product has, by fuzzy similarity to the wanted value. */
const bestOptions = (goal: Goal, product: Product): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [name, value] of goal.goalOptions) {
    const group = product.options.find(([n]) => n === name)
    if (group === undefined) continue
    let best = group[1][0]!
    let bestScore = -1
    for (const v of group[1]) {
      const s = v === value ? 101 : tokenSetRatio(v, value)
      if (s > bestScore) {
        bestScore = s
        best = v
      }
    }
    out[name] = best
  }
  return out
}

interface Decision {
  readonly thought: string
  readonly action: string
}

export interface WebShopExpert extends PolicyShape {
  /** The reply to one request, synchronously (throws on an unknown task id). */
  reply(request: PolicyRequest): string
}

export const makeExpert = (shop: WebShop, seed: number): WebShopExpert => {
  const plans = new Map<string, Plan>()
  const planFor = (goal: Goal): Plan => {
    let p = plans.get(goal.id)
    if (p === undefined) {
      p = candidateQueries(goal.instructionText, Random.make(`webshop-expert-plan:${seed}:${goal.id}`))
      plans.set(goal.id, p)
    }
    return p
  }
  const rankOf = (query: string, asin: string): number => {
    const hits = shop.search(query)
    for (let i = 0; i < hits.length; i++) if (shop.catalog.products[hits[i]!.doc]!.asin === asin) return i
    return -1
  }

  const decide = (req: PolicyRequest, goal: Goal): Decision => {
    const rng = Random.make(`webshop-expert:${seed}:${goal.id}:${req.turns.length}`)
    const session: Session = shop.session(goal)
    const searched = new Set<string>()
    for (const t of req.turns) {
      session.act(t.action)
      const m = /^search\[(.+)\]/.exec(t.action)
      if (m !== null) searched.add(m[1]!.toLowerCase())
    }
    const remaining = MAX_STEPS - req.turns.length
    const plan = planFor(goal)
    const nOpts = goal.goalOptions.length
    const page = session.page
    const target = shop.catalog.byAsin.get(goal.asin)!
    const limit = goal.priceUpper < 1000000 ? `${goal.priceUpper} dollars` : undefined
    const what = plan.product.length <= 60 ? plan.product : plan.product.split(" with ")[0]!

    const searchFor = (query: string, refine: boolean): Decision => ({
      thought: refine
        ? pick(rng, [
          `I think the ${what} is not among these results. I should search again with different words.`,
          `I think none of these is quite what the instruction describes, so I will rephrase the search as "${query}".`,
          `I think a more specific search will work better here. Let me try "${query}".`,
          `I think I should refine my search to find ${what}.`
        ])
        : pick(rng, [
          `I think I should search for ${what}.`,
          `I think I need to find ${what}, so I will start with a search.`,
          `I think a search for "${query}" should bring up the right product.`,
          `I think I should look for ${what} first.`
        ]),
      action: `search[${query}]`
    })

    // Steps needed once the goal product's page is open: options, then buy.
    const finishCost = nOpts + 1
    const bestQuery = (allowSearched = false): { query: string; cost: number } | undefined => {
      let best: { query: string; cost: number } | undefined
      for (const q of plan.queries) {
        if (!allowSearched && searched.has(q)) continue
        const r = rankOf(q, goal.asin)
        if (r < 0) continue
        const cost = 1 + Math.floor(r / PRODUCT_WINDOW) + 1 + finishCost
        if (best === undefined || cost < best.cost) best = { query: q, cost }
      }
      return best
    }

    switch (page.kind) {
      case "search":
      case "done": {
        const q = plan.queries[0]!
        const r = rankOf(q, goal.asin)
        // Start with the most natural wording unless it cannot find the product in time.
        if (r >= 0 && 1 + Math.floor(r / PRODUCT_WINDOW) + 1 + finishCost <= remaining) return searchFor(q, false)
        return searchFor(bestQuery()?.query ?? q, false)
      }
      case "results": {
        const onPage = [...session.clickables().values()].flatMap((c) => (c.kind === "product" ? [c.asin] : []))
        if (onPage.includes(goal.asin)) {
          return {
            thought: pick(rng, [
              `I think ${goal.asin} is the ${what} I am looking for${limit && !target.record.Price.includes(" to ") ? `, and its price of ${target.record.Price} fits the ${limit} limit` : ""}.`,
              `I think ${goal.asin} matches the instruction best, so I will open it.`,
              `I think ${goal.asin} looks right for ${what}.`,
              `I think I should check ${goal.asin}, it seems to be what I need.`
            ]),
            action: `click[${goal.asin}]`
          }
        }
        const r = session.keywords === undefined ? -1 : rankOf(session.keywords, goal.asin)
        const targetPage = r < 0 ? -1 : Math.floor(r / PRODUCT_WINDOW) + 1
        if (targetPage > 0 && targetPage < page.page && 1 + finishCost + 1 <= remaining) {
          return {
            thought: pick(rng, [
              "I think one of the products on the previous page was a better fit. Let me go back.",
              "I think I should return to the previous page of results."
            ]),
            action: "click[< Prev]"
          }
        }
        const pagingCost = targetPage > 0 ? targetPage - page.page + 1 + finishCost : Infinity
        const pagingFits = targetPage > 0 && pagingCost <= remaining
        // Paging one page on is always natural; further only when no other wording is about as quick.
        const requery = pagingFits && targetPage - page.page <= 1 ? undefined : bestQuery()
        if (pagingFits && (requery === undefined || pagingCost <= requery.cost + 1)) {
          return {
            thought: pick(rng, [
              `I think none of these is the ${what}. I should check the next page.`,
              "I think nothing on this page matches the instruction, so let me look at the next page.",
              "I think I should see more results before choosing.",
              "I think the right product may be further down the results. Next page."
            ]),
            action: "click[Next >]"
          }
        }
        if (requery !== undefined && requery.cost <= remaining) return searchFor(requery.query, true)
        // No way to reach the goal product in time: take the closest product on this page.
        const fallback = onPage
          .map((asin) => shop.catalog.byAsin.get(asin)!)
          .map((p) => ({ p, reward: computeReward(goal, p, bestOptions(goal, p)).reward }))
          .sort((a, b) => b.reward - a.reward)[0]
        if (fallback === undefined || remaining < 2) {
          return requery !== undefined ? searchFor(requery.query, true) : searchFor(plan.queries[0]!, true)
        }
        return {
          thought: pick(rng, [
            `I think ${fallback.p.asin} is the closest match to what the instruction asks for.`,
            `I think I cannot find an exact match, but ${fallback.p.asin} comes close. I will take a look.`
          ]),
          action: `click[${fallback.p.asin}]`
        }
      }
      case "sub":
        return {
          thought: pick(rng, ["I think I have seen enough here; back to the product.", "I think I should go back to the product page."]),
          action: "click[< Prev]"
        }
      case "item": {
        const product = session.product!
        if (product.asin !== goal.asin) {
          const requery = bestQuery(true)
          if (requery !== undefined && requery.cost <= remaining) return searchFor(requery.query, true)
        }
        const wanted = product.asin === goal.asin ? Object.fromEntries(goal.goalOptions) : bestOptions(goal, product)
        if (remaining > 1) {
          const clickables = session.clickables()
          for (const [name, value] of Object.entries(wanted)) {
            if (session.options[name] === value) continue
            const c = clickables.get(value)
            if (c === undefined || c.kind !== "option" || c.group !== name) continue
            return {
              thought: pick(rng, [
                `I think I should select ${value} for ${name}, as the instruction asks.`,
                `I think the instruction wants ${name} ${value}, so I will choose that.`,
                `I think I need to pick the ${name}: ${value}.`,
                `I think ${value} is the ${name} I need.`
              ]),
              action: `click[${value}]`
            }
          }
        }
        return {
          thought: pick(rng, [
            nOpts > 0 ? "I think all the requested options are selected, so I can buy it now." : "I think this product fits the instruction, so I will buy it.",
            "I think everything matches the instruction. Time to buy.",
            `I think this is right${limit ? ` and it is within the ${limit} budget` : ""}. I will buy it now.`,
            "I think I can place the order now."
          ]),
          action: "click[Buy Now]"
        }
      }
    }
  }

  return {
    name: "webshop-expert",
    reply: (req) => {
      const goal = shop.catalog.goalById.get(req.task.id)
      if (goal === undefined) throw new Error(`webshop expert: no goal with id '${req.task.id}'`)
      const d = decide(req, goal)
      return formatReply(d.thought, d.action)
    },
    act: (requests) =>
      Effect.suspend(() => {
        const out: Array<string> = []
        for (const req of requests) {
          const goal = shop.catalog.goalById.get(req.task.id)
          if (goal === undefined) {
            return Effect.fail(new PolicyError({ reason: `webshop expert: no goal with id '${req.task.id}'` }))
          }
          const d = decide(req, goal)
          out.push(formatReply(d.thought, d.action))
        }
        return Effect.succeed(out)
      })
  }
}
