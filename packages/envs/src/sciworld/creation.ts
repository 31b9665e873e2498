/**
 * The original's creation order, which its uuids follow and which orders
 * heat exchange between touching objects and the listing of same-named
 * objects. A load first builds every task's possible objects, then the house
 * room by room (kitchen, living room, bedroom, bathroom, workshop, greenhouse,
 * art studio, hallway, outside, foundry, then the shovel), then the agent with
 * its inventory and orange. The recorded layouts list objects by name, so the
 * order is rebuilt here: per room, the house objects in the order the house
 * builder adds them, the rest (task objects) ahead of the whole house in the
 * order of the variation's task object list; contents follow their container,
 * drawers first where a constructor adds one.
 */
import { type Obj, reserveUuids, type World } from "./world"

const ROOM_ORDER = ["kitchen", "living room", "bedroom", "bathroom", "workshop", "greenhouse", "art studio", "hallway", "outside", "foundry"]

/** What the house builder adds to each room, in order (the shovel goes last, into the greenhouse or outside). */
const HOUSE: Readonly<Record<string, ReadonlyArray<string>>> = {
  kitchen: ["sink", "stove", "fridge", "freezer", "oven", "cupboard", "counter", "thermometer", "picture", "table", "chair", "lighter", "glass jar", "soap", "stopwatch"],
  "living room": ["couch", "chair", "table", "picture", "book shelf"],
  bedroom: ["bed", "table", "closet", "picture", "book shelf"],
  bathroom: ["sink", "toilet", "bathtub", "glass cup", "picture"],
  workshop: ["table", "ultra low temperature freezer"],
  greenhouse: ["jug", "bee hive", "sink"],
  "art studio": ["table", "wood cup", "wood cup", "wood cup", "large cupboard"],
  hallway: ["picture"],
  outside: ["ground", "fire pit", "wood", "axe", "fountain"],
  foundry: ["blast furnace", "sink", "table"]
}

/** Children a constructor or the builder adds in a fixed order (anything else follows in layout order). */
const CONTENTS: Readonly<Record<string, ReadonlyArray<string>>> = {
  cupboard: ["drawer", "metal pot", "tin cup", "ceramic cup"],
  "large cupboard": ["drawer"],
  "paint cupboard": ["drawer"],
  counter: ["drawer", "bowl"],
  desk: ["drawer"],
  bowl: ["apple", "banana", "orange", "potato"]
}

/** Layout names standing for one builder slot (random pictures, the living room's random table). */
const slotOf = (name: string): string =>
  name === "drawing" || name === "painting" || name === "finger painting" ? "picture" : name === "desk" ? "table" : name

/** Orders `items` by the position of their slot in `template` (first come, first served), unmatched ones after. */
const byTemplate = (items: ReadonlyArray<Obj>, template: ReadonlyArray<string>): { matched: Array<Obj>; rest: Array<Obj> } => {
  const taken = new Set<Obj>()
  const matched: Array<Obj> = []
  for (const slot of template) {
    const hit = items.find((o) => !taken.has(o) && slotOf(o.layoutName) === slot)
    if (hit) {
      taken.add(hit)
      matched.push(hit)
    }
  }
  return { matched, rest: items.filter((o) => !taken.has(o)) }
}

/** A container followed by its contents, recursively. */
const withContents = (o: Obj, out: Array<Obj>): void => {
  out.push(o)
  const { matched, rest } = byTemplate(o.children, CONTENTS[o.layoutName] ?? [])
  for (const c of [...matched, ...rest]) withContents(c, out)
}

/** The task object list's names, in order ("metal pot [tin] @workshop/table" -> "metal pot"). */
const taskObjectNames = (taskObjects: ReadonlyArray<string>): Array<string> =>
  taskObjects
    .filter((t) => !t.startsWith("DISABLE"))
    .map((t) => t.replace(/\s*@.*$/, "").replace(/\s*\[.*$/, "").replace(/[({].*$/, "").replace(/\(existing\)/, "").trim())

/** Gives every built object a uuid in the original's creation order and re-sorts all contents by it. */
export const applyCreationOrder = (world: World, taskObjects: ReadonlyArray<string>): void => {
  const tasks: Array<Obj> = []
  const house: Array<Obj> = []
  const late: Array<Obj> = []
  let shovel: Obj | undefined
  for (const roomName of ROOM_ORDER) {
    const room = world.room(roomName)
    const top = room.children.filter((o) => o.kind !== "agent" && o.layoutName !== "")
    const { matched, rest } = byTemplate(top, HOUSE[roomName] ?? [])
    house.push(room, ...room.children.filter((o) => o.layoutName === "" && o.kind !== "agent"))
    for (const o of matched) withContents(o, house)
    for (const o of rest) {
      if (o.layoutName === "shovel" && shovel === undefined) shovel = o
      else tasks.push(o)
    }
  }
  if (shovel) withContents(shovel, late)
  withContents(world.agent, late)
  const names = taskObjectNames(taskObjects)
  const rank = (o: Obj) => {
    const i = names.indexOf(o.layoutName)
    return i < 0 ? names.length : i
  }
  const taskOrder: Array<Obj> = []
  for (const o of tasks.slice().sort((a, b) => rank(a) - rank(b))) withContents(o, taskOrder)
  const order = [...taskOrder, ...house, ...late]
  const first = reserveUuids(order.length)
  order.forEach((o, i) => {
    o.uuid = first + i
  })
  const resort = (o: Obj) => {
    o.children.sort((a, b) => a.uuid - b.uuid)
    for (const c of o.children) resort(c)
  }
  resort(world.universe)
}
