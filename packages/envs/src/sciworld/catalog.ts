/**
 * Static facts about ScienceWorld objects: materials, animal life cycles,
 * plant types and the mixing tables.
 */

export type StateOfMatter = "solid" | "liquid" | "gas"

export interface Material {
  readonly name: string
  readonly meltingPoint: number
  readonly boilingPoint: number
  readonly combustionPoint: number
  readonly thermalConductivity: number
  readonly electricallyConductive: boolean
  /** Object names in the solid / liquid / gas state, where the substance renames. */
  readonly stateNames?: readonly [string, string, string] | undefined
}

const NEVER = 100000
const m = (
  name: string,
  meltingPoint: number,
  boilingPoint: number,
  combustionPoint: number,
  thermalConductivity: number,
  electricallyConductive: boolean,
  stateNames?: readonly [string, string, string]
): Material => ({ name, meltingPoint, boilingPoint, combustionPoint, thermalConductivity, electricallyConductive, stateNames })

const metal = (name: string, mp: number, bp: number) => m(name, mp, bp, NEVER, 1.0, true)
const named = (name: string, mp: number, bp: number, comb: number, th: number, el: boolean, liquid: string) =>
  m(name, mp, bp, comb, th, el, [`solid ${liquid}`, liquid, `gaseous ${liquid}`])

export const MATERIALS: Readonly<Record<string, Material>> = {
  water: m("water", 0, 100, NEVER, 0.5, false, ["ice", "water", "steam"]),
  "orange juice": named("orange juice", 0, 100, NEVER, 0.5, false, "orange juice"),
  "apple juice": named("apple juice", -2, 160, NEVER, 0.5, false, "apple juice"),
  chocolate: m("chocolate", 30, NEVER, 95, 0.5, false, ["solid chocolate", "liquid chocolate", "gaseous chocolate"]),
  marshmallow: m("marshmallow", 36, NEVER, 350, 0.5, false, ["marshmallow", "liquid marshmallow", "gaseous marshmallow"]),
  "ice cream": m("ice cream", -10, 101, NEVER, 0.5, false, ["ice cream", "liquid ice cream", "gaseous ice cream"]),
  soap: m("soap", 140, NEVER, 537, 0.5, false, ["soap", "liquid soap", "gaseous soap"]),
  rubber: m("rubber", 180, 10001, 260, 0.5, false, ["rubber", "liquid rubber", "gaseous rubber"]),
  lead: m("lead", 327, 1740, NEVER, 1.0, true, ["lead", "liquid lead", "gaseous lead"]),
  tin: m("tin", 232, 2602, NEVER, 1.0, true, ["tin", "liquid tin", "gaseous tin"]),
  mercury: m("mercury", -39, 357, NEVER, 1.0, true, ["solid mercury", "liquid mercury", "gaseous mercury"]),
  gallium: m("gallium", 30, 2400, NEVER, 1.0, true, ["gallium", "liquid gallium", "gaseous gallium"]),
  caesium: m("caesium", 29, 671, NEVER, 1.0, true, ["solid caesium", "liquid caesium", "gaseous caesium"]),
  "sodium chloride": named("sodium chloride", 801, 1465, NEVER, 0.2, false, "sodium chloride"),
  sodium: metal("sodium", 98, 881),
  steel: metal("steel", 1400, 2900),
  aluminum: metal("aluminum", 660, 2470),
  copper: metal("copper", 1083, 2500),
  iron: metal("iron", 1538, 2862),
  glass: m("glass", 1400, 2200, NEVER, 1.0, false),
  plastic: m("plastic", 200, 300, NEVER, 1.0, false),
  ceramic: m("ceramic", 2000, 10001, 10000, 0.02, false),
  wood: m("wood", 10000, NEVER, 350, 0.5, false),
  paper: m("paper", NEVER, NEVER, 210, 0.5, false),
  cloth: m("cloth", NEVER, NEVER, 300, 0.1, false),
  "plant matter": m("plant matter", NEVER, NEVER, 200, 0.5, false),
  soil: m("soil", NEVER, NEVER, NEVER, 0.5, false),
  sugar: m("sugar", 186, NEVER, 350, 0.5, false),
  "salt water": named("salt water", -2, 110, NEVER, 0.2, true, "salt water"),
  "soapy water": named("soapy water", -1, 105, NEVER, 0.2, false, "soapy water"),
  "acetic acid": named("acetic acid", 17, 119, NEVER, 0.2, false, "acetic acid"),
  "sodium bicarbonate": m("sodium bicarbonate", NEVER, NEVER, 100, 0.2, false),
  paint: m("paint", 0, 10000, 293, 0.2, false),
  air: m("air", -215, -194, NEVER, 0.01, false, ["solid air", "liquid air", "air"]),
  unknown: m("unknown", 1000, 2000, NEVER, 1.0, false),
  nut: m("nut", NEVER, NEVER, 300, 0.5, false),
  flour: m("flour", NEVER, NEVER, 300, 0.5, false)
}

export type Cycle = "mammal" | "reptile" | "bird" | "frog" | "insect" | "bee"

export const ANIMALS: Readonly<Record<string, { readonly lifespan: number; readonly cycle: Cycle }>> = {
  "giant tortoise": { lifespan: 150, cycle: "reptile" },
  parrot: { lifespan: 80, cycle: "bird" },
  elephant: { lifespan: 70, cycle: "mammal" },
  crocodile: { lifespan: 45, cycle: "reptile" },
  "brown bear": { lifespan: 30, cycle: "mammal" },
  turtle: { lifespan: 30, cycle: "reptile" },
  beaver: { lifespan: 16, cycle: "mammal" },
  wolf: { lifespan: 14, cycle: "mammal" },
  chipmunk: { lifespan: 12, cycle: "mammal" },
  "common toad": { lifespan: 10, cycle: "frog" },
  rabbit: { lifespan: 9, cycle: "mammal" },
  "blue jay": { lifespan: 7, cycle: "bird" },
  frog: { lifespan: 6, cycle: "frog" },
  hedgehog: { lifespan: 5, cycle: "mammal" },
  mouse: { lifespan: 4, cycle: "mammal" },
  chameleon: { lifespan: 3, cycle: "reptile" },
  dove: { lifespan: 2, cycle: "bird" },
  dragonfly: { lifespan: 0.4, cycle: "mammal" },
  moth: { lifespan: 0.2, cycle: "insect" },
  butterfly: { lifespan: 0.1, cycle: "insect" },
  ant: { lifespan: 0.1, cycle: "mammal" },
  bee: { lifespan: 0.1, cycle: "bee" }
}

export const CYCLE_STAGES: Readonly<Record<Cycle, ReadonlyArray<string>>> = {
  mammal: ["baby", "juvenile", "adult", "dead"],
  reptile: ["egg", "hatchling", "juvenile", "adult", "dead"],
  bird: ["egg", "hatchling", "juvenile", "adult", "dead"],
  frog: ["egg", "tadpole", "adult", "dead"],
  insect: ["egg", "caterpillar", "pupa", "adult", "dead"],
  bee: ["adult"]
}

/** Ticks spent in a stage before the next one (adult: until death). */
export const stageLength = (stage: string): number => (stage === "adult" ? 50 : 20)

/** The name an animal shows in a life stage. */
export const animalDisplayName = (species: string, cycle: Cycle, stage: string): string => {
  switch (cycle) {
    case "frog":
      return stage === "egg" ? "frog egg" : stage === "tadpole" ? "tadpole" : `${stage} frog`
    case "insect":
      return stage === "egg"
        ? "butterfly egg"
        : stage === "caterpillar"
        ? "caterpillar"
        : stage === "pupa"
        ? "butterfly pupa"
        : `${stage} butterfly`
    case "reptile":
    case "bird":
      return stage === "egg" ? `${species} egg` : `${stage} ${species}`
    default:
      return `${stage} ${species}`
  }
}

export const PLANT_STAGES = ["seed", "seedling", "adult", "reproducing", "dead"] as const
export type PlantStage = (typeof PLANT_STAGES)[number]

/** Chemistry: two- and three-ingredient recipes (ingredient names sorted). */
export interface Recipe {
  readonly inputs: ReadonlyArray<string>
  readonly product: string
  readonly reply: string
}

const sandwichReply = (kind: string) => `Bread and peanuts mix to produce a ${kind} sandwich.`

export const RECIPES: ReadonlyArray<Recipe> = [
  { inputs: ["sodium chloride", "water"], product: "salt water", reply: "Sodium chloride and water mix to produce salt water." },
  { inputs: ["soap", "water"], product: "soapy water", reply: "Soap and water mix to produce soapy water." },
  { inputs: ["sugar", "water"], product: "sugar water", reply: "Sugar and water mix to produce sugar water." },
  { inputs: ["flour", "water"], product: "dough", reply: "Flour and water mix to produce dough." },
  { inputs: ["chocolate", "marshmallow"], product: "smores", reply: "Chocolate and marshmallow mix to produce smores." },
  { inputs: ["iron block", "water"], product: "rust", reply: "Iron block and water mix to produce rust." },
  {
    inputs: ["acetic acid", "sodium bicarbonate"],
    product: "sodium acetate",
    reply: "Sodium bicarbonate and acetic acid mix to produce sodium acetate."
  },
  { inputs: ["bread", "peanut"], product: "peanut butter sandwich", reply: sandwichReply("peanut butter") },
  { inputs: ["bread", "jam"], product: "jam sandwich", reply: sandwichReply("jam") },
  { inputs: ["banana", "bread"], product: "banana sandwich", reply: sandwichReply("banana") },
  ...["red", "green", "blue", "orange", "yellow", "violet"].map((c) => ({
    inputs: [`${c} paint`, "paper"],
    product: `${c} paper`,
    reply: `Paper and blue paint mix to produce ${c} paper.`
  })),
  { inputs: ["almond", "cashew", "peanut"], product: "mixed nuts", reply: "Peanuts, almonds, and cashews mix to produce mixed nuts." },
  { inputs: ["apple", "banana", "orange"], product: "fruit salad", reply: "Apples, oranges, and bananas mix to produce fruit salad." },
  {
    inputs: ["bread", "jam", "peanut"],
    product: "peanut butter with jam sandwich",
    reply: "Bread and peanuts and jam mix to produce a peanut butter with jam sandwich."
  },
  {
    inputs: ["banana", "bread", "peanut"],
    product: "peanut butter with banana sandwich",
    reply: "Bread and peanuts and jam mix to produce a peanut butter with banana sandwich."
  }
]

/** Paint mixing, checked in this order; anything else with 2-4 paints is brown. */
export const PAINT_MIXES: ReadonlyArray<{ readonly a: string; readonly b: string; readonly product: string; readonly reply: string }> = [
  { a: "red", b: "blue", product: "violet", reply: "Red and blue paint mix to produce violet paint." },
  { a: "blue", b: "yellow", product: "green", reply: "Blue and yellow paint mix to produce green paint." },
  { a: "yellow", b: "red", product: "orange", reply: "Yellow and red paint mix to produce orange paint." },
  { a: "yellow", b: "orange", product: "yellow-orange", reply: "Yellow and orange paint mix to produce yellow-orange paint." },
  { a: "orange", b: "red", product: "red-orange", reply: "Red and orange paint mix to produce red-orange paint." },
  { a: "red", b: "violet", product: "violet-red", reply: "Violet and red paint mix to produce violet-red paint." },
  { a: "violet", b: "blue", product: "blue-violet", reply: "Blue and violet paint mix to produce blue-violet paint." },
  { a: "blue", b: "green", product: "green-blue", reply: "Blue and green paint mix to produce blue green paint." },
  { a: "green", b: "yellow", product: "yellow-green", reply: "Green and yellow paint mix to produce yellow-green paint." }
]

export const BOOK_AUTHORS: Readonly<Record<string, string>> = {
  "Moby Dick": "Herman Melville",
  Frankenstein: "Mary Wollstonecraft Shelley",
  "Sherlock Holmes": "Arthur Conan Doyle",
  "Pride and Prejudice": "Jane Austen",
  Beowulf: "Beowulf poet",
  "The Foundations of the Origin of Species": "Charles Darwin"
}

export const LOCATIONS = [
  "kitchen",
  "hallway",
  "living room",
  "bedroom",
  "bathroom",
  "workshop",
  "greenhouse",
  "art studio",
  "outside",
  "foundry"
] as const

/** Doors in the order the house builder makes them (kitchen-hallway first). */
export const DOORS: ReadonlyArray<readonly [string, string]> = [
  ["kitchen", "hallway"],
  ["living room", "hallway"],
  ["bedroom", "hallway"],
  ["bathroom", "kitchen"],
  ["workshop", "hallway"],
  ["greenhouse", "hallway"],
  ["art studio", "hallway"],
  ["kitchen", "outside"],
  ["greenhouse", "outside"],
  ["foundry", "outside"]
]
