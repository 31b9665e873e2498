/**
 * Objects built from layout names and attributes, class by class as the
 * original defines them (kind, materials, referents, what is fixed in place).
 */
import { ANIMALS, BOOK_AUTHORS, MATERIALS, type StateOfMatter } from "./catalog"
import { type Kind, Obj } from "./obj"
// ---------------------------------------------------------------------------
// Object construction from layout nodes

const COLOURS = ["red", "green", "blue", "orange", "yellow", "purple", "violet", "black"]

const vessel = (name: string, nouns: Array<string>, material: string): Obj => {
  const o = new Obj(name, "vessel")
  o.container = true
  o.contentRefs = true
  o.nouns = nouns
  o.material = MATERIALS[material]
  return o
}

const withMaterial = (o: Obj, material: string, state?: StateOfMatter): Obj => {
  o.material = MATERIALS[material]
  o.state = state ?? "solid"
  return o
}

/** Creates one object from its layout name and attributes. */
export const makeObject = (name: string, attrs: ReadonlyArray<string>): Obj => {
  const o = makeBase(name, attrs)
  const t = attrs.find((a) => a.startsWith("T="))
  // The declared state is kept: the first tick renames an object created below
  // its melting point (task ice is created as "water" at -10 and becomes "ice").
  if (t !== undefined) o.temperature = Number(t.slice(2))
  return o
}

const makeBase = (name: string, attrs: ReadonlyArray<string>): Obj => {
  const attr = (key: string) => attrs.find((a) => a.startsWith(key + "="))?.slice(key.length + 1)
  const flag = (f: string) => attrs.includes(f)
  // living things: attrs = [species/type, stage]
  if (attrs.length >= 2 && (ANIMALS[attrs[0]!] !== undefined) && !name.startsWith("flower pot")) {
    const o = new Obj(attrs[0] === "bee" ? "bee" : name, "animal")
    o.species = attrs[0]!
    o.cycle = ANIMALS[attrs[0]!]!.cycle
    o.stage = attrs[1]!
    return o
  }
  if (attrs.length >= 2 && /^(seed|seedling|adult|reproducing|dead)$/.test(attrs[1]!)) {
    // fruit trees are created as "plant" (peas as "pea") and take their stage name on their first tick
    const o = new Obj(attrs[0] === "pea" ? "pea" : "plant", "plant")
    o.species = attrs[0]!
    o.stage = attrs[1]!
    o.material = MATERIALS["plant matter"]
    o.state = "solid"
    o.container = true
    return o
  }
  let m: RegExpMatchArray | null
  if ((m = name.match(/^(\w+) box$/)) && COLOURS.includes(m[1]!)) {
    const o = new Obj(name, "box")
    o.container = true
    o.material = MATERIALS.ceramic
    o.state = "solid"
    return o
  }
  if (/^(self watering )?flower pot \d+$/.test(name)) {
    const o = vessel(name, ["pot", "flower pot"], "ceramic")
    return o
  }
  if ((m = name.match(/^(\w+) light bulb$/))) {
    const o = new Obj(name, "bulb")
    o.nouns = ["light", "light bulb"]
    o.material = MATERIALS.glass
    return o
  }
  if ((m = name.match(/^(\w+) wire$/)) || name === "wire") {
    const o = new Obj(name, "wire")
    o.nouns = ["component"]
    o.material = MATERIALS.copper
    return o
  }
  if ((m = name.match(/^([\w-]+) paint$/))) {
    const o = new Obj(name, "paint")
    o.nouns = ["paint"]
    return withMaterial(o, "paint", "liquid")
  }
  if ((m = name.match(/^book \((.*)\)$/))) {
    const o = new Obj(name, "book")
    o.title = m[1]!
    o.material = MATERIALS.paper
    o.text = `${m[1]} by ${BOOK_AUTHORS[m[1]!] ?? "an unknown author"}.`
    return o
  }
  if ((m = name.match(/^(liquid |solid )?unknown substance (\w)$/))) {
    const o = new Obj(name, "unknown")
    o.nouns = ["unknown substance"]
    const mp = Number(attr("mp") ?? 1000)
    o.material = { ...MATERIALS.unknown!, name, meltingPoint: mp, electricallyConductive: attr("cond") === "true" }
    o.temperature = Number(attr("T") ?? 10)
    o.state = o.temperature < mp ? "solid" : "liquid"
    return o
  }
  const o = makeNamed(name)
  if (flag("closed") && o.closable) o.open = false
  if (flag("on")) o.on = true
  if (flag("off")) o.on = false
  if (flag("broken")) o.broken = true
  return o
}

const simple = (name: string, kind: Kind, nouns: Array<string> = [], material?: string): Obj => {
  const o = new Obj(name, kind)
  o.nouns = nouns
  if (material) withMaterial(o, material)
  return o
}

const fixed = (o: Obj): Obj => {
  o.moveable = false
  return o
}

const containerOf = (o: Obj, closable: boolean): Obj => {
  o.container = true
  o.closable = closable
  return o
}

/** Furniture and other open containers: movable, as every object the original does not fix in place. */
const furniture = (name: string, nouns: Array<string>, material: string): Obj => containerOf(simple(name, "furniture", nouns, material), false)

const cabinet = (name: string, nouns: Array<string>): Obj => containerOf(simple(name, "cabinet", nouns, "wood"), true)

/** Listed with its colour ("a red apple"), named without it. */
const coloured = (o: Obj, display: string): Obj => {
  o.display = display
  return o
}

const device = (o: Obj, activable = true): Obj => {
  o.activable = activable
  return fixed(o)
}

/** Sinks, bathtubs and toilets drain to the sewer through an open drain (liquids leave at the end of the device's tick). */
const withDrain = (o: Obj): Obj => {
  const drain = fixed(simple("drain", "drain"))
  drain.closable = true
  drain.parent = o
  o.portals.push(drain)
  return o
}

const makeNamed = (name: string): Obj => {
  switch (name) {
    case "table":
    case "desk":
    case "counter":
      return furniture(name, [name, `wood ${name}`], "wood")
    case "chair":
    case "bed":
      return furniture(name, ["sittable", "wood sittable"], "wood")
    case "couch":
    case "mattress":
      return furniture(name, ["sittable", "cloth sittable"], "cloth")
    case "book shelf": {
      const o = vessel(name, ["shelf", "book shelf"], "wood")
      o.kind = "box"
      return o
    }
    case "cupboard":
    case "large cupboard":
    case "paint cupboard":
      return cabinet(name, ["cupboard", "wood cupboard"])
    case "closet":
    case "paint closet":
      return cabinet(name, ["closet", "wood closet"])
    case "bee hive":
      return cabinet(name, ["bee hive", "hive", "beehive"])
    case "drawer":
      return containerOf(simple(name, "drawer", ["drawer", "wood table"], "wood"), true)
    case "fridge":
    case "freezer":
    case "ultra low temperature freezer":
      return device(containerOf(simple(name, "cooler", name === "fridge" ? ["fridge"] : ["freezer"]), true))
    case "oven":
    case "blast furnace":
      return device(containerOf(simple(name, "oven", name === "oven" ? ["oven"] : ["furnace"]), true))
    case "stove":
      return device(containerOf(simple(name, "stove", ["stove"]), false))
    case "sink":
    case "bathtub":
      return withDrain(device(containerOf(simple(name, "sink", [name], name === "sink" ? "steel" : "ceramic"), false)))
    case "toilet":
      return withDrain(device(containerOf(simple(name, "toilet", ["toilet"], "steel"), false)))
    case "metal pot":
      return vessel(name, ["pot", "metal pot"], "steel")
    case "glass cup":
    case "plastic cup":
    case "wood cup":
    case "tin cup":
    case "paper cup":
    case "ceramic cup":
      return vessel(name, ["cup", name], name.replace(/ cup$/, ""))
    case "bowl":
      return vessel(name, ["bowl", "wood bowl"], "wood")
    case "jug":
      return vessel(name, ["jug"], "plastic")
    case "glass jar": {
      const o = vessel(name, ["jar", "glass jar"], "glass")
      o.closable = true
      return o
    }
    case "seed jar":
      // a ceramic cup renamed by the task
      return vessel(name, ["cup", "ceramic cup"], "ceramic")
    case "fire pit":
    case "fountain": {
      const o = vessel(name, [name], "ceramic")
      o.contentRefs = false
      return o
    }
    case "thermometer":
      return simple(name, "thermometer", ["thermometer"], "glass")
    case "stopwatch": {
      const o = simple(name, "stopwatch", ["stopwatch", "watch", "timer"], "plastic")
      o.activable = true
      return o
    }
    case "lighter":
      return simple(name, "lighter", ["lighter"], "plastic")
    case "axe": {
      const o = simple(name, "tool", ["axe"], "steel")
      o.article = "an"
      return o
    }
    case "shovel":
      return simple(name, "tool", ["shovel"], "steel")
    case "ground":
      return containerOf(simple(name, "ground", ["ground"], "soil"), false)
    case "picture":
    case "painting":
    case "drawing":
    case "finger painting":
      return simple(name, "picture", [], "paper")
    case "recipe":
      return simple(name, "recipe", [], "paper")
    case "battery":
      return simple(name, "battery", ["generator"], "steel")
    case "switch": {
      const o = simple(name, "switch", ["component"], "plastic")
      o.activable = true
      return o
    }
    case "electric motor":
      return simple(name, "bulb", ["motor", "electric motor"], "steel")
    case "electric buzzer":
      return simple(name, "bulb", ["buzzer", "electric buzzer"], "steel")
    case "gas generator":
    case "nuclear generator": {
      const o = simple(name, "generator", ["generator"], "steel")
      o.activable = true
      return o
    }
    case "solar panel":
    case "wind generator":
      return simple(name, "generator", ["generator"], "steel")
    case "soil":
      return withMaterial(simple(name, "soil", ["soil"]), "soil")
    case "wood":
    case "air":
    case "water":
    case "soap":
    case "rubber":
    case "lead":
    case "tin":
    case "mercury":
    case "gallium":
    case "caesium":
    case "sodium chloride":
    case "salt water":
    case "soapy water":
    case "acetic acid":
    case "sodium bicarbonate":
    case "sodium acetate":
    case "sugar":
    case "sugar water":
    case "rust":
    case "ash": {
      const o = simple(name, "substance", ["substance"])
      const mat = name === "sugar water" ? "sugar" : name === "rust" || name === "sodium acetate" || name === "ash" ? "sodium bicarbonate" : name
      o.material = MATERIALS[mat]
      o.state = initialState(o)
      if (name === "air") o.temperature = 25
      if (name === "gallium") o.state = "liquid"
      return o
    }
    case "wood block":
      return withMaterial(simple(name, "block", ["block"]), "wood")
    case "iron block":
      return withMaterial(simple(name, "block", ["block"]), "iron")
    case "orange juice":
    case "apple juice":
    case "chocolate":
    case "marshmallow":
    case "ice cream": {
      const o = simple(name, "food", [name])
      o.material = MATERIALS[name]
      if (name === "ice cream") o.temperature = -15
      o.state = initialState(o)
      return o
    }
    case "smores":
      return withMaterial(simple(name, "food", ["smores"]), "marshmallow")
    case "flour":
    case "dough":
    case "bread":
      return withMaterial(simple(name, "food", [name, `white ${name}`]), "flour")
    case "jam":
      return coloured(withMaterial(simple(name, "food", ["jam", "red jam"]), "flour"), "red jam")
    case "peanut":
    case "almond":
    case "cashew":
    case "mixed nuts":
      return withMaterial(simple(name, "food", [name]), "nut")
    case "fruit salad":
      return withMaterial(simple(name, "food", ["fruit salad"]), "plant matter")
    case "apple":
      return coloured(simple(name, "fruit", ["apple", "red apple"]), "red apple")
    case "apricot":
      return coloured(withMaterial(simple(name, "fruit", ["apricot", "orange apricot"]), "plant matter"), "orange apricot")
    case "avocado":
    case "orange":
    case "grapefruit": {
      const o = simple(name, "fruit", [name])
      o.article = "an"
      return o
    }
    case "banana":
    case "cherry":
    case "lemon":
    case "peach":
    case "pear":
    case "potato":
      return simple(name, "fruit", [name])
    case "paper":
      return simple(name, "paper", [], "paper")
    case "metal fork":
      return simple(name, "kitchen", ["steel fork"], "steel")
    case "plastic fork":
      return simple(name, "kitchen", ["plastic fork"], "plastic")
    case "paper clip":
      return simple(name, "kitchen", ["steel paper clip"], "steel")
    case "aluminum foil":
      return simple(name, "kitchen", [], "aluminum")
    case "pillow":
      return simple(name, "pillow", ["object"], "cloth")
    default:
      if (name.endsWith(" sandwich")) return withMaterial(simple(name, "food", ["sandwich"]), "flour")
      if (name.endsWith(" paper")) return simple(name, "paper", [], "paper")
      return simple(name, "item", ["object"])
  }
}

const initialState = (o: Obj): StateOfMatter => {
  const m = o.material!
  return o.temperature < m.meltingPoint ? "solid" : o.temperature > m.boilingPoint ? "gas" : "liquid"
}
