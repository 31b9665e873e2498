/**
 * The action parser: stop-word removal, referent prefix matching over
 * templates, and the numbered ambiguity prompt.
 */
import { normalize, ownReferents, referentsOf } from "./referents"
import type { Obj, World } from "./world"

export { normalize }

export type ActionName =
  | "look around"
  | "look at"
  | "look in"
  | "inventory"
  | "task"
  | "open"
  | "close"
  | "activate"
  | "deactivate"
  | "move"
  | "pick up"
  | "put down"
  | "pour"
  | "dunk"
  | "mix"
  | "use"
  | "read"
  | "eat"
  | "flush"
  | "focus"
  | "reset task"
  | "connect"
  | "disconnect"
  | "wait"
  | "wait1"
  | "go"
  | "teleport"

const X = 0 as const
type Part = string | typeof X

interface Template {
  readonly action: ActionName
  readonly parts: ReadonlyArray<Part>
  readonly electrical?: boolean
  readonly teleport?: boolean
}

const t = (action: ActionName, pattern: string, extra: Partial<Template> = {}): Template => ({
  action,
  parts: pattern.split(/(OBJ)/).filter((p) => p !== "").map((p) => (p === "OBJ" ? X : p)),
  ...extra
})

const TEMPLATES: ReadonlyArray<Template> = [
  t("look around", "look around"),
  t("look around", "look"),
  t("look at", "look at OBJ"),
  t("look at", "look on OBJ"),
  t("look at", "examine OBJ"),
  t("look in", "look in OBJ"),
  t("inventory", "inventory"),
  t("task", "task"),
  t("open", "open OBJ"),
  t("close", "close OBJ"),
  t("activate", "activate OBJ"),
  t("activate", "turn on OBJ"),
  t("deactivate", "deactivate OBJ"),
  t("deactivate", "turn off OBJ"),
  ...["to", "in", "into", "on"].flatMap((c) => [t("move", `move OBJ ${c} OBJ`), t("move", `put OBJ ${c} OBJ`)]),
  t("pick up", "pick up OBJ"),
  t("pick up", "get OBJ"),
  t("pick up", "take OBJ"),
  t("put down", "put down OBJ"),
  t("put down", "drop OBJ"),
  ...["in", "into", "on", "to"].map((c) => t("pour", `pour OBJ ${c} OBJ`)),
  ...["in", "into"].map((c) => t("dunk", `dunk OBJ ${c} OBJ`)),
  t("mix", "mix OBJ"),
  t("mix", "stir OBJ"),
  t("use", "use OBJ on OBJ"),
  t("use", "use OBJ with OBJ"),
  t("read", "read OBJ"),
  t("eat", "eat OBJ"),
  t("eat", "consume OBJ"),
  t("flush", "flush OBJ"),
  t("focus", "focus on OBJ"),
  t("focus", "focus OBJ"),
  t("reset task", "reset task"),
  ...["to", "in", "into"].map((c) => t("connect", `connect OBJ ${c} OBJ`, { electrical: true })),
  t("disconnect", "disconnect OBJ", { electrical: true }),
  t("wait", "wait"),
  t("wait1", "wait1"),
  ...["go OBJ", "go to OBJ", "go through OBJ", "walk to OBJ", "walk through OBJ", "move to OBJ", "move through OBJ", "go into OBJ", "move into OBJ"].map((p) =>
    t("go", p)
  ),
  ...["teleport OBJ", "teleport to OBJ", "teleport into OBJ"].map((p) => t("teleport", p, { teleport: true }))
]

/** Each action's name in the original (ambiguity prompts order and name actions by it). */
const ORIGINAL_NAME: Readonly<Record<ActionName, string>> = {
  "look around": "look around",
  "look at": "look at",
  "look in": "look in",
  inventory: "view inventory",
  task: "task description",
  open: "open door",
  close: "close door",
  activate: "activate",
  deactivate: "deactivate",
  move: "move object",
  "pick up": "pick up",
  "put down": "put down",
  pour: "pour object",
  dunk: "dunk object",
  mix: "mix",
  use: "use object",
  read: "read",
  eat: "eat",
  flush: "flush",
  focus: "focus on",
  "reset task": "reset task",
  connect: "connect electrically",
  disconnect: "disconnect electrically",
  wait: "wait10",
  wait1: "wait1",
  go: "move through door",
  teleport: "teleport to location"
}

/** How a prompt option reads: each pattern's first alternative ("pour X in Y", "go X"). */
const CANONICAL: Readonly<Record<ActionName, string>> = {
  "look around": "look around",
  "look at": "look at OBJ",
  "look in": "look in OBJ",
  inventory: "inventory",
  task: "task",
  open: "open OBJ",
  close: "close OBJ",
  activate: "activate OBJ",
  deactivate: "deactivate OBJ",
  move: "move OBJ to OBJ",
  "pick up": "pick up OBJ",
  "put down": "put down OBJ",
  pour: "pour OBJ in OBJ",
  dunk: "dunk OBJ in OBJ",
  mix: "mix OBJ",
  use: "use OBJ on OBJ",
  read: "read OBJ",
  eat: "eat OBJ",
  flush: "flush OBJ",
  focus: "focus on OBJ",
  "reset task": "reset task",
  connect: "connect OBJ to OBJ",
  disconnect: "disconnect OBJ",
  wait: "wait",
  wait1: "wait1",
  go: "go OBJ",
  teleport: "teleport OBJ"
}

const ACTION_ORDER = new Map<ActionName, number>(
  (Object.keys(ORIGINAL_NAME) as Array<ActionName>)
    .sort((a, b) => (ORIGINAL_NAME[a] < ORIGINAL_NAME[b] ? -1 : ORIGINAL_NAME[a] > ORIGINAL_NAME[b] ? 1 : 0))
    .map((a, i) => [a, i] as const)
)

export interface ParsedAction {
  readonly action: ActionName
  readonly objects: ReadonlyArray<Obj>
}

/** Referents of each candidate, with "in/on <container>" qualifiers. */
export const referentTable = (candidates: ReadonlyArray<Obj>, world: World): Array<{ obj: Obj; refs: Array<string> }> => {
  const room = world.agentRoom()
  const cache = new Map<Obj, Array<string>>()
  const own = (o: Obj) => {
    let r = cache.get(o)
    if (!r) {
      r = ownReferents(o, room)
      cache.set(o, r)
    }
    return r
  }
  const out: Array<{ obj: Obj; refs: Array<string> }> = []
  const seen = new Set<Obj>()
  for (const o of candidates) {
    if (seen.has(o)) continue
    seen.add(o)
    out.push({ obj: o, refs: referentsOf(o, own) })
  }
  return out
}

export interface ParseOutcome {
  readonly matches: ReadonlyArray<ParsedAction>
}

/** All (template, objects) matches of an input. */
export const parse = (input: string, world: World, electrical: boolean): ParseOutcome => {
  const text = normalize(input)
  if (text === "") return { matches: [] }
  let local: Array<{ obj: Obj; refs: Array<string> }> | undefined
  let global: Array<{ obj: Obj; refs: Array<string> }> | undefined
  const found = new Map<string, ParsedAction>()
  for (const tpl of TEMPLATES) {
    if (tpl.electrical && !electrical) continue
    const first = tpl.parts[0]
    if (typeof first === "string" && !text.startsWith(first)) continue
    if (tpl.parts.length === 1 && text !== first) continue
    let table: Array<{ obj: Obj; refs: Array<string> }>
    if (tpl.teleport) table = global ??= referentTable(world.worldScope(), world)
    else table = local ??= referentTable(world.scope(), world)
    const bound: Array<Obj> = []
    const go = (pi: number, pos: number) => {
      if (pi === tpl.parts.length) {
        if (pos === text.length) {
          const key = `${tpl.action}|${bound.map((b) => b.uuid).join(",")}`
          if (!found.has(key)) found.set(key, { action: tpl.action, objects: bound.slice() })
        }
        return
      }
      const part = tpl.parts[pi]!
      if (typeof part === "string") {
        if (text.startsWith(part, pos)) go(pi + 1, pos + part.length)
        return
      }
      for (const entry of table) {
        const lens = new Set<number>()
        for (const r of entry.refs) if (text.startsWith(r, pos)) lens.add(r.length)
        for (const len of lens) {
          bound.push(entry.obj)
          go(pi + 1, pos + len)
          bound.pop()
        }
      }
    }
    go(0, 0)
  }
  const matches = [...found.values()].sort((a, b) => {
    const d = ACTION_ORDER.get(a.action)! - ACTION_ORDER.get(b.action)!
    if (d !== 0) return d
    for (let i = 0; i < Math.min(a.objects.length, b.objects.length); i++) {
      const e = a.objects[i]!.uuid - b.objects[i]!.uuid
      if (e !== 0) return e
    }
    return 0
  })
  return { matches }
}

/** An object with its chain of containers up to the agent's location, as shown in the ambiguity prompt. */
const located = (o: Obj, world: World): string => {
  const chain: Array<string> = []
  const room = world.agentRoom()
  let p: Obj | undefined = o.kind === "terminal" ? o.terminalOf : o.kind === "door" || o.kind === "drain" ? undefined : o.parent
  while (p) {
    chain.push(`in ${p.name}`)
    if (p === room) break
    p = p.kind === "terminal" ? p.terminalOf : p.parent
  }
  const name = o.kind === "door" ? "door" : o.descName()
  return chain.length === 0 ? name : `${name} (${chain.join(", ")})`
}

export const renderAction = (m: ParsedAction, world: World): string => {
  let i = 0
  return CANONICAL[m.action].replace(/OBJ/g, () => located(m.objects[i++]!, world))
}

/** The numbered prompt for several matches. */
export const ambiguityPrompt = (matches: ReadonlyArray<ParsedAction>, world: World): string => {
  const actions = [...new Set(matches.map((m) => m.action))]
  let head = ""
  if (actions.length > 1) {
    head = `Ambiguous request: Multiple different possible actions were matched to this input (${actions.map((a) => ORIGINAL_NAME[a]).join(", ")}). ` +
      "It's possible the action space needs to be refined to remove possible duplicate/ambiguous patterns."
  }
  return head +
    "Ambiguous request: Please enter the number for the action you intended (or blank to cancel):\n" +
    matches.map((m, i) => `${i}:\t${renderAction(m, world)}\n`).join("")
}

export const TEMPLATE_LIST = TEMPLATES
