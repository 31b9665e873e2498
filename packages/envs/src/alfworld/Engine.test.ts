/**
 * Text fidelity of the engine on the worked examples of the behaviour
 * description: raw engine text, the harness view, admissible commands,
 * "Nothing happens." and goal checking.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { loadData } from "./Data"
import { Game, NOTHING_HAPPENS, runtimeOf } from "./Game"
import { initialView, INSTRUCTION_PROMPT, makeEnvironment, module, SPLITS, stepView } from "./index"

const HEAT = "valid_unseen/pick_heat_then_place_in_recep-Apple-None-Fridge-10/trial_T20190906_182259_116320"
const LAMP = "valid_unseen/look_at_obj_in_light-AlarmClock-None-DeskLamp-308/trial_T20190908_222917_366542"
const TWO = "valid_unseen/pick_two_obj_and_place-CD-None-Safe-308/trial_T20190907_050942_897916"
const COLOC = "valid_unseen/pick_and_place_simple-Vase-None-Safe-219/trial_T20190908_205204_244321"
const COOL = "valid_seen/pick_cool_then_place_in_recep-Tomato-None-GarbageCan-6/trial_T20190909_082934_483899"
const CLEAN = "valid_seen/pick_clean_then_place_in_recep-Mug-None-CoffeeMachine-26/trial_T20190907_233056_022802"

const data = Effect.runSync(loadData(undefined, new Set([HEAT, LAMP, TWO, COLOC, COOL, CLEAN])))
const env = makeEnvironment(data)

const rawGame = (id: string): Game => {
  const g = data.games.find((x) => x.id === id)!
  const grammar = data.grammarFor(g.task)
  return new Game(runtimeOf(data.domain, g.data, grammar), grammar)
}

/** Plays commands on the raw engine and returns (command, feedback, won) rows. */
const playRaw = (id: string, commands: ReadonlyArray<string>) => {
  const game = rawGame(id)
  return commands.map((c) => {
    const out = game.step(c)
    return [c, out.feedback, game.won] as const
  })
}

const ROOM_308 =
  "You are in the middle of a room. Looking quickly around you, you see a bed 1, a desk 2, a desk 1, a drawer 6, a drawer 5, a drawer 4, a drawer 3, a drawer 2, a drawer 1, a garbagecan 1, a laundryhamper 1, a safe 1, a shelf 6, a shelf 5, a shelf 4, a shelf 3, a shelf 2, and a shelf 1."

describe("alfworld engine: worked examples", () => {
  it("loads exactly the selected games", () => {
    expect(data.games.map((g) => g.id).sort()).toEqual([CLEAN, COOL, COLOC, HEAT, LAMP, TWO].sort())
  })

  it("heat task: reset text and every step, raw", () => {
    const game = rawGame(HEAT)
    expect(game.intro()).toBe(
      "-= Welcome to TextWorld, ALFRED! =-\n\n" +
        "You are in the middle of a room. Looking quickly around you, you see a cabinet 6, a cabinet 5, a cabinet 4, a cabinet 3, a cabinet 2, a cabinet 1, a coffeemachine 1, a countertop 3, a countertop 2, a countertop 1, a drawer 3, a drawer 2, a drawer 1, a fridge 1, a garbagecan 1, a microwave 1, a shelf 3, a shelf 2, a shelf 1, a sinkbasin 1, a stoveburner 4, a stoveburner 3, a stoveburner 2, a stoveburner 1, and a toaster 1.\n\n" +
        "Your task is to: heat some apple and put it in fridge."
    )
    expect(game.won).toBe(false)
    expect(playRaw(HEAT, [
      "look",
      "go to garbagecan 1",
      "take apple 1 from garbagecan 1",
      "inventory",
      "go to microwave 1",
      "heat apple 1 with microwave 1",
      "examine apple 1",
      "go to fridge 1",
      "put apple 1 in/on fridge 1",
      "open fridge 1",
      "put apple 1 in/on fridge 1"
    ])).toEqual([
      ["look", "You are in the middle of a room. Looking quickly around you, you see nothing.", false],
      ["go to garbagecan 1", "You arrive at loc 31. On the garbagecan 1, you see a apple 2, a apple 1, a egg 2, a egg 1, a potato 2, and a potato 1.", false],
      ["take apple 1 from garbagecan 1", "You pick up the apple 1 from the garbagecan 1.", false],
      ["inventory", "You are carrying: a apple 1.", false],
      ["go to microwave 1", "You arrive at loc 17. The microwave 1 is closed.", false],
      ["heat apple 1 with microwave 1", "You heat the apple 1 using the microwave 1.", false],
      ["examine apple 1", "This is a hot apple 1.", false],
      ["go to fridge 1", "You arrive at loc 30. The fridge 1 is closed.", false],
      ["put apple 1 in/on fridge 1", NOTHING_HAPPENS, false],
      ["open fridge 1", "You open the fridge 1. The fridge 1 is open. In it, you see a bread 3, a bread 2, a bread 1, a lettuce 1, a tomato 2, and a tomato 1.", false],
      ["put apple 1 in/on fridge 1", "You put the apple 1 in/on the fridge 1.", true]
    ])
  })

  it.effect("lamp task through the harness view", () =>
    Effect.gen(function*() {
      const ep = yield* env.reset(LAMP)
      expect(ep.initialObservation).toBe(`${ROOM_308}\nYour task is to: examine the alarmclock with the desklamp.`)
      expect(ep.maxSteps).toBe(40)
      const rows = ["go to desk 2", "take alarmclock 1 from desk 2", "go to desk 1", "examine desklamp 1", "look", "use desklamp 1"].map((c) => {
        const r = ep.step(c)
        return [r.observation, r.reward, r.done, r.valid]
      })
      expect(rows).toEqual([
        ["On the desk 2, you see a alarmclock 1.", 0, false, true],
        ["You pick up the alarmclock 1 from the desk 2.", 0, false, true],
        ["On the desk 1, you see a bowl 1, a desklamp 1, a mug 1, and a pencil 1.", 0, false, true],
        [NOTHING_HAPPENS, 0, false, false],
        ["You are facing the desk 1. Next to it, you see nothing.", 0, false, true],
        ["You turn on the desklamp 1.", 1, true, true]
      ])
    }))

  it("lamp task: raw arrival texts carry the location", () => {
    expect(playRaw(LAMP, ["go to desk 2", "go to desk 1"]).map((r) => r[1])).toEqual([
      "You arrive at loc 24. On the desk 2, you see a alarmclock 1.",
      "You arrive at loc 14. On the desk 1, you see a bowl 1, a desklamp 1, a mug 1, and a pencil 1."
    ])
  })

  it("two-object task: hands full, opening, two-item list, goal only after the second", () => {
    const rows = playRaw(TWO, [
      "go to desk 2",
      "take cd 1 from desk 2",
      "take cd 2 from desk 2",
      "go to safe 1",
      "open safe 1",
      "put cd 1 in/on safe 1",
      "go to desk 2",
      "take cd 2 from desk 2",
      "go to safe 1",
      "put cd 2 in/on safe 1"
    ])
    expect(rows).toEqual([
      ["go to desk 2", "You arrive at loc 23. On the desk 2, you see a bowl 2, a cd 2, a cd 1, a creditcard 3, a mug 2, a pencil 3, and a pencil 2.", false],
      ["take cd 1 from desk 2", "You pick up the cd 1 from the desk 2.", false],
      ["take cd 2 from desk 2", NOTHING_HAPPENS, false],
      ["go to safe 1", "You arrive at loc 7. The safe 1 is closed.", false],
      ["open safe 1", "You open the safe 1. The safe 1 is open. In it, you see a cellphone 2.", false],
      ["put cd 1 in/on safe 1", "You put the cd 1 in/on the safe 1.", false],
      ["go to desk 2", "You arrive at loc 23. On the desk 2, you see a bowl 2, a cd 2, a creditcard 3, a mug 2, a pencil 3, and a pencil 2.", false],
      ["take cd 2 from desk 2", "You pick up the cd 2 from the desk 2.", false],
      ["go to safe 1", "You arrive at loc 7. The safe 1 is open. In it, you see a cd 1, and a cellphone 2.", false],
      ["put cd 2 in/on safe 1", "You put the cd 2 in/on the safe 1.", true]
    ])
  })

  it("closing, reopening, examining a receptacle, and a second use of a lamp", () => {
    expect(playRaw(TWO, ["go to safe 1", "open safe 1", "close safe 1", "examine safe 1", "close safe 1", "open safe 1"]).map((r) => r[1])).toEqual([
      "You arrive at loc 7. The safe 1 is closed.",
      "You open the safe 1. The safe 1 is open. In it, you see a cellphone 2.",
      "You close the safe 1.",
      "The safe 1 is closed.",
      NOTHING_HAPPENS,
      "You open the safe 1. The safe 1 is open. In it, you see a cellphone 2."
    ])
    // the lamp stays on ("toggled"): using it again says the same, and arriving later with the object wins
    expect(playRaw(LAMP, ["go to desk 1", "use desklamp 1", "use desklamp 1", "go to desk 2", "take alarmclock 1 from desk 2", "go to desk 1"])).toEqual([
      ["go to desk 1", "You arrive at loc 14. On the desk 1, you see a bowl 1, a desklamp 1, a mug 1, and a pencil 1.", false],
      ["use desklamp 1", "You turn on the desklamp 1.", false],
      ["use desklamp 1", "You turn on the desklamp 1.", false],
      ["go to desk 2", "You arrive at loc 24. On the desk 2, you see a alarmclock 1.", false],
      ["take alarmclock 1 from desk 2", "You pick up the alarmclock 1 from the desk 2.", false],
      ["go to desk 1", "You arrive at loc 14. On the desk 1, you see a bowl 1, a desklamp 1, a mug 1, and a pencil 1.", true]
    ])
  })

  it.effect("co-located receptacles: no go-to needed, look lists both and the moved object", () =>
    Effect.gen(function*() {
      const ep = yield* env.reset(COLOC)
      const obs = ["go to cabinet 1", "open cabinet 1", "take box 1 from cabinet 1", "open cabinet 2", "put box 1 in/on cabinet 2", "look", "go to cabinet 2"].map(
        (c) => ep.step(c).observation
      )
      expect(obs).toEqual([
        "The cabinet 1 is closed.",
        "You open the cabinet 1. The cabinet 1 is open. In it, you see a box 1.",
        "You pick up the box 1 from the cabinet 1.",
        "You open the cabinet 2. The cabinet 2 is open. In it, you see nothing.",
        "You put the box 1 in/on the cabinet 2.",
        "You are facing the cabinet 2, and cabinet 1. Next to it, you see a box 1.",
        NOTHING_HAPPENS
      ])
      expect(playRaw(COLOC, ["go to cabinet 1"])[0]![1]).toBe("You arrive at loc 20. The cabinet 1 is closed.")
    }))

  it.effect("admissible commands: sorted, location-dependent, hands-dependent", () =>
    Effect.gen(function*() {
      const ep = yield* env.reset(COOL)
      const gotos = (except: string) =>
        [
          ...Array.from({ length: 15 }, (_, i) => `cabinet ${i + 1}`),
          "coffeemachine 1",
          ...[1, 2, 3, 4].map((i) => `countertop ${i}`),
          ...[1, 2, 3, 4].map((i) => `drawer ${i}`),
          "fridge 1",
          "garbagecan 1",
          "microwave 1",
          "sinkbasin 1",
          ...[1, 2, 3, 4].map((i) => `stoveburner ${i}`),
          "toaster 1"
        ].filter((r) => r !== except).map((r) => `go to ${r}`).sort()
      expect(ep.availableActions()).toEqual([...gotos(""), "inventory", "look"])
      expect(ep.availableActions()!.slice(0, 3)).toEqual(["go to cabinet 1", "go to cabinet 10", "go to cabinet 11"])
      ep.step("go to garbagecan 1")
      expect(ep.availableActions()).toEqual(["examine garbagecan 1", ...gotos("garbagecan 1"), "inventory", "look", "take tomato 1 from garbagecan 1"])
      ep.step("take tomato 1 from garbagecan 1")
      expect(ep.availableActions()).toEqual([
        "examine garbagecan 1",
        "examine tomato 1",
        ...gotos("garbagecan 1"),
        "inventory",
        "look",
        "put tomato 1 in/on garbagecan 1"
      ])
    }))

  it("cool task: cooling with a closed fridge, the cold object, inventory, goal", () => {
    expect(playRaw(COOL, [
      "go to garbagecan 1",
      "take tomato 1 from garbagecan 1",
      "go to fridge 1",
      "cool tomato 1 with fridge 1",
      "examine tomato 1",
      "inventory",
      "go to garbagecan 1",
      "put tomato 1 in/on garbagecan 1"
    ])).toEqual([
      ["go to garbagecan 1", "You arrive at loc 34. On the garbagecan 1, you see a tomato 1.", false],
      ["take tomato 1 from garbagecan 1", "You pick up the tomato 1 from the garbagecan 1.", false],
      ["go to fridge 1", "You arrive at loc 8. The fridge 1 is closed.", false],
      ["cool tomato 1 with fridge 1", "You cool the tomato 1 using the fridge 1.", false],
      ["examine tomato 1", "This is a cold tomato 1.", false],
      ["inventory", "You are carrying: a tomato 1.", false],
      ["go to garbagecan 1", "You arrive at loc 34. On the garbagecan 1, you see nothing.", false],
      ["put tomato 1 in/on garbagecan 1", "You put the tomato 1 in/on the garbagecan 1.", true]
    ])
  })

  it("clean task: sink needed on the spot, receptacle objects describe their inside, goal on any instance", () => {
    // mug 2 is listed both on countertop 1 and in the coffee machine: taking it leaves the second listing,
    // so cleaning it already satisfies "a clean mug in a coffee machine"
    expect(playRaw(CLEAN, [
      "inventory",
      "go to countertop 1",
      "take mug 2 from countertop 1",
      "go to coffeemachine 1",
      "clean mug 2 with sinkbasin 1",
      "go to sinkbasin 1",
      "clean mug 2 with sinkbasin 1",
      "examine mug 2"
    ]).map((r) => [r[1], r[2]])).toEqual([
      ["You are not carrying anything.", false],
      ["You arrive at loc 3. On the countertop 1, you see a mug 2, a potato 1, a soapbottle 1, a spoon 1, and a tomato 1.", false],
      ["You pick up the mug 2 from the countertop 1.", false],
      ["You arrive at loc 4. On the coffeemachine 1, you see a mug 2.", false],
      [NOTHING_HAPPENS, false],
      ["You arrive at loc 21. On the sinkbasin 1, you see a egg 1, a plate 2, a spatula 3, and a spoon 2.", false],
      ["You clean the mug 2 using the sinkbasin 1.", true],
      ["This is a normal mug 2. In it, you see nothing.", true]
    ])
  })

  it("invalid input: Nothing happens., no state change; input is only trimmed", () => {
    const game = rawGame(COOL)
    game.step("go to garbagecan 1")
    const before = game.commands()
    for (const bad of ["put tomato 1 in garbagecan 1", "Look", "take tomato 1", "go to garbagecan 1", "examine tomato 1", "toggle tomato 1", "", "go  to fridge 1"]) {
      expect(game.step(bad)).toEqual({ feedback: NOTHING_HAPPENS, valid: false })
      expect(game.commands()).toEqual(before)
    }
    expect(game.step("  examine garbagecan 1 \n")).toEqual({ feedback: "On the garbagecan 1, you see a tomato 1.", valid: true })
  })

  it.effect("format errors keep the reward and do not end the episode", () =>
    Effect.gen(function*() {
      const ep = yield* env.reset(COOL)
      const r = ep.formatError()
      expect(r.reward).toBe(0)
      expect(r.done).toBe(false)
      expect(r.valid).toBe(false)
    }))

  it("harness view helpers", () => {
    expect(initialView("-= Welcome =-\n\nA room.\n\nYour task is to: x.")).toBe("A room.\nYour task is to: x.")
    expect(stepView("You arrive at loc 23. On the desk 2, you see nothing.")).toBe("On the desk 2, you see nothing.")
    expect(stepView("You put the cd 1 in/on the safe 1.")).toBe("You put the cd 1 in/on the safe 1.")
  })
})

describe("alfworld module", () => {
  it.effect("splits, aliases and task records", () =>
    Effect.gen(function*() {
      expect(SPLITS).toEqual(["train", "dev", "seen", "unseen"])
      expect(env.defaultSplit).toBe("seen")
      const seen = yield* env.tasks("seen")
      expect(seen.map((t) => t.id).sort()).toEqual([CLEAN, COOL].sort())
      expect(yield* env.tasks("valid_seen")).toEqual(seen)
      expect((yield* env.tasks("valid_unseen")).map((t) => t.id)).toEqual((yield* env.tasks("unseen")).map((t) => t.id))
      const task = yield* env.task(HEAT)
      expect(task).toEqual({
        id: HEAT,
        env: "alfworld",
        split: "unseen",
        instruction: "heat some apple and put it in fridge.",
        metadata: {
          taskType: "pick_heat_then_place_in_recep",
          objectClass: "Apple",
          movableReceptacle: "None",
          targetClass: "Fridge",
          scene: 10,
          trial: "trial_T20190906_182259_116320",
          originalSplit: "valid_unseen",
          cleanWithoutSink: false
        }
      })
      const bad = yield* Effect.exit(env.tasks("test"))
      expect(Exit.isFailure(bad) && String(bad.cause)).toContain("unknown split 'test'")
      const unknown = yield* Effect.exit(env.reset("valid_seen/nope"))
      expect(Exit.isFailure(unknown) && String(unknown.cause)).toContain("no task with id 'valid_seen/nope'")
    }))

  it("the instruction prompt names the real command forms", () => {
    for (const form of ["go to", "take <object> from", "put <object> in/on", "open", "close", "use <object>", "heat", "cool", "clean", "Nothing happens.", "Thought:", "Action:"]) {
      expect(INSTRUCTION_PROMPT).toContain(form)
    }
  })

  it.effect("settings are decoded before any data is read", () =>
    Effect.gen(function*() {
      const unknown = yield* Effect.exit(module.load({ dataDir: "/nonexistent", settings: { steps: "10" } }))
      expect(Exit.isFailure(unknown) && String(unknown.cause)).toContain("alfworld: unknown setting 'steps'")
      const bad = yield* Effect.exit(module.load({ dataDir: "/nonexistent", settings: { max_steps: "ten" } }))
      expect(Exit.isFailure(bad) && String(bad.cause)).toContain("alfworld: bad setting")
      const missing = yield* Effect.exit(module.load({ dataDir: "/nonexistent", settings: { max_steps: "12" } }))
      expect(Exit.isFailure(missing) && String(missing.cause)).toContain("file not found")
      const short = makeEnvironment(data, 12)
      expect((yield* short.reset(COOL)).maxSteps).toBe(12)
    }))
})
