/**
 * Action files for `eto replay`. Two formats, told apart by the first
 * non-empty line:
 * - plain text: one bare action per line (`search[red shoes]`, `click[buy now]`);
 * - JSON Lines of raw agent outputs: `{"output": "Thought: ...\nAction: ..."}`,
 *   decoded through `AgentOutput`; a reply without "Action: " is replayed as
 *   a format error, exactly as in the episode loop.
 * Blank lines are skipped in both.
 */
import { Effect, Schema } from "effect"
import { DataFileError, Jsonl } from "@eto/core"

export const AgentOutput = Schema.Struct({ output: Schema.String })
export type AgentOutput = typeof AgentOutput.Type

export type ReplayEntry =
  | { readonly _tag: "Action"; readonly action: string }
  | { readonly _tag: "Output"; readonly output: string }

const HINT = "one bare action per line, or JSON lines {\"output\": \"Thought: ...\\nAction: ...\"}"

/** Decodes the text of an actions file. */
export const decodeActions = (text: string, file: string): Effect.Effect<ReadonlyArray<ReplayEntry>, DataFileError> =>
  Effect.suspend(() => {
    // A carriage return alone ends a line too, so no action carries one.
    const lines = text.split(/\r\n|\r|\n/)
    const first = lines.findIndex((l) => l.trim() !== "")
    if (first < 0) return Effect.fail(new DataFileError({ path: file, reason: "no actions in file", hint: HINT }))
    if (lines[first]!.trim().startsWith("{")) {
      return Effect.map(
        Jsonl.decodeJsonl(AgentOutput, text, file, HINT),
        (records) => records.map((r): ReplayEntry => ({ _tag: "Output", output: r.output }))
      )
    }
    const out: Array<ReplayEntry> = []
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.trim()
      if (line === "") continue
      const fail = (reason: string) => Effect.fail(new DataFileError({ path: file, line: i + 1, reason, hint: HINT }))
      if (line.startsWith("{")) {
        return fail(`a JSON record in a plain-text actions file (line ${first + 1} is a bare action)`)
      }
      if (/^(Thought|Action):/.test(line)) {
        return fail("a 'Thought:'/'Action:' line in a plain-text actions file; write agent replies as JSON lines")
      }
      out.push({ _tag: "Action", action: line })
    }
    return Effect.succeed(out)
  })

export const readActionsFile = (file: string): Effect.Effect<ReadonlyArray<ReplayEntry>, DataFileError> =>
  Effect.flatMap(Jsonl.readText(file, HINT), (text) => decodeActions(text, file))
