/**
 * The readers: PDDL lexing and compilation, entity naming, the grammar
 * file and right-hand sides, and clear errors for malformed data.
 */
import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as zlib from "node:zlib"
import { Effect, Exit } from "effect"
import { Paths } from "@eto/core"
import { dataFiles, loadData, parseDomainAndGrammar, parseGames } from "./Data"
import { displayNames } from "./Game"
import { parseGrammarFile, parseQuery, parseRhs } from "./Grammar"
import { parseDomain, parseFormula, readSExprs, typedList } from "./Pddl"

const files = dataFiles()
const domainText = fs.readFileSync(files.domain, "utf8")
const grammarText = fs.readFileSync(files.grammar, "utf8")
const domain = Effect.runSync(parseDomainAndGrammar(domainText, grammarText, files))

const TWO = "valid_unseen/pick_two_obj_and_place-CD-None-Safe-308/trial_T20190907_050942_897916"

/** The JSON line of one game of the data set. */
const gameLine = (id: string): string => {
  const text = zlib.gunzipSync(fs.readFileSync(files.games)).toString("utf8")
  const [split, ...name] = id.split("/")
  const needle = `"split": "${split}", "name": "${name.join("/")}"`
  return text.split("\n").find((l) => l.includes(needle))!
}
const twoLine = gameLine(TWO)

const errorOf = <A, E>(eff: Effect.Effect<A, E>): E => {
  const exit = Effect.runSyncExit(eff)
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  const err = exit.cause.reasons.find((r) => r._tag === "Fail")
  if (err === undefined || err._tag !== "Fail") throw new Error(`expected a typed failure, got ${String(exit.cause)}`)
  return err.error
}

describe("alfworld PDDL reading", () => {
  it("lower-cases, drops comments, keeps commas glued and splits '?'", () => {
    expect(readSExprs("(Foo ?A - Location, ?r - x) ; Comment (ignored\n(bar?x)")).toEqual([
      ["foo", "?a", "-", "location,", "?r", "-", "x"],
      ["bar", "?x"]
    ])
    expect(() => readSExprs("(a (b)")).toThrow(/not closed/)
    expect(() => readSExprs("(a))")).toThrow(/unbalanced/)
  })

  it("typed lists default to object", () => {
    expect(typedList(["a", "b", "-", "t", "c"])).toEqual([
      { name: "a", type: "t" },
      { name: "b", type: "t" },
      { name: "c", type: "object" }
    ])
  })

  it("reads the domain: 14 actions, cost effects dropped, conditional effects kept", () => {
    const d = parseDomain(domainText)
    expect(d.actions.map((a) => a.name)).toEqual([
      "look", "inventory", "examinereceptacle", "examineobject", "gotolocation", "openobject", "closeobject",
      "pickupobject", "putobject", "cleanobject", "heatobject", "coolobject", "toggleobject", "sliceobject"
    ])
    const toggle = d.actions.find((a) => a.name === "toggleobject")!
    expect(toggle.effects.filter((e) => e.kind === "when")).toHaveLength(2)
    expect(toggle.effects.filter((e) => e.kind === "lit")).toHaveLength(1)
    // the comma makes examineObject's first branch need a type no constant has
    const examine = d.actions.find((a) => a.name === "examineobject")!
    expect(JSON.stringify(examine.precondition)).toContain('"type":"location,"')
    // only the predicates changed by some action are fluent
    expect(domain.predicates.filter((_, i) => domain.fluent[i]).sort()).toEqual(
      ["atlocation", "checked", "holds", "holdsany", "isclean", "iscool", "ishot", "ison", "issliced", "istoggled", "objectatlocation", "opened", "inreceptacle"].sort()
    )
  })

  it("rejects unsupported formulas", () => {
    expect(() => parseFormula(readSExprs("(forall (?x) (p ?x))")[0]!)).toThrow(/not supported/)
  })
})

describe("alfworld entity naming", () => {
  it("numbers each base name from the last sorted id up, with the basin rule", () => {
    const ids = [
      "agent1",
      "bathtub_bar__minus_01_bar_00",
      "bathtub_bar__minus_01_bar_00_bar_bathtubbasin",
      "cd_bar__minus_00_dot_47_bar__plus_00_dot_36",
      "cd_bar__minus_00_dot_48_bar__plus_00_dot_86",
      "cd_bar__minus_00_dot_74_bar__plus_00_dot_86",
      "desktype",
      "loc_bar_0_bar_9_bar_0_bar_60",
      "loc_bar_0_bar__minus_3_bar_1_bar_60",
      "saltshaker_bar_unused"
    ]
    expect(displayNames(ids, (i) => i !== 9)).toEqual([
      "agent1 ", "bathtub 1", "bathtubbasin 1", "cd 3", "cd 2", "cd 1", "desktype ", "loc 2", "loc 1", "saltshaker_bar_unused "
    ])
  })

  it("matches the naming table of the two-cd game", () => {
    const [game] = Effect.runSync(parseGames(domain, twoLine, "games.jsonl"))
    const name = (id: string) => game!.data.names[game!.data.consts.indexOf(id)]
    expect(name("cd_bar__minus_00_dot_47_bar__plus_00_dot_36_bar__minus_00_dot_77")).toBe("cd 3")
    expect(name("cd_bar__minus_00_dot_48_bar__plus_00_dot_86_bar__minus_01_dot_70")).toBe("cd 2")
    expect(name("cd_bar__minus_00_dot_74_bar__plus_00_dot_86_bar__minus_00_dot_66")).toBe("cd 1")
    expect(name("desk_bar__minus_00_dot_57_bar__plus_00_dot_00_bar__minus_01_dot_35")).toBe("desk 2")
    expect(name("desk_bar__minus_01_dot_58_bar__plus_00_dot_02_bar__plus_00_dot_67")).toBe("desk 1")
    expect(name("loc_bar_0_bar_9_bar_0_bar_60")).toBe("loc 27")
    expect(name("loc_bar_1_bar__minus_5_bar_3_bar_60")).toBe("loc 23")
    expect(name("loc_bar__minus_4_bar_8_bar_3_bar_60")).toBe("loc 7")
    expect(name("loc_bar__minus_8_bar_5_bar_2_bar_60")).toBe("loc 1")
  })
})

describe("alfworld grammar", () => {
  it("reads rules from the global block and from action blocks, with templates and feedback", () => {
    const g = parseGrammarFile(grammarText.replaceAll("{TASK}", "Your task is to: test."))
    expect(g.rules.get("task")).toEqual([{ rhs: "Your task is to: test.", condition: undefined }])
    expect(g.rules.get("list_last_separator")).toEqual([{ rhs: ", and ", condition: undefined }])
    expect(g.rules.get("toggleObject.feedback")?.[0]?.condition).toBe("toggleable(o:object) & istoggled(o:object)")
    expect(g.actions.get("gotolocation")).toEqual({
      template: "go to [{r.name | receptacleatlocation(r:receptacle, lend:location)}]",
      feedback: "#GotoLocation.feedback#"
    })
    expect(g.actions.size).toBe(20)
  })

  it("parses right-hand sides and queries", () => {
    expect(parseRhs("You see [{o.indefinite + ' ' + o.name | inreceptacle(o:object, r:receptacle)}].")).toEqual([
      { k: "text", s: "You see " },
      {
        k: "list",
        items: [{
          k: "comp",
          e: { k: "plus", a: { k: "plus", a: { k: "var", v: "o", attr: "indefinite" }, b: { k: "str", s: " " } }, b: { k: "var", v: "o", attr: "name" } },
          q: [{ pred: "inreceptacle", negated: false, vars: ["o", "r"] }]
        }]
      },
      { k: "text", s: "." }
    ])
    expect(parseQuery("atlocation(a:agent, l:location) & not_inreceptacle(o:object, r:receptacle)")).toEqual([
      { pred: "atlocation", negated: false, vars: ["a", "l"] },
      { pred: "inreceptacle", negated: true, vars: ["o", "r"] }
    ])
    expect(() => parseRhs("{o.name} (in/on the {r.name})}")).toThrow(/unexpected '}'/)
  })

  it("rejects a malformed grammar file with the line", () => {
    expect(() => parseGrammarFile('grammar :: """ { "a": [ """;')).toThrow(/not valid JSON/)
    expect(() => parseGrammarFile("\n\nactoin look {}")).toThrow(/line 3: expected 'grammar' or 'action'/)
  })
})

describe("alfworld malformed data", () => {
  const parse = (text: string) => parseGames(domain, text, "/data/games.jsonl.gz")

  it("names the file and line of a bad JSON line", () => {
    const err = errorOf(parse(`${twoLine}\n{not json`))
    expect(err.message).toMatch(/^\/data\/games\.jsonl\.gz:2: invalid JSON/)
  })

  it("names the line of a record with missing fields", () => {
    const err = errorOf(parse(`\n${JSON.stringify({ split: "train", name: "x" })}`))
    expect(err.message).toMatch(/^\/data\/games\.jsonl\.gz:2: bad game record/)
  })

  it("names the file, line and game of a bad PDDL problem", () => {
    const rec = JSON.parse(twoLine) as { problem: string }
    const broken = JSON.stringify({ ...rec, problem: rec.problem.replace("(:init", "(:init (receptacleType nosuchthing_bar_1 SafeType)") })
    expect(errorOf(parse(broken)).message).toBe(
      `/data/games.jsonl.gz:1: game ${TWO}: bad PDDL problem: undeclared object 'nosuchthing_bar_1' in :init`
    )
    const unbalanced = JSON.stringify({ ...rec, problem: rec.problem.replace("(:goal", "(:goal (") })
    expect(errorOf(parse(unbalanced)).message).toMatch(/:1: game .*: bad PDDL problem: expected a formula head, found a list$/)
    const unknownPred = JSON.stringify({ ...rec, problem: rec.problem.replace("(:init", "(:init (flying agent1)") })
    expect(errorOf(parse(unknownPred)).message).toMatch(/undeclared predicate 'flying' in :init/)
  })

  it("rejects duplicate games and task sentences that would break the grammar", () => {
    expect(errorOf(parse(`${twoLine}\n${twoLine}`)).message).toMatch(/:2: game .*: duplicate game/)
    const rec = JSON.parse(twoLine) as { task: string }
    expect(errorOf(parse(JSON.stringify({ ...rec, task: "Your task is to: put #two# cd in safe." }))).message).toMatch(
      /:1: game .*: the task sentence holds a character that is special to the grammar/
    )
  })

  it("reports a missing data directory and a bad domain", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "alfworld-"))
    try {
      const err = errorOf(loadData(dir))
      expect(err.message).toContain(path.join(dir, "alfworld", "alfred.pddl"))
      expect(err.message).toContain("file not found")
      expect(err.message).toContain(Paths.DATA_HINT)
      fs.mkdirSync(path.join(dir, "alfworld"))
      fs.writeFileSync(path.join(dir, "alfworld", "alfred.pddl"), domainText.replace("(:action look", "(:action look :bogus"))
      fs.writeFileSync(path.join(dir, "alfworld", "alfred.twl2"), grammarText)
      const bad = errorOf(loadData(dir))
      expect(bad.message).toMatch(/alfred\.pddl: bad PDDL domain: action look: unknown action keyword :bogus/)
      fs.writeFileSync(path.join(dir, "alfworld", "alfred.pddl"), domainText)
      fs.writeFileSync(path.join(dir, "alfworld", "games.jsonl.gz"), "not gzip")
      expect(errorOf(loadData(dir)).message).toMatch(/games\.jsonl\.gz: not a gzip file/)
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
