/**
 * Loading ALFWorld's files: the PDDL domain, the text grammar and the games
 * (one JSON line each, with the PDDL problem inside). Every game is parsed
 * and compiled at load time, so a malformed one is reported with its file,
 * line and name before anything runs.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import * as zlib from "node:zlib"
import { Effect, Result, Schema } from "effect"
import { DataFileError, describeSchemaError, Paths } from "@eto/core"
import { compileDomain, compileGame, type CompiledDomain, type GameData } from "./Game"
import { Grammar, parseGrammarFile } from "./Grammar"
import { parseDomain } from "./Pddl"

export const GameRecord = Schema.Struct({
  split: Schema.String,
  name: Schema.String,
  task: Schema.String,
  problem: Schema.String,
  cleanWithoutSink: Schema.optionalKey(Schema.Boolean)
})
export type GameRecord = typeof GameRecord.Type

export interface LoadedGame {
  readonly split: string
  readonly name: string
  /** `<split>/<name>`, the task id. */
  readonly id: string
  readonly task: string
  readonly cleanWithoutSink: boolean
  readonly data: GameData
}

export interface AlfworldData {
  readonly domain: CompiledDomain
  readonly grammarText: string
  readonly games: ReadonlyArray<LoadedGame>
  /** The grammar with a game's task sentence in place of `{TASK}`. */
  grammarFor(task: string): Grammar
}

export interface DataFiles {
  readonly domain: string
  readonly grammar: string
  readonly games: string
}

export const dataFiles = (dataDir: string = Paths.dataDir()): DataFiles => {
  const dir = path.join(dataDir, "alfworld")
  return {
    domain: path.join(dir, "alfred.pddl"),
    grammar: path.join(dir, "alfred.twl2"),
    games: path.join(dir, "games.jsonl.gz")
  }
}

const readFile = (file: string): Effect.Effect<Buffer, DataFileError> =>
  Effect.try({
    try: () => fs.readFileSync(file),
    catch: (e) =>
      new DataFileError({
        path: file,
        reason: (e as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : `cannot read: ${String(e)}`,
        hint: Paths.DATA_HINT
      })
  })

/** Characters that would change the meaning of the grammar if a task sentence held them. */
const GRAMMAR_SPECIAL = /["\\{}[\]#<>|;\n\r\t]/

/** Which games to load, by id (all when absent). */
export type GameFilter = ReadonlySet<string> | ((id: string) => boolean)

const LINE_HEAD = /^\{\s*"split"\s*:\s*"([^"\\]*)"\s*,\s*"name"\s*:\s*"([^"\\]*)"/

/** Parses the games text (JSON lines). `file` is used in error messages. */
export const parseGames = (
  domain: CompiledDomain,
  text: string,
  file: string,
  only?: GameFilter
): Effect.Effect<Array<LoadedGame>, DataFileError> =>
  Effect.suspend(() => {
    const keep = only === undefined ? undefined : typeof only === "function" ? only : (id: string) => only.has(id)
    const decode = Schema.decodeUnknownResult(GameRecord)
    const out: Array<LoadedGame> = []
    const ids = new Set<string>()
    let start = 0
    let line = 0
    while (start < text.length) {
      let end = text.indexOf("\n", start)
      if (end < 0) end = text.length
      line++
      const raw = text.slice(start, end).trim()
      start = end + 1
      if (raw === "") continue
      if (only !== undefined) {
        // cheap pre-selection on the leading fields, so unselected games are not parsed at all
        const head = LINE_HEAD.exec(raw)
        if (head !== null && !keep!(`${head[1]}/${head[2]}`)) continue
      }
      const fail = (reason: string) => Effect.fail(new DataFileError({ path: file, line, reason }))
      let json: unknown
      try {
        json = JSON.parse(raw)
      } catch (e) {
        return fail(`invalid JSON: ${(e as Error).message}`)
      }
      const decoded = decode(json)
      if (Result.isFailure(decoded)) return fail(`bad game record: ${describeSchemaError(decoded.failure)}`)
      const rec = decoded.success
      const id = `${rec.split}/${rec.name}`
      if (ids.has(id)) return fail(`game ${id}: duplicate game`)
      ids.add(id)
      if (keep !== undefined && !keep(id)) continue
      if (GRAMMAR_SPECIAL.test(rec.task)) return fail(`game ${id}: the task sentence holds a character that is special to the grammar`)
      let data: GameData
      try {
        data = compileGame(domain, rec.problem)
      } catch (e) {
        return fail(`game ${id}: bad PDDL problem: ${(e as Error).message}`)
      }
      out.push({ split: rec.split, name: rec.name, id, task: rec.task, cleanWithoutSink: rec.cleanWithoutSink === true, data })
    }
    return Effect.succeed(out)
  })

/** Parses the domain and grammar texts. */
export const parseDomainAndGrammar = (
  domainText: string,
  grammarText: string,
  files: Pick<DataFiles, "domain" | "grammar">
): Effect.Effect<CompiledDomain, DataFileError> =>
  Effect.suspend(() => {
    let grammar
    try {
      grammar = parseGrammarFile(grammarText.replaceAll("{TASK}", "Your task is to: check the grammar."))
    } catch (e) {
      return Effect.fail(new DataFileError({ path: files.grammar, reason: `bad grammar: ${(e as Error).message}` }))
    }
    try {
      return Effect.succeed(compileDomain(parseDomain(domainText), grammar))
    } catch (e) {
      return Effect.fail(new DataFileError({ path: files.domain, reason: `bad PDDL domain: ${(e as Error).message}` }))
    }
  })

export const makeData = (domain: CompiledDomain, grammarText: string, games: ReadonlyArray<LoadedGame>): AlfworldData => {
  const grammars = new Map<string, Grammar>()
  return {
    domain,
    grammarText,
    games,
    grammarFor: (task) => {
      let g = grammars.get(task)
      if (g === undefined) {
        g = new Grammar(parseGrammarFile(grammarText.replaceAll("{TASK}", task)))
        grammars.set(task, g)
      }
      return g
    }
  }
}

/** Loads and compiles the games under `<dataDir>/alfworld` (all, or the ids in `only`). */
export const loadData = (dataDir?: string, only?: GameFilter): Effect.Effect<AlfworldData, DataFileError> =>
  Effect.gen(function*() {
    const files = dataFiles(dataDir)
    const domainText = (yield* readFile(files.domain)).toString("utf8")
    const grammarText = (yield* readFile(files.grammar)).toString("utf8")
    const domain = yield* parseDomainAndGrammar(domainText, grammarText, files)
    const gz = yield* readFile(files.games)
    const text = yield* Effect.try({
      try: () => zlib.gunzipSync(gz).toString("utf8"),
      catch: (e) => new DataFileError({ path: files.games, reason: `not a gzip file: ${String(e)}` })
    })
    const games = yield* parseGames(domain, text, files.games, only)
    return makeData(domain, grammarText, games)
  })
