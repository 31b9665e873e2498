/**
 * Perturbed expert demonstrations on real ALFWorld games: the injected wrong
 * actions are marked as context only, the expert recovers from them and
 * solves the game, the episodes are fixed by the seed, and the training
 * windows put no loss on the injected replies.
 */
import { describe, expect, it } from "@effect/vitest"
import { parseReply, type PolicyRequest, Random, type Trajectory } from "@eto/core"
import { loadData } from "@eto/envs/alfworld/Data"
import { makeEnvironment } from "@eto/envs/alfworld/index"
import { loadVariations } from "@eto/envs/sciworld/data"
import { makeEnvironment as makeScienceWorld } from "@eto/envs/sciworld/index"
import { DEFAULT_SETTINGS } from "@eto/envs/sciworld/settings"
import { Render, Sft, Tokenizer } from "@eto/policy"
import { Effect } from "effect"
import { drawMistake, episodeSeed, mistakeCandidates, type Perturbation, perturbedEpisodes } from "../src/Perturbed"
import { selectTasks } from "../src/Phases"
import { dialogueOf, modelSettings } from "../src/Training"

const env = makeEnvironment(Effect.runSync(loadData(undefined, (id) => id.startsWith("train/") && Random.hashString(`perturbed|${id}`) % 500 === 0)))
const tasks = Effect.runSync(env.tasks("train")).slice(0, 4)

const options: Perturbation = { episodes: 3, mistakeRate: 0.3, maxMistakes: 2, keepUnsolved: false }
const run = (p: Perturbation, seed: number) => perturbedEpisodes(env, (s) => env.expert(s), tasks, p, { seed })
const marked = (t: Trajectory) => t.turns.flatMap((u, i) => (u.loss === false ? [i] : []))

describe("perturbed expert episodes (ALFWorld)", () => {
  it("has a few training games", () => expect(tasks).toHaveLength(4))

  it.effect("inject wrong actions marked loss: false, after which the expert recovers and solves the game", () =>
    Effect.gen(function*() {
      const { trajectories, stats } = yield* run(options, 0)
      expect(stats.played).toBe(12)
      expect(trajectories).toHaveLength(stats.kept)
      expect(stats.solved).toBe(stats.kept)
      const injected = trajectories.flatMap((t) => marked(t).map((i) => ({ t, i })))
      expect(injected.length).toBe(stats.injected.valid + stats.injected.repeat + stats.injected.earlier)
      expect(injected.length).toBeGreaterThanOrEqual(6)
      expect(stats.injected.valid).toBeGreaterThan(0)
      expect(stats.injected.repeat + stats.injected.earlier).toBeGreaterThan(0)
      // some mistakes do nothing ("Nothing happens."), others change the state (a wrong place or object)
      expect(injected.some(({ t, i }) => t.turns[i]!.observation === "Nothing happens.")).toBe(true)
      expect(injected.some(({ t, i }) => t.turns[i]!.observation !== "Nothing happens.")).toBe(true)
      for (const t of trajectories) {
        expect(t.success, t.task.id).toBe(true)
        expect(marked(t).length).toBeLessThanOrEqual(options.maxMistakes)
        // the episode ends on the expert's own (trained) turn unless a mistake happened to finish it
        const last = t.turns.length - 1
        expect(t.turns[last]!.loss === undefined || t.turns[last]!.reward === 1).toBe(true)
        // every turn that is not an injected mistake carries no mark at all (unchanged data)
        for (const u of t.turns) if (u.loss !== false) expect("loss" in u).toBe(false)
      }
    }))

  it.effect("replace the action the expert would have taken, keeping the expert's thought", () =>
    Effect.gen(function*() {
      const { trajectories } = yield* run({ ...options, episodes: 1 }, 5)
      const expert = env.expert(episodeSeed(5, 1))
      let checked = 0
      for (const t of trajectories) {
        for (const i of marked(t)) {
          const [reply] = yield* expert.act([{ task: t.task, initialObservation: t.initialObservation, turns: t.turns.slice(0, i) }])
          const wanted = parseReply(reply!)!
          expect(t.turns[i]!.action).not.toBe(wanted.action)
          expect(t.turns[i]!.thought).toBe(wanted.thought)
          checked++
        }
      }
      expect(checked).toBeGreaterThan(0)
    }))

  it.effect("are fixed by the seed and differ between seeds", () =>
    Effect.gen(function*() {
      const a = yield* run(options, 0)
      const b = yield* run(options, 0)
      const c = yield* run(options, 1)
      expect(b).toEqual(a)
      expect(c.trajectories.map((t) => t.turns.map((u) => u.action))).not.toEqual(a.trajectories.map((t) => t.turns.map((u) => u.action)))
    }))

  it.effect("keep the episodes the expert no longer solves only when asked", () =>
    Effect.gen(function*() {
      const harsh: Perturbation = { episodes: 2, mistakeRate: 1, maxMistakes: 40, keepUnsolved: false }
      const dropped = yield* run(harsh, 2)
      const all = yield* run({ ...harsh, keepUnsolved: true }, 2)
      expect(all.stats.kept).toBe(all.stats.played)
      expect(all.trajectories.filter((t) => t.success)).toEqual(dropped.trajectories)
      expect(dropped.stats.kept).toBeLessThan(dropped.stats.played)
    }))

  it.effect("train every expert reply and none of the injected ones, in turn and episode windows", () =>
    Effect.gen(function*() {
      const { trajectories } = yield* run(options, 0)
      const m = modelSettings({ name: "p", env: "alfworld", scale: "smoke", seeds: [1], strategies: [{ _tag: "sft" }], model: { instructionPrompt: "none" } })
      const dialogues = trajectories.map((t) => dialogueOf(env, m, t.initialObservation, t.turns))
      const tok = Tokenizer.train(Sft.corpusOf(dialogues), { vocabSize: 600 })
      for (const windows of ["turn", "episode"] as const) {
        for (const maxTokens of [384, 4096]) {
          dialogues.forEach((d, k) => {
            const trained = Render.renderTraining(tok, d, maxTokens, windows).flatMap((r) =>
              tok.decode(Array.from(r.ids).filter((_, i) => r.mask[i] === 1)).split(Tokenizer.SPECIAL.end).filter((x) => x !== "")
            )
            const injected = new Set(marked(trajectories[k]!))
            expect(trained, `${windows} ${maxTokens}`).toEqual(d.turns.filter((_, i) => !injected.has(i)).map((t) => t.agent))
          })
        }
      }
      // with the whole episode in one window, an injected reply and its observation precede the recovery
      const k = trajectories.findIndex((t) => marked(t).some((i) => i + 1 < t.turns.length))
      const i = marked(trajectories[k]!).find((j) => j + 1 < trajectories[k]!.turns.length)!
      const [window] = Render.renderTraining(tok, dialogues[k]!, 4096, "episode")
      const text = tok.decode(window!.ids)
      const d = dialogues[k]!
      expect(text).toContain(`${Tokenizer.SPECIAL.agent}${d.turns[i]!.agent}${Tokenizer.SPECIAL.end}${Tokenizer.SPECIAL.env}${d.turns[i]!.env}`)
    }))
})

describe("perturbed expert episodes (ScienceWorld)", () => {
  it.effect("the expert, which replays the history, recovers there too", () =>
    Effect.gen(function*() {
      const sw = makeScienceWorld(Effect.runSync(loadVariations()), DEFAULT_SETTINGS)
      const few = selectTasks(yield* sw.tasks("train"), 6).filter((t) => !t.id.startsWith("1-")).slice(0, 3)
      const { trajectories, stats } = yield* perturbedEpisodes(sw, (s) => sw.expert(s), few, options, { seed: 0 })
      expect(stats.played).toBe(9)
      expect(trajectories.length).toBeGreaterThan(0)
      expect(trajectories.every((t) => t.success)).toBe(true)
      expect(trajectories.some((t) => marked(t).length > 0 && marked(t).at(-1)! < t.turns.length - 1)).toBe(true)
    }))
})

describe("drawing a wrong action", () => {
  const task = { id: "x", env: "alfworld" as const, split: "train", instruction: "", metadata: {} }
  const turn = (action: string) => ({ thought: "", action, observation: "", reward: 0 })
  const request: PolicyRequest = {
    task,
    initialObservation: "",
    turns: [turn("go to desk 1"), turn("take mug 1 from desk 1"), turn("go to shelf 1")],
    availableActions: ["go to desk 1", "put mug 1 in/on shelf 1", "look"]
  }

  it("offers valid actions, the last action and earlier ones, never the expert's", () => {
    expect(mistakeCandidates(request, "put mug 1 in/on shelf 1")).toEqual({
      valid: ["go to desk 1", "look"],
      repeat: ["go to shelf 1"],
      earlier: ["go to desk 1", "take mug 1 from desk 1"]
    })
    expect(mistakeCandidates(request, "go to shelf 1").repeat).toEqual([])
    const rng = Random.make("draw")
    const kinds = new Set<string>()
    for (let n = 0; n < 200; n++) {
      const m = drawMistake(rng, request, "put mug 1 in/on shelf 1")!
      expect(m.action).not.toBe("put mug 1 in/on shelf 1")
      kinds.add(m.kind)
    }
    expect([...kinds].sort()).toEqual(["earlier", "repeat", "valid"])
    expect(drawMistake(rng, { ...request, turns: [], availableActions: ["look"] }, "look")).toBeUndefined()
  })
})
