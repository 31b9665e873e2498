import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { type Dialogue, fromMessages, fromTurns, render, renderExamples, renderPrompt, renderWindows } from "../src/Render"
import { SPECIAL, train } from "../src/Tokenizer"
import { digestDialogues, digestTokenizer, renderDigest } from "./renderDigest"

const messages = [
  { from: "human" as const, value: "You are a shopping agent. Reply with Thought and Action." },
  { from: "gpt" as const, value: "OK" },
  { from: "human" as const, value: "Instruction: buy red shoes under 40 dollars" },
  { from: "gpt" as const, value: "Thought: search first.\nAction: search[red shoes]" },
  { from: "human" as const, value: "Observation: B01 red shoes $30" },
  { from: "gpt" as const, value: "Thought: pick it.\nAction: click[B01]" },
  { from: "human" as const, value: "Observation: item page" },
  { from: "gpt" as const, value: "Thought: buy.\nAction: click[Buy Now]" }
]
const tok = train(messages.map((m) => m.value), { vocabSize: 400 })

describe("conversation renderer", () => {
  const d = fromMessages(messages)
  it("reads the FastChat header and turns", () => {
    expect(d.instruction).toMatch(/shopping agent/)
    expect(d.initialObservation).toMatch(/red shoes under 40/)
    expect(d.turns).toHaveLength(3)
    expect(d.turns[2]!.env).toBeUndefined()
  })

  it("masks exactly the agent replies and their closing token", () => {
    const r = render(tok, d, 1000)
    const agentText = tok.decode(Array.from(r.ids).filter((_, i) => r.mask[i] === 1))
    expect(agentText).toBe(d.turns.map((t) => t.agent + SPECIAL.end).join(""))
    expect(tok.decode(r.ids)).toBe(
      `${SPECIAL.eot}${SPECIAL.instruction}${d.instruction}${SPECIAL.end}${SPECIAL.env}${d.initialObservation}${SPECIAL.end}` +
        d.turns.map((t) => `${SPECIAL.agent}${t.agent}${SPECIAL.end}${t.env === undefined ? "" : `${SPECIAL.env}${t.env}${SPECIAL.end}`}`).join("")
    )
    expect(r.droppedTurns).toBe(0)
  })

  it("fits long histories: oldest turns first, then the instruction, then observations", () => {
    const full = render(tok, d, 1000)
    const lastTwo = render(tok, { ...d, turns: d.turns.slice(1) }, 1000)
    const r = render(tok, d, lastTwo.ids.length + 2)
    // The newest turn has no answer yet, so the turn before it (the latest observation) stays too.
    expect(r.droppedTurns).toBe(1)
    expect(Array.from(r.ids)).toEqual(Array.from(lastTwo.ids))
    expect(full.ids.length).toBeGreaterThan(r.ids.length)
    // Tighter: the instruction is shortened (its beginning kept), then the observation.
    const instructionTokens = tok.encode(d.instruction).length
    const tight = render(tok, d, lastTwo.ids.length - 3)
    expect(tight.ids.length).toBe(lastTwo.ids.length - 3)
    expect(tok.decode(tight.ids)).toContain(d.initialObservation)
    expect(tok.decode(tight.ids)).toContain(d.turns[1]!.env!)
    expect(tok.decode(tight.ids)).toContain(tok.decode(tok.encode(d.instruction).slice(0, instructionTokens - 3)))
    const tighter = render(tok, d, lastTwo.ids.length - instructionTokens - 4)
    expect(tighter.ids.length).toBe(lastTwo.ids.length - instructionTokens - 4)
    expect(tok.decode(tighter.ids)).toContain(`${SPECIAL.instruction}${SPECIAL.end}`)
    expect(tok.decode(tighter.ids)).not.toContain(d.turns[1]!.env!)
    expect(tok.decode(tighter.ids)).toContain(d.turns[1]!.env!.slice(0, 8))
    // Every agent reply that is kept is kept whole.
    expect(tok.decode(Array.from(tighter.ids).filter((_, i) => tighter.mask[i] === 1))).toBe(d.turns.slice(1).map((t) => t.agent + SPECIAL.end).join(""))
  })

  it("splits a conversation that does not fit into one example per agent turn", () => {
    const full = render(tok, d, 1000)
    expect(renderExamples(tok, d, 1000)).toEqual([full])
    const limit = full.ids.length - 5
    const examples = renderExamples(tok, d, limit)
    expect(examples).toHaveLength(3)
    examples.forEach((e, k) => {
      expect(e.ids.length).toBeLessThanOrEqual(limit)
      // Only turn k is a target, and it is the end of the example.
      expect(tok.decode(Array.from(e.ids).filter((_, i) => e.mask[i] === 1))).toBe(d.turns[k]!.agent + SPECIAL.end)
      expect(e.ids[e.ids.length - 1]).toBe(tok.special(SPECIAL.end))
      expect(tok.decode(e.ids)).toContain(d.initialObservation)
    })
    // The first turns still have their whole history; the last lost its oldest turn.
    expect(examples[0]!.droppedTurns).toBe(0)
    expect(examples[2]!.droppedTurns).toBeGreaterThan(0)
  })

  it("ends a generation prompt with an open agent turn", () => {
    const prompt = renderPrompt(tok, { ...d, turns: d.turns.slice(0, 2).map((t) => ({ ...t })) }, 1000)
    expect(prompt[prompt.length - 1]).toBe(tok.special(SPECIAL.agent))
    const short = renderPrompt(tok, d, 40)
    expect(short.length).toBeLessThanOrEqual(40)
    expect(short[short.length - 1]).toBe(tok.special(SPECIAL.agent))
  })

  it("writes agent turns in the ReAct form or as the action alone", () => {
    const turns = [
      { thought: "search first.", action: "search[red shoes]", observation: "B01 red shoes $30", reward: 0 },
      { thought: "", action: "click[B01]", observation: "item page", reward: 0 }
    ]
    const react = fromTurns("", "Instruction: buy red shoes", turns, true)
    expect(react.turns.map((t) => t.agent)).toEqual(["Thought: search first.\nAction: search[red shoes]", "Thought: \nAction: click[B01]"])
    expect(react.turns.map((t) => t.env)).toEqual(["Observation: B01 red shoes $30", "Observation: item page"])
    const bare = fromTurns("", "Instruction: buy red shoes", turns, false, "action")
    expect(bare.turns.map((t) => t.agent)).toEqual(["Action: search[red shoes]", "Action: click[B01]"])
    expect(bare.turns[1]!.env).toBeUndefined()
  })

  describe("episode windows", () => {
    /** Which agent turns a window trains: its masked text, cut at each closing token. */
    const targets = (ids: Int32Array, mask: Uint8Array) =>
      tok.decode(Array.from(ids).filter((_, i) => mask[i] === 1)).split(SPECIAL.end).filter((x) => x !== "")

    it("keep a conversation that fits as one window, and otherwise train several turns per window", () => {
      const full = render(tok, d, 1000)
      expect(renderWindows(tok, d, 1000)).toEqual([full])
      const limit = full.ids.length - 5
      const windows = renderWindows(tok, d, limit)
      const turns = renderExamples(tok, d, limit)
      expect(windows.length).toBeLessThan(turns.length)
      expect(windows.flatMap((w) => targets(w.ids, w.mask))).toEqual(d.turns.map((t) => t.agent))
      const processed = (rs: ReadonlyArray<{ ids: Int32Array }>) => rs.reduce((n, r) => n + r.ids.length, 0)
      expect(processed(windows)).toBeLessThan(processed(turns))
      for (const w of windows) {
        expect(w.ids.length).toBeLessThanOrEqual(limit)
        expect(tok.decode(w.ids)).toContain(d.initialObservation)
        // A window ends with its last target's closing token: no observation that nothing is predicted from.
        expect(w.mask[w.mask.length - 1]).toBe(1)
      }
    })

    const dialogueArb = fc.record({
      instruction: fc.string({ maxLength: 30 }),
      initialObservation: fc.string({ maxLength: 60 }),
      turns: fc.array(fc.record({ agent: fc.string({ maxLength: 25 }), env: fc.string({ maxLength: 90 }) }), { minLength: 1, maxLength: 8 })
    })

    it("train every agent turn once, in order, right after the observation it answers, within the context", () => {
      fc.assert(
        fc.property(dialogueArb, fc.integer({ min: 0, max: 300 }), (raw, room) => {
          // Distinct replies (so a target names its turn); the last turn has no answer.
          const dialogue: Dialogue = {
            ...raw,
            turns: raw.turns.map((t, k) => ({ agent: `#${k} ${t.agent}`, env: k + 1 < raw.turns.length ? t.env : undefined }))
          }
          const blockLen = (text: string) => tok.encode(text).length + 2
          const head = 1 + blockLen(dialogue.instruction) + blockLen(dialogue.initialObservation)
          const turnLen = (k: number) => blockLen(dialogue.turns[k]!.agent) + (k > 0 ? blockLen(dialogue.turns[k - 1]!.agent) + blockLen(dialogue.turns[k - 1]!.env!) : 0)
          // A context that holds any turn with the turn before it, plus some room.
          const maxTokens = head + Math.max(...dialogue.turns.map((_, k) => turnLen(k))) + room
          const windows = renderWindows(tok, dialogue, maxTokens)
          expect(windows.length).toBeLessThanOrEqual(dialogue.turns.length)
          expect(windows.flatMap((w) => targets(w.ids, w.mask))).toEqual(dialogue.turns.map((t) => t.agent))
          let k = 0
          for (const w of windows) {
            expect(w.ids.length).toBeLessThanOrEqual(maxTokens)
            const first = w.mask.indexOf(1) - 1
            expect(w.ids[first]).toBe(tok.special(SPECIAL.agent))
            const answered = k === 0 ? dialogue.initialObservation : dialogue.turns[k - 1]!.env!
            expect(tok.decode(w.ids.slice(0, first)).endsWith(`${SPECIAL.env}${answered}${SPECIAL.end}`)).toBe(true)
            k += targets(w.ids, w.mask).length
          }
          // A context that holds everything: one window.
          expect(renderWindows(tok, dialogue, 100_000)).toHaveLength(1)
        }),
        { numRuns: 150, seed: 7 }
      )
    })

    it("fit a turn that does not fit with the turn before it on its own, as the turn windows do", () => {
      const limit = 30
      const windows = renderWindows(tok, d, limit)
      expect(windows).toEqual(renderExamples(tok, d, limit))
    })
  })

  describe("replies marked as context only (loss: false)", () => {
    /** The masked text of a rendering, cut at each closing token. */
    const trainedTexts = (r: { ids: Int32Array; mask: Uint8Array }) =>
      tok.decode(Array.from(r.ids).filter((_, i) => r.mask[i] === 1)).split(SPECIAL.end).filter((x) => x !== "")
    const marked: Dialogue = { ...d, turns: d.turns.map((t, k) => (k === 1 ? { ...t, loss: false } : t)) }

    it("render unmarked dialogues bit for bit as the renderer did before the mark existed", () => {
      // SHA-256 of every window (ids, masks, dropped turns) of renderDigest's fixed dialogues, both modes,
      // six context sizes, recorded with the renderer that had no per-reply mark.
      expect(renderDigest(renderExamples, renderWindows)).toBe("e485c47c477aa72dcd53931fa0b9c4ae06ae5b0c4e3229ef612de2ddff7a0250")
      // `loss: true` is the same as no mark.
      const dialogues = digestDialogues()
      const dtok = digestTokenizer(dialogues)
      for (const dialogue of dialogues) {
        const explicit = { ...dialogue, turns: dialogue.turns.map((t) => ({ ...t, loss: true })) }
        for (const maxTokens of [40, 200, 100_000]) {
          expect(renderExamples(dtok, explicit, maxTokens)).toEqual(renderExamples(dtok, dialogue, maxTokens))
          expect(renderWindows(dtok, explicit, maxTokens)).toEqual(renderWindows(dtok, dialogue, maxTokens))
        }
      }
    })

    it("keep a marked reply in the context with no loss on it", () => {
      const r = render(tok, marked, 1000)
      expect(Array.from(r.ids)).toEqual(Array.from(render(tok, d, 1000).ids))
      expect(trainedTexts(r)).toEqual([d.turns[0]!.agent, d.turns[2]!.agent])
      expect(renderWindows(tok, marked, 1000)).toEqual([r])
      expect(renderExamples(tok, marked, 1000)).toEqual([r])
    })

    it("make no turn example for a marked reply; the reply after it sees it as context", () => {
      const limit = render(tok, d, 1000).ids.length - 5
      const examples = renderExamples(tok, marked, limit)
      expect(examples.map(trainedTexts)).toEqual([[d.turns[0]!.agent], [d.turns[2]!.agent]])
      expect(tok.decode(examples[1]!.ids)).toContain(`${SPECIAL.agent}${d.turns[1]!.agent}${SPECIAL.end}${SPECIAL.env}${d.turns[1]!.env}`)
      // the unmarked turns' examples are unchanged
      const plain = renderExamples(tok, d, limit)
      expect(examples).toEqual([plain[0], plain[2]])
    })

    it("train every unmarked reply once and no marked one, in both window modes and any context", () => {
      fc.assert(
        fc.property(fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }), fc.integer({ min: 0, max: 23 }), fc.constantFrom(160, 250, 400, 100_000), (marks, which, maxTokens) => {
          const base = digestDialogues()[which]!
          const dtok = digestTokenizer(digestDialogues())
          const dialogue: Dialogue = { ...base, turns: base.turns.map((t, k) => ({ ...t, agent: `#${k} ${t.agent}`, ...(marks[k] ? { loss: false } : {}) })) }
          const wanted = dialogue.turns.filter((t) => t.loss !== false).map((t) => t.agent)
          const windows = renderWindows(dtok, dialogue, maxTokens)
          const targetsOf = (rs: ReadonlyArray<{ ids: Int32Array; mask: Uint8Array }>) =>
            rs.flatMap((r) => dtok.decode(Array.from(r.ids).filter((_, i) => r.mask[i] === 1)).split(SPECIAL.end).filter((x) => x !== ""))
          const cut = (texts: ReadonlyArray<string>) => texts.map((x) => x.split(" ")[0])
          // contexts that hold every reply with its task; targets named by their reply numbers
          expect(cut(targetsOf(windows))).toEqual(cut(wanted))
          for (const w of windows) {
            expect(w.mask.includes(1)).toBe(true)
            expect(w.ids.length).toBeLessThanOrEqual(maxTokens)
          }
          const examples = renderExamples(dtok, dialogue, maxTokens)
          expect(cut(targetsOf(examples))).toEqual(cut(wanted))
          // (a dialogue without turns is one example without targets, as before)
          for (const e of examples) expect(e.mask.includes(1)).toBe(dialogue.turns.length > 0)
        }),
        { numRuns: 120, seed: 11 }
      )
    })

    it("read the mark from trajectories' turns and from FastChat messages", () => {
      const turns = [
        { thought: "a", action: "go to desk 1", observation: "Nothing happens.", reward: 0, loss: false },
        { thought: "b", action: "look", observation: "You are in the middle of a room.", reward: 0 }
      ]
      const fromT = fromTurns("instr", "first", turns)
      expect(fromT.turns.map((t) => t.loss)).toEqual([false, undefined])
      const fromM = fromMessages([
        { from: "human", value: "first" },
        { from: "gpt", value: "Thought: a\nAction: go to desk 1", loss: false },
        { from: "human", value: "Observation: Nothing happens.", loss: null },
        { from: "gpt", value: "Thought: b\nAction: look", loss: true }
      ])
      expect(fromM.turns.map((t) => t.loss)).toEqual([false, undefined])
      const allMarked: Dialogue = { ...d, turns: d.turns.map((t) => ({ ...t, loss: false })) }
      expect(renderExamples(tok, allMarked, 1000)).toEqual([])
      expect(renderWindows(tok, allMarked, 40)).toEqual([])
    })
  })
})
