/**
 * The names the parser accepts for each object, class by class as in the
 * original (`getReferents`), and the "R in C" / "R on C" forms built from the
 * referents of the object's container (terminals are inside their part).
 */
import { BOOK_AUTHORS } from "./catalog"
import type { Obj } from "./world"

/** Lower-cases, drops the stop words a/an/the and joins with single spaces. */
export const normalize = (input: string): string =>
  input.toLowerCase().split(/\s+/).filter((w) => w !== "" && w !== "a" && w !== "an" && w !== "the").join(" ")

/** Referents with the container's contents ("cup containing water"), for cups, pots, jars and shelves. */
const withContents = (o: Obj, refs: ReadonlyArray<string>): Array<string> => {
  const vis = o.visible()
  const suffix = vis.length === 0 ? " containing nothing" : ` containing ${vis.map((c) => c.descName()).sort().join(" and ")}`
  return refs.flatMap((r) => [r, r + suffix])
}

/** Fruit trees and peas: the name, the plant name and their stage forms (sick forms while unwell). */
const plantRefs = (o: Obj): Array<string> => {
  const stage = o.stage
  const plantName = o.plantName()
  const d = o.descName()
  const out = [
    "living thing",
    "organism",
    o.name,
    ...(o.species === "pea" ? [o.species] : []),
    `${o.name} in the ${stage} stage`,
    `${stage} plant`,
    plantName,
    `${plantName} in the ${stage} stage`,
    `${stage} ${plantName}`,
    d,
    `${d} in the ${stage} stage`
  ]
  return o.unwell() ? [...out, ...out.map((r) => `sick ${r}`)] : out
}

/** The class referents of one object (before container forms), as written in the original. */
export const ownReferents = (o: Obj, agentRoom: Obj): Array<string> => {
  const d = o.descName()
  switch (o.kind) {
    case "door": {
      const other = o.doorRooms![0] === agentRoom ? o.doorRooms![1] : o.doorRooms![0]
      return ["door", `door to ${other.name}`, `${other.name} door`]
    }
    case "drain":
      return o.parent ? ["drain", `${o.parent.name} drain`] : ["drain"]
    case "agent":
      return ["agent", "self"]
    case "inventory":
      return ["inventory", o.name]
    case "universe":
      return ["universe", d]
    case "room":
      return [o.name === "outside" ? "outside" : "room", o.name, d]
    case "terminal": {
      const part = o.terminalOf!.name
      return ["terminal", o.name, `${o.name} on ${part}`, `${part} ${o.name}`, d, `${d} on ${part}`]
    }
    case "animal":
      if (o.cycle === "bee") return ["living thing", "organism", o.name, o.species, d]
      return ["living thing", "organism", o.name, d, `${o.stage} ${o.name}`, `${o.stage} ${d}`]
    case "plant":
      return plantRefs(o)
    case "flower":
      return o.pollinationStep > 0
        ? ["flower", o.name, "wilting flower", `wilting ${o.name}`, d, `wilting ${d}`]
        : ["flower", o.name, d]
    case "pollen":
      return ["pollen", o.name, `${o.plantOf!.species} pollen`, d]
    case "book": {
      const author = BOOK_AUTHORS[o.title] ?? ""
      return ["book", o.title, `book by ${author}`, `${o.title} book`, o.name, d, `${d} by ${author}`, `${d} called ${o.title}`]
    }
    case "recipe":
      return [o.name, o.title, `${o.name} called ${o.title}`, d, `${d} called ${o.title}`]
    default: {
      const refs = [...o.nouns, o.name, d]
      return o.contentRefs ? withContents(o, refs) : refs
    }
  }
}

/** Everything an object can be called from the agent's room: own referents and their container forms. */
export const referentsOf = (o: Obj, own: (x: Obj) => ReadonlyArray<string>): Array<string> => {
  const out = new Set<string>()
  const container = o.kind === "terminal" ? o.terminalOf : o.kind === "door" || o.kind === "drain" ? undefined : o.parent
  const outer = container ? own(container) : []
  for (const r of own(o)) {
    if (r.trim() === "") continue
    const lower = r.toLowerCase()
    out.add(lower)
    for (const c of outer) {
      out.add(`${lower} in ${c.toLowerCase()}`)
      out.add(`${lower} on ${c.toLowerCase()}`)
    }
  }
  const result: Array<string> = []
  for (const r of out) {
    if (r.length <= 1) continue
    const n = normalize(r)
    if (n !== "") result.push(n)
  }
  return result
}
