/**
 * Renders a conversation into token ids and an action mask.
 *
 *   <|endoftext|> <|instruction|> instruction <|end|> <|env|> first observation <|end|>
 *   then per turn:  <|agent|> reply <|end|>  [<|env|> observation <|end|>]
 *
 * The action mask is 1 on the tokens of each agent reply and on its closing
 * <|end|> (so the model learns to end its turn), 0 elsewhere: the SFT loss
 * counts agent tokens only. A generation prompt ends with an open <|agent|>
 * and generation stops at <|end|>.
 *
 * Fitting to the context (`maxTokens`), in order until the ids fit:
 *   1. drop the oldest turns whole; the instruction and the first observation
 *      (which states the task) are kept, and so is the latest observation
 *      (the newest turn, and the one before a final agent turn that has no
 *      answer yet);
 *   2. shorten the instruction's text, keeping its beginning;
 *   3. shorten the kept observations, the longest first, keeping their
 *      beginnings;
 *   4. cut the sequence: training keeps its beginning, a generation prompt
 *      keeps its end (the open <|agent|> must stay last).
 * Training windows, two ways (`Windows`):
 *   - "turn" (`renderExamples`): a conversation that does not fit whole
 *     becomes one example per agent turn: that turn is the only target and
 *     the history before it is fitted by the rule above, so every agent turn
 *     is trained on once, with as much of its history as the context holds.
 *     Each turn's history is processed again for every later turn.
 *   - "episode" (`renderWindows`): as few windows as possible, each one
 *     training every agent turn it holds. A window is the task (instruction
 *     and first observation), then a run of consecutive turns: the turns
 *     before its first target are context only (at least the one whose
 *     observation the first target answers), and the observation after its
 *     last target is left out (nothing in the window is predicted from it).
 *     Targets are packed first, then as many earlier turns as still fit are
 *     added as context. A conversation that fits the context is one window;
 *     a turn that does not fit even with one turn of context is fitted on its
 *     own as in "turn".
 * A reply marked `loss: false` (a deliberate mistake in a perturbed expert
 * episode) is context only: its tokens have mask 0, "turn" makes no example
 * for it, and no "episode" window starts or ends on it (so it is the context
 * of the window that trains the reply after it). A conversation without any
 * trained reply gives no example. Unmarked conversations render exactly as
 * they would without this rule.
 */
import { type Conversations, formatReply, type Turn } from "@eto/core"
import { SPECIAL, type Tokenizer } from "./Tokenizer"

export interface RenderTurn {
  /** The agent's reply ("Thought: ...\nAction: ..."). */
  readonly agent: string
  /** The environment's answer, when there is one. */
  readonly env?: string | undefined
  /** false: the reply is context only and carries no loss (Turn.loss); absent: trained. */
  readonly loss?: boolean | undefined
}

export interface Dialogue {
  readonly instruction: string
  readonly initialObservation: string
  readonly turns: ReadonlyArray<RenderTurn>
}

export interface Rendered {
  readonly ids: Int32Array
  /** 1 on agent tokens (targets of the SFT loss). */
  readonly mask: Uint8Array
  /** Turns dropped to fit the context. */
  readonly droppedTurns: number
}

/**
 * How an agent turn is written: "thought-action" is the ReAct form
 * ("Thought: ...\nAction: ..."); "action" is "Action: ..." alone, for a model
 * trained and prompted without thoughts (no empty thought slot to fill).
 */
export type ReplyForm = "thought-action" | "action"

export const replyText = (t: Pick<Turn, "thought" | "action">, form: ReplyForm = "thought-action"): string =>
  form === "action" ? `Action: ${t.action}` : formatReply(t.thought, t.action)

/** A dialogue from core turns; observations are shown as "Observation: ...". */
export const fromTurns = (
  instruction: string,
  initialObservation: string,
  turns: ReadonlyArray<Turn>,
  keepLastObservation = false,
  form: ReplyForm = "thought-action"
): Dialogue => ({
  instruction,
  initialObservation,
  turns: turns.map((t, i) => ({
    agent: replyText(t, form),
    env: i < turns.length - 1 || keepLastObservation ? observationText(t.observation) : undefined,
    ...(t.loss === false ? { loss: false } : {})
  }))
})

const observationText = (o: string): string => (o.startsWith("Observation:") || o.startsWith("Invalid format") ? o : `Observation: ${o}`)

/**
 * A dialogue from FastChat messages. With the "instruction / OK / first
 * observation" header the first human message is the instruction; without it
 * the instruction is empty. Consecutive messages of one side are joined (a
 * joined reply is context only when each of its parts is marked `loss: false`).
 */
export const fromMessages = (messages: ReadonlyArray<Conversations.Message>): Dialogue => {
  const merged: Array<{ from: "human" | "gpt"; value: string; loss: boolean }> = []
  for (const m of messages) {
    const last = merged[merged.length - 1]
    if (last && last.from === m.from) {
      last.value += `\n${m.value}`
      last.loss ||= m.loss !== false
    } else merged.push({ from: m.from, value: m.value, loss: m.loss !== false })
  }
  let i = 0
  let instruction = ""
  if (merged.length >= 3 && merged[0]!.from === "human" && merged[1]!.from === "gpt" && merged[1]!.value.trim() === "OK") {
    instruction = merged[0]!.value
    i = 2
  }
  let initialObservation = ""
  if (merged[i]?.from === "human") initialObservation = merged[i++]!.value
  const turns: Array<RenderTurn> = []
  for (; i < merged.length; i++) {
    const m = merged[i]!
    if (m.from !== "gpt") continue
    const next = merged[i + 1]
    turns.push({ agent: m.value, env: next?.from === "human" ? next.value : undefined, ...(m.loss ? {} : { loss: false }) })
  }
  return { instruction, initialObservation, turns }
}

interface Piece {
  ids: Array<number>
  mask: Array<number>
}

const block = (tok: Tokenizer, open: string, text: string, train: boolean): Piece => {
  const body = tok.encode(text)
  const ids = [tok.special(open), ...body, tok.special(SPECIAL.end)]
  const mask = train ? [0, ...body.map(() => 1), 1] : ids.map(() => 0)
  return { ids, mask }
}

const concat = (pieces: ReadonlyArray<Piece>): Piece => ({
  ids: pieces.flatMap((p) => p.ids),
  mask: pieces.flatMap((p) => p.mask)
})

/** A block shortened to `keep` body tokens (its opening and closing tokens stay). */
const shorten = (tok: Tokenizer, b: Piece, keep: number): Piece => ({
  ids: [...b.ids.slice(0, 1 + keep), tok.special(SPECIAL.end)],
  mask: [...b.mask.slice(0, 1 + keep), b.mask[b.mask.length - 1]!]
})

const fit = (tok: Tokenizer, d: Dialogue, maxTokens: number, tail: Piece | undefined, keepEnd: boolean): Rendered => {
  const eot: Piece = { ids: [tok.special(SPECIAL.eot)], mask: [0] }
  let instruction = block(tok, SPECIAL.instruction, d.instruction, false)
  const first = block(tok, SPECIAL.env, d.initialObservation, false)
  const turns = d.turns.map((t) => ({
    agent: block(tok, SPECIAL.agent, t.agent, t.loss !== false),
    env: t.env === undefined ? undefined : block(tok, SPECIAL.env, t.env, false)
  }))
  const extra = tail ? tail.ids.length : 0
  const turnLen = (t: (typeof turns)[number]) => t.agent.ids.length + (t.env ? t.env.ids.length : 0)
  const len = () => 1 + instruction.ids.length + first.ids.length + turns.reduce((s, t) => s + turnLen(t), 0) + extra
  // 1. Oldest turns go first; the newest turn stays, and so does the one
  //    before an unanswered last turn, so the latest observation is kept.
  const lastOpen = turns.length > 0 && turns[turns.length - 1]!.env === undefined
  const keepTurns = Math.min(turns.length, lastOpen && !tail ? 2 : 1)
  let dropped = 0
  while (len() > maxTokens && turns.length > keepTurns) {
    turns.shift()
    dropped++
  }
  // 2. The instruction is shortened, keeping its beginning.
  if (len() > maxTokens) instruction = shorten(tok, instruction, Math.max(0, instruction.ids.length - 2 - (len() - maxTokens)))
  // 3. The kept observations are shortened, the longest first, keeping their beginnings.
  while (len() > maxTokens) {
    let longest: (typeof turns)[number] | undefined
    for (const t of turns) if (t.env && t.env.ids.length > 2 && (!longest || t.env.ids.length > longest.env!.ids.length)) longest = t
    if (!longest) break
    const env = longest.env!
    longest.env = shorten(tok, env, Math.max(0, env.ids.length - 2 - (len() - maxTokens)))
  }
  const all = concat([eot, instruction, first, ...turns.flatMap((t) => (t.env ? [t.agent, t.env] : [t.agent])), ...(tail ? [tail] : [])])
  let ids = all.ids, mask = all.mask
  // 4. What still does not fit is cut: training keeps the beginning, prompts the end.
  if (ids.length > maxTokens) {
    if (keepEnd) {
      ids = ids.slice(ids.length - maxTokens)
      mask = mask.slice(mask.length - maxTokens)
    } else {
      ids = ids.slice(0, maxTokens)
      mask = mask.slice(0, maxTokens)
    }
  }
  return { ids: Int32Array.from(ids), mask: Uint8Array.from(mask), droppedTurns: dropped }
}

/** Token ids and action mask of a whole conversation, fitted to `maxTokens`. */
export const render = (tok: Tokenizer, d: Dialogue, maxTokens: number): Rendered => fit(tok, d, maxTokens, undefined, false)

/** Training examples of a conversation (see the module comment). */
export const renderExamples = (tok: Tokenizer, d: Dialogue, maxTokens: number): Array<Rendered> => {
  const trained = d.turns.flatMap((t, k) => (t.loss === false ? [] : [k]))
  if (trained.length === 0 && d.turns.length > 0) return []
  const whole = render(tok, d, maxTokens)
  const fullLength = render(tok, d, Number.MAX_SAFE_INTEGER).ids.length
  if (whole.droppedTurns === 0 && whole.ids.length === fullLength) return [whole]
  return trained.map((k) => turnExample(tok, d, k, maxTokens))
}

/** How a conversation becomes training windows (see the module comment). */
export type Windows = "turn" | "episode"

/** Training windows of a conversation in the episode mode (see the module comment). */
export const renderWindows = (tok: Tokenizer, d: Dialogue, maxTokens: number): Array<Rendered> => {
  const n = d.turns.length
  const eot: Piece = { ids: [tok.special(SPECIAL.eot)], mask: [0] }
  const head = concat([eot, block(tok, SPECIAL.instruction, d.instruction, false), block(tok, SPECIAL.env, d.initialObservation, false)])
  const agents = d.turns.map((t) => block(tok, SPECIAL.agent, t.agent, t.loss !== false))
  const contextOnly = (k: number) => d.turns[k]!.loss === false
  const context = agents.map((a) => ({ ids: a.ids, mask: a.mask.map(() => 0) }))
  const envs = d.turns.map((t) => (t.env === undefined ? undefined : block(tok, SPECIAL.env, t.env, false)))
  const envLen = (k: number) => envs[k]?.ids.length ?? 0
  // Tokens of the window with context turns [c, s) and targets [s, e].
  const windowLen = (c: number, e: number) => {
    let len = head.ids.length
    for (let k = c; k <= e; k++) len += agents[k]!.ids.length + (k < e ? envLen(k) : 0)
    return len
  }
  const out: Array<Rendered> = []
  let s = 0
  while (s < n) {
    if (contextOnly(s)) {
      s++
      continue
    }
    let c = Math.max(0, s - 1)
    if (windowLen(c, s) > maxTokens) {
      // Too long even with one turn of context: fitted on its own.
      out.push(turnExample(tok, d, s, maxTokens))
      s++
      continue
    }
    let e = s
    while (e + 1 < n && windowLen(c, e + 1) <= maxTokens) e++
    while (e > s && contextOnly(e)) e--
    while (c > 0 && windowLen(c - 1, e) <= maxTokens) c--
    const pieces: Array<Piece> = [head]
    for (let k = c; k <= e; k++) {
      pieces.push(k < s ? context[k]! : agents[k]!)
      if (k < e && envs[k] !== undefined) pieces.push(envs[k]!)
    }
    const all = concat(pieces)
    out.push({ ids: Int32Array.from(all.ids), mask: Uint8Array.from(all.mask), droppedTurns: c })
    s = e + 1
  }
  return out
}

/** The "turn" example of agent turn `k`: its history fitted by the rule above, turn k the only target. */
const turnExample = (tok: Tokenizer, d: Dialogue, k: number, maxTokens: number): Rendered => {
  const r = render(tok, { ...d, turns: [...d.turns.slice(0, k), { agent: d.turns[k]!.agent }] }, maxTokens)
  const mask = Uint8Array.from(r.mask)
  mask.fill(0, 0, Math.max(0, r.ids.lastIndexOf(tok.special(SPECIAL.agent))))
  return { ids: r.ids, mask, droppedTurns: r.droppedTurns }
}

/** Training examples of a conversation in either mode. */
export const renderTraining = (tok: Tokenizer, d: Dialogue, maxTokens: number, windows: Windows): Array<Rendered> =>
  windows === "episode" ? renderWindows(tok, d, maxTokens) : renderExamples(tok, d, maxTokens)

/**
 * The prompt for the next agent turn: the history, then an open <|agent|>.
 * `maxTokens` is the room left for the prompt (context minus the tokens to
 * generate).
 */
export const renderPrompt = (tok: Tokenizer, d: Dialogue, maxTokens: number): Int32Array => {
  const r = fit(tok, d, maxTokens, { ids: [tok.special(SPECIAL.agent)], mask: [0] }, true)
  return r.ids
}
