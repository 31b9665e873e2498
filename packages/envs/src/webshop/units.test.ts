import { describe, expect, it } from "@effect/vitest"
import { analyze } from "./Analyzer"
import { pyFloat } from "./Catalog"
import { pyPairString, tokenSetRatio } from "./Fuzzy"
import { PyRandom } from "./PyRandom"
import { parseInstruction } from "./Query"
import { normalizeColorPair, normalizeColorValue } from "./Reward"
import { encodedLength } from "./Search"
import { parseAction, pyJsonDumps } from "./Session"

describe("PyRandom (CPython random)", () => {
  it("reproduces MT19937 outputs, random() and shuffle", () => {
    const r = new PyRandom(233)
    expect([r.next32(), r.next32(), r.next32()]).toEqual([2931216007, 3446561803, 2698614761])
    expect(new PyRandom(0).random()).toBe(0.8444218515250481)
    const perm = Array.from({ length: 6910 }, (_, i) => i)
    new PyRandom(233).shuffle(perm)
    expect(perm.slice(0, 10)).toEqual([3963, 2638, 2193, 1856, 4358, 6149, 2504, 3220, 705, 1072])
    const perm42 = Array.from({ length: 6910 }, (_, i) => i)
    new PyRandom(42).shuffle(perm42)
    expect(perm42.slice(0, 6)).toEqual([6684, 875, 327, 2233, 5861, 4252])
  })

  it("matches Python's sample(pop, 2), random() and uniform() for seed 5", () => {
    // Python: r = random.Random(5); r.sample([10, 20, 30, 40], 2), r.random(), r.uniform(1, 3)
    const r = new PyRandom(5)
    expect(r.sample2([10, 20, 30, 40])).toEqual([30, 40])
    expect(r.random()).toBe(0.35853551175589526)
    expect(r.uniform(1, 3)).toBe(2.380893691516672)
  })

  it("seeds large integers from 32-bit words", () => {
    const a = new PyRandom(2n ** 40n + 7n)
    const b = new PyRandom(7)
    expect(a.next32()).not.toBe(b.next32())
  })
})

describe("analyzer", () => {
  it("tokenizes, drops stop words and possessives, and Porter-stems", () => {
    expect(analyze("60x60cm | 23.62x23.62in")).toEqual(["60x60cm", "23.62x23.62in"])
    expect(analyze("x-large men's shoes")).toEqual(["x", "larg", "men", "shoe"])
    expect(analyze("long-lasting 6.76 fl oz (pack of 1) l'eau d'issey")).toEqual([
      "long", "last", "6.76", "fl", "oz", "pack", "1", "l'eau", "d'issei"
    ])
    expect(analyze("e.l.f. Makeup U.S.A. 2700k")).toEqual(["e.l.f", "makeup", "u.s.a", "2700k"])
    expect(analyze("the and of a")).toEqual([])
  })

  it("gives the same words on non-ASCII text through the Unicode segmenter", () => {
    expect(analyze("décor crème for the living room")).toEqual(["décor", "crème", "live", "room"])
  })

  it("keeps emoji and pictographs as tokens, and splits Han text into characters", () => {
    expect(analyze("tip\u2605 love \u2764\ufe0f \u2606 \u273f")).toEqual(["tip", "\u2605", "love", "\u2764\ufe0f"])
    expect(analyze("\u7425\u73c0 color")).toEqual(["\u7425", "\u73c0", "color"])
  })

  it("encodes document lengths as Lucene's one-byte norm", () => {
    expect(encodedLength(23)).toBe(23)
    expect(encodedLength(39)).toBe(39)
    expect(encodedLength(100)).toBe(96)
    expect(encodedLength(140)).toBe(136)
  })
})

describe("token_set_ratio and colour normalisation", () => {
  it("scores the worked cases", () => {
    expect(tokenSetRatio("wall sconce", "wall mounted")).toBe(70)
    expect(tokenSetRatio("pack of 2", pyPairString("size", "pack of 3"))).toBe(88)
    expect(tokenSetRatio("x-large", pyPairString("size", "large"))).toBe(83)
    expect(tokenSetRatio("large", pyPairString("size", "x-large"))).toBe(100)
    expect(tokenSetRatio("easy clean", "easy install")).toBe(57)
    expect(tokenSetRatio("70x70cm | 27.6x27.6in", pyPairString("size", "60x60cm | 23.62x23.62in"))).toBe(44)
    expect(tokenSetRatio("antique wood", pyPairString("color", "semi flush mount"))).toBe(18)
    expect(tokenSetRatio("", "x")).toBe(0)
  })

  it("deletes only U+0080-U+00FF and keeps other non-ASCII letters", () => {
    expect(tokenSetRatio("caf\u00e9", "caf")).toBe(100)
    expect(tokenSetRatio("\u0436\u0443\u043a", "\u0436\u0443\u043a")).toBe(100)
  })

  it("normalises colours like the original", () => {
    expect(normalizeColorValue("standard")).toBe("tan")
    expect(normalizeColorValue("washed denim")).toBe("ash")
    expect(normalizeColorValue("navy blue")).toBe("blue")
    expect(normalizeColorValue("rose gold")).toBe("gold")
    expect(normalizeColorValue("medium")).toBe("medium")
    expect(normalizeColorPair("color", "black")).toBe("black")
    expect(normalizeColorPair("color", "jet black")).toBe("('color', 'jet black')")
    expect(pyPairString("size", "65x43\u00a0cm")).toBe("('size', '65x43\\xa0cm')")
    expect(pyPairString("size", "it's")).toBe(`('size', "it's")`)
  })
})

describe("formatting and parsing", () => {
  it("formats floats the Python way", () => {
    expect(pyFloat(34)).toBe("34.0")
    expect(pyFloat(877.8)).toBe("877.8")
    expect(pyFloat(0.01)).toBe("0.01")
    expect(pyFloat(2 / 3)).toBe("0.6666666666666666")
    expect(pyFloat(1e-5)).toBe("1e-05")
  })

  it("dumps options as Python's json.dumps with sorted keys", () => {
    expect(pyJsonDumps({ size: "60x60cm | 23.62x23.62in" })).toBe('{"size": "60x60cm | 23.62x23.62in"}')
    expect(pyJsonDumps({ size: "x", color: "65\u00a0cm" })).toBe('{"color": "65\\u00a0cm", "size": "x"}')
    expect(pyJsonDumps({})).toBe("{}")
  })

  it("parses actions like the original", () => {
    expect(parseAction("click[Buy Now]")).toEqual({ name: "click", arg: "buy now" })
    expect(parseAction("search[a [b] c]")).toEqual({ name: "search[a ", arg: "b] c" })
    expect(parseAction("click[x] trailing")).toEqual({ name: "click", arg: "x" })
    expect(parseAction("Click[x]")?.name).toBe("Click")
    expect(parseAction("search[]")).toBeUndefined()
    expect(parseAction("buy")).toBeUndefined()
  })

  it("reads the parts of an instruction", () => {
    expect(
      parseInstruction(
        "Find me easy clean pendants and chandeliers with light fixture with color: semi flush mount, and price lower than 90.00 dollars"
      )
    ).toEqual({ product: "easy clean pendants and chandeliers with light fixture", options: [["color", "semi flush mount"]], priceLimit: 90 })
    expect(parseInstruction("Find me a thing with color: red, and size: x-large")).toEqual({
      product: "a thing",
      options: [["color", "red"], ["size", "x-large"]],
      priceLimit: undefined
    })
  })
})
