/**
 * Self-play rows whose episodes a remote model sampled are kept apart from
 * the paper's setting: their Table 5 method and episode kind name the
 * sampler, so neither the paper's column nor the Table 5 claims take them
 * for self-play proper; rows without a sampler are named as before.
 */
import { describe, expect, it } from "@effect/vitest"
import type { EvaluationSummary } from "@eto/core"
import { Config, type Experiment } from "@eto/strategies"
import { kindOf } from "../src/report/Episodes"
import { resultsFromOutcomes } from "../src/report/Outcomes"

const summary: EvaluationSummary = { env: "webshop", split: "test", policy: "p", tasks: 4, avgReward: 0.5, successRate: 0.25, meanSteps: 3, seed: 1, wallSeconds: 1 }

const outcome = (entry: Config.StrategyConfig): Experiment.Outcome => {
  const strategy = Config.resolveStrategy(entry, "webshop")
  return { label: strategy.label, strategy, seed: 1, evaluations: [summary] }
}

describe("self-play rows with a remote sampler", () => {
  it("name the sampler in the Table 5 method and the episode kind, and only then", () => {
    const outcomes = [
      outcome({ _tag: "base" }),
      outcome({ _tag: "self-play", method: "rft" }),
      outcome({ _tag: "self-play", method: "rft", sampler: { model: "openai:gpt-4o-mini" } }),
      outcome({ _tag: "self-play", method: "rft+eto", sampler: { model: "openai:tiny", baseUrl: "http://127.0.0.1:8000/v1" } })
    ]
    expect(resultsFromOutcomes(outcomes).selfPlay.map((r) => r.method)).toEqual([
      "untuned",
      "RFT",
      "RFT (openai:gpt-4o-mini samples)",
      "RFT+ETO (openai:tiny samples)"
    ])
    expect(outcomes.map((o) => kindOf(o.strategy))).toEqual(["base", "self-play:rft", "self-play:rft@openai:gpt-4o-mini", "self-play:rft+eto@openai:tiny"])
  })
})
