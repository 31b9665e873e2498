/**
 * A view of ScienceWorld episodes for a small model trained from scratch,
 * made only of the episode's own text (no hidden simulator state):
 *
 * - `structuredObservation(observation, budget)`: an observation in fewer
 *   characters, keeping the names the next actions use. A look-around
 *   becomes one line per room,
 *
 *     Room: kitchen. Here: chair (empty); counter: bowl (red apple, banana), drawer; stove (off) (empty); thermometer (10 degrees). Doors to: hallway, outside.
 *
 *   (the agent and the air left out, articles, "a substance called",
 *   "containing", "which is turned" and door sentences dropped, runs of
 *   identical objects counted); an inventory listing becomes
 *   "Inventory: ..."; an ambiguity prompt keeps its numbered options with a
 *   short header. Every other observation is unchanged. The result is then
 *   cut to the budget, as the plain view cuts.
 * - `stateNotes(initialObservation, turns)`: after every observation, a line
 *   restating what the text has said so far,
 *
 *     At: kitchen. Holding: metal pot. Focused: water.
 *
 *   (a part with nothing to say left out) where the agent is (the last "You teleport to the X." / "You move to the
 *   X." or look-around header; "?" before any), what it has picked up and not
 *   moved elsewhere since (an inventory listing replaces it), and what it has
 *   focused on, in order. The note after turn i reads turns 0..i only, so a
 *   training episode and a prompt with the same history see the same notes.
 */

/** Where the notes put the agent before the text has said where it is. */
export const UNKNOWN_PLACE = "?"

const ROOM_HEADER = /^This (?:room|outside location) is called the (.+?)\. (?:In it|Here), you see: ?$/
const INVENTORY_HEADER = /^In your inventory, you see:\s*$/
const AMBIGUOUS_HEADER = /^Ambiguous request: Please enter the number for the action you intended \(or blank to cancel\):$/
const DOOR_LINE = /^A door to the (.+) \(that is (open|closed)\)$/

/** One listed object in few characters ("a counter. On the counter is: a bowl (containing a banana)." gives "counter: bowl (banana)"). */
export const compactItem = (line: string): string =>
  line
    .trim()
    .replace(/\.\s+The [^.]+? door is closed\.?/g, " (closed)")
    .replace(/\.\s+The [^.]+? door is open\.\s+(?:In|On) the [^:]+? is: /g, ": ")
    .replace(/\.?\s+(?:In|On) the [^:]+? (?:is|you see): /g, ": ")
    .replace(/, which is turned (on|off)/g, " ($1)")
    .replace(/, which is (on|off|flushing|open|closed)\b/g, " ($1)")
    .replace(/, which is activated/g, " (on)")
    .replace(/, which is deactivated/g, " (off)")
    .replace(/, currently reading a temperature of (-?\d+) degrees celsius/g, " ($1 degrees)")
    .replace(/ in the (\w+) stage\b/g, " ($1)")
    .replace(/\(containing nothing\)/g, "(empty)")
    .replace(/\(containing /g, "(")
    .replace(/: nothing\b\.?/g, " (empty)")
    .replace(/(^|\(|, |: )(?:a substance called |an |a |the |A )/g, "$1")
    .replace(/[.\s]+$/, "")
    .replace(/\) \(/g, ", ")

/** Listed objects, the agent and the air left out, a run of identical ones as "name x3". */
const compactItems = (lines: ReadonlyArray<string>): Array<string> => {
  const items = lines.map(compactItem).filter((s) => s !== "" && s !== "agent" && s !== "air" && s !== "nothing")
  const out: Array<string> = []
  for (let i = 0; i < items.length;) {
    let j = i
    while (j < items.length && items[j] === items[i]) j++
    out.push(j - i > 1 ? `${items[i]} x${j - i}` : items[i]!)
    i = j
  }
  return out
}

const tabbed = (lines: ReadonlyArray<string>): Array<string> => lines.filter((l) => l.startsWith("\t")).map((l) => l.slice(1))

/** A look-around in one line: the room, its objects, its doors. */
const compactRoom = (room: string, lines: ReadonlyArray<string>): string => {
  const also = lines.findIndex((l) => l.trim() === "You also see:")
  const objects = tabbed(also < 0 ? lines : lines.slice(0, also))
  const doors = tabbed(also < 0 ? [] : lines.slice(also + 1)).flatMap((l) => {
    const d = DOOR_LINE.exec(l.trim())
    return d === null ? [] : [d[2] === "closed" ? `${d[1]} (closed)` : d[1]!]
  })
  const here = compactItems(objects)
  return `Room: ${room}. Here: ${here.length === 0 ? "nothing" : here.join("; ")}.${doors.length === 0 ? "" : ` Doors to: ${doors.join(", ")}.`}`
}

/** The observation in few characters, keeping the names actions use (see the module comment); undefined when it has no known structure. */
const restructure = (observation: string): string | undefined => {
  const lines = observation.split("\n")
  const head = lines[0]!.trim()
  const room = ROOM_HEADER.exec(lines[0]!)
  if (room !== null) return compactRoom(room[1]!, lines.slice(1))
  if (INVENTORY_HEADER.test(lines[0]!)) {
    const items = compactItems(tabbed(lines.slice(1)))
    return `Inventory: ${items.length === 0 ? "nothing" : items.join("; ")}.`
  }
  if (AMBIGUOUS_HEADER.test(head)) {
    const options = lines.slice(1).filter((l) => l.trim() !== "").map((l) => l.replace(/:\t/, ": ").replace(/, in agent\b/g, ""))
    return ["Ambiguous request, answer with a number:", ...options].join("\n")
  }
  return undefined
}

/** The structure-aware view of an observation, cut to `budgetChars` characters. */
export const structuredObservation = (observation: string, budgetChars: number): string => {
  const text = restructure(observation) ?? observation
  return text.length <= budgetChars ? text : text.slice(0, budgetChars)
}

const TELEPORT = /^You teleport to the (.+)\.$/
const WALK = /^You move (?:through the door )?to the (.+)\.$/
const MOVED = /^(?:\(disconnecting [^)]*\)\s*)*You move the (.+?) to the (.+)\.$/
const FOCUS = /^You focus on the (.+)\.$/

/** What a listed object is called in commands ("metal pot (water)" and "table: cup" give "metal pot" and "table"). */
const nameOf = (line: string): string => compactItem(line).replace(/ \(.*$/, "").replace(/:.*$/, "")

/** One note line. */
export const noteLine = (place: string, holding: ReadonlyArray<string>, focused: ReadonlyArray<string>): string =>
  `At: ${place}.${holding.length === 0 ? "" : ` Holding: ${holding.join(", ")}.`}${focused.length === 0 ? "" : ` Focused: ${focused.join(", ")}.`}`

/** The note after each turn's observation: entry i describes the episode after turn i (see the module comment). */
export const stateNotes = (
  _initialObservation: string,
  turns: ReadonlyArray<{ readonly action: string; readonly observation: string }>
): Array<string> => {
  let place = UNKNOWN_PLACE
  let holding: Array<string> = []
  const focused: Array<string> = []
  return turns.map((t) => {
    const observation = t.observation.trim()
    const first = observation.split("\n")[0]!
    const at = TELEPORT.exec(observation) ?? WALK.exec(observation) ?? ROOM_HEADER.exec(first)
    if (at !== null) place = at[1]!
    const moved = MOVED.exec(observation)
    if (moved !== null) {
      holding = holding.filter((h) => h !== moved[1])
      if (moved[2] === "inventory") holding.push(moved[1]!)
    }
    if (INVENTORY_HEADER.test(first)) holding = tabbed(observation.split("\n").slice(1)).map(nameOf).filter((s) => s !== "nothing")
    const focus = FOCUS.exec(observation)
    if (focus !== null) focused.push(focus[1]!)
    return noteLine(place, holding, focused)
  })
}
