/**
 * What a game asks for, read from its PDDL goal: which object class must end
 * where, in which state, how many of them, or which lamp must be on while the
 * object is held. The expert plans from this.
 */
import type { GameData } from "./Game"

export type ObjectState = "ishot" | "iscool" | "isclean"

export interface GoalSpec {
  /** Object type constant (lower case, e.g. `appletype`). */
  readonly objectType: string
  /** Receptacle type the object must end in (placement tasks). */
  readonly receptacleType?: string | undefined
  /** Lamp type that must be switched on at the agent's location while the object is held. */
  readonly lampType?: string | undefined
  readonly state?: ObjectState | undefined
  /** Distinct objects needed in one receptacle. */
  readonly count: number
}

const STATES: ReadonlyArray<ObjectState> = ["ishot", "iscool", "isclean"]

/** Reads the goal of a game; undefined when it has none of the known shapes. */
export const goalSpec = (data: GameData): GoalSpec | undefined => {
  if (data.goal.conjuncts.length !== 1) return undefined
  const lits = data.goal.conjuncts[0]!
  const typeOfVar = new Map<number, string>()
  const recTypeOfVar = new Map<number, string>()
  const preds = new Map<number, Set<string>>()
  const varArg = (i: number, l: (typeof lits)[number]) => {
    const t = l.args[i]
    return t !== undefined && "v" in t ? t.v : undefined
  }
  for (const l of lits) {
    if (l.eq || l.negated) continue
    const v = varArg(0, l)
    const c = l.args[1]
    if (v === undefined) continue
    if (l.pred === "objecttype" && c !== undefined && "c" in c) typeOfVar.set(v, c.c)
    else if (l.pred === "receptacletype" && c !== undefined && "c" in c) recTypeOfVar.set(v, c.c)
    else {
      const set = preds.get(v) ?? new Set()
      set.add(l.pred)
      preds.set(v, set)
    }
  }
  const held = [...typeOfVar.keys()].filter((v) =>
    lits.some((l) => !l.negated && l.pred === "holds" && varArg(1, l) === v)
  )
  const lamp = [...typeOfVar.keys()].find((v) => preds.get(v)?.has("istoggled"))
  if (held.length === 1 && lamp !== undefined) {
    return { objectType: typeOfVar.get(held[0]!)!, lampType: typeOfVar.get(lamp)!, count: 1 }
  }
  const placed = lits.filter((l) => !l.negated && l.pred === "inreceptacle")
  if (placed.length === 0) return undefined
  const objVars = [...new Set(placed.map((l) => varArg(0, l)))]
  const recVars = [...new Set(placed.map((l) => varArg(1, l)))]
  if (recVars.length !== 1 || objVars.some((v) => v === undefined || !typeOfVar.has(v))) return undefined
  const types = new Set(objVars.map((v) => typeOfVar.get(v!)!))
  const receptacleType = recTypeOfVar.get(recVars[0]!)
  if (types.size !== 1 || receptacleType === undefined) return undefined
  const state = STATES.find((s) => objVars.every((v) => preds.get(v!)?.has(s)))
  return { objectType: [...types][0]!, receptacleType, state, count: objVars.length }
}
