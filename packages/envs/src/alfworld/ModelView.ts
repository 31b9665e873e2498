/**
 * Notes for a small model on an ALFWorld episode: after every observation, a
 * line that restates what the episode's own text has said so far, so that a
 * model trained from scratch need not find it far back in its context:
 *
 *   Task: put a clean mug in coffeemachine. At: countertop 2. Holding: mug 1. Not visited: cabinet 2, sinkbasin 1.
 *
 * - the task, as the first observation states it ("Your task is to: ...");
 * - where the agent stands: the receptacle of its last "go to" that was
 *   carried out (before any, "the middle of the room", where the first
 *   observation puts it);
 * - what it holds: the object of the last "You pick up the ..." not followed
 *   by "You put the ..." ("nothing" before any);
 * - the receptacles the first observation lists that it has not gone to yet,
 *   in that list's order, so that a search can go on without revisiting.
 *
 * A command was carried out when its answer is neither "Nothing happens."
 * nor the harness's format error. The note after turn i reads turns 0..i
 * only, so a training episode and a prompt with the same history see the
 * same notes. Nothing here knows the game's hidden state: the notes are a
 * function of the text the agent has been shown and the commands it typed;
 * the environment, its text and its rules are unchanged.
 */
import { FORMAT_ERROR_OBSERVATION } from "@eto/core"
import { NOTHING_HAPPENS } from "./Game"

/** Where the first observation puts the agent. */
export const START_PLACE = "the middle of the room"

const TASK_LINE = /^Your task is to: (.+)$/m
const ROOM_LINE = /you see (.+)\.$/m
const PICK_UP = /^You pick up the (.+?) from the .+\.$/
const PUT = /^You put the .+? in\/on the .+\.$/
const GO_TO = /^go to (.+)$/

/** The task as the first observation states it (empty when it states none). */
export const taskOf = (initialObservation: string): string => TASK_LINE.exec(initialObservation)?.[1]?.trim() ?? ""

/** The receptacles the first observation lists, in its order ("a bed 2, a bed 1, and a desk 1." gives bed 2, bed 1, desk 1). */
export const receptaclesOf = (initialObservation: string): Array<string> => {
  const list = ROOM_LINE.exec(initialObservation.split("\n")[0] ?? "")?.[1]
  if (list === undefined) return []
  return list.split(/, (?:and )?| and /).map((r) => r.replace(/^an? /, "").trim()).filter((r) => r !== "")
}

/** Whether the environment carried out the command it answered with `observation`. */
const carriedOut = (observation: string): boolean => observation !== NOTHING_HAPPENS && observation !== FORMAT_ERROR_OBSERVATION

/** One note line. */
export const noteLine = (task: string, place: string, holding: string, unvisited: ReadonlyArray<string>): string =>
  `Task: ${task} At: ${place}. Holding: ${holding}. Not visited: ${unvisited.length === 0 ? "none" : unvisited.join(", ")}.`

/**
 * The note after each turn's observation: entry i describes the episode after
 * turn i (see the module comment).
 */
export const stateNotes = (
  initialObservation: string,
  turns: ReadonlyArray<{ readonly action: string; readonly observation: string }>
): Array<string> => {
  const task = taskOf(initialObservation)
  const unvisited = receptaclesOf(initialObservation)
  let place = START_PLACE
  let holding = "nothing"
  return turns.map((t) => {
    const observation = t.observation.trim()
    if (carriedOut(observation)) {
      const go = GO_TO.exec(t.action.trim())
      if (go !== null) {
        place = go[1]!
        const at = unvisited.indexOf(place)
        if (at >= 0) unvisited.splice(at, 1)
      }
      const pick = PICK_UP.exec(observation)
      if (pick !== null) holding = pick[1]!
      else if (PUT.test(observation)) holding = "nothing"
    }
    return noteLine(task, place, holding, unvisited)
  })
}
