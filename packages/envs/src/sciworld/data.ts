/**
 * The per-variation records of the original simulator (layouts, hidden
 * parameters, subgoals, start room, splits), read from
 * `sciworld/variations.jsonl.gz` under the data directory.
 */
import * as path from "node:path"
import { Effect, Schema } from "effect"
import { type DataFileError, Jsonl, Paths } from "@eto/core"

export const Variation = Schema.Struct({
  id: Schema.String,
  task: Schema.String,
  eto_task_name: Schema.NullOr(Schema.String),
  variation: Schema.Number,
  split: Schema.Literals(["train", "dev", "test"]),
  eto_split: Schema.Array(Schema.Literals(["train", "dev", "test"])),
  description: Schema.String,
  params: Schema.Record(Schema.String, Schema.Unknown),
  task_objects: Schema.Array(Schema.String),
  sequential_goals: Schema.Array(Schema.String),
  n_unordered_goals: Schema.Number,
  start_room: Schema.String,
  rooms: Schema.Record(Schema.String, Schema.String)
})
export type Variation = typeof Variation.Type

export const VARIATIONS_FILE = path.join("sciworld", "variations.jsonl.gz")

/** Reads and decodes every variation; errors name the file and line. */
export const loadVariations = (dataDir: string = Paths.dataDir()): Effect.Effect<ReadonlyArray<Variation>, DataFileError> =>
  Effect.suspend(() => Jsonl.readJsonl(Variation, path.join(dataDir, VARIATIONS_FILE), Paths.DATA_HINT))

/** A node of a room layout string: `name{attrs}[children]`. */
export interface LayoutNode {
  readonly name: string
  readonly attrs: ReadonlyArray<string>
  readonly children: ReadonlyArray<LayoutNode>
}

/** Parses one room's layout string (siblings separated by `; `). */
export const parseLayout = (text: string): Array<LayoutNode> => {
  let i = 0
  const list = (): Array<LayoutNode> => {
    const out: Array<LayoutNode> = []
    for (;;) {
      while (text[i] === " ") i++
      if (i >= text.length || text[i] === "]") return out
      let name = ""
      while (i < text.length && !"{[;]".includes(text[i]!)) name += text[i++]
      let attrs: Array<string> = []
      if (text[i] === "{") {
        const end = text.indexOf("}", i)
        attrs = text.slice(i + 1, end).split(",").map((s) => s.trim()).filter((s) => s !== "")
        i = end + 1
      }
      let children: Array<LayoutNode> = []
      if (text[i] === "[") {
        i++
        children = list()
        if (text[i] !== "]") throw new Error(`unbalanced layout near offset ${i}`)
        i++
      }
      out.push({ name: name.trim(), attrs, children })
      if (text[i] === ";") i++
    }
  }
  const nodes = list()
  if (i < text.length) throw new Error(`unexpected '${text[i]}' at offset ${i}`)
  return nodes
}
