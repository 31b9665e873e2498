import { describe, expect, it } from "@effect/vitest"
import { fromJSON, SPECIAL, SPECIAL_TOKENS, train } from "../src/Tokenizer"

const corpus = [
  "Thought: I should search for red running shoes.\nAction: search[red running shoes]",
  "Observation: [SEP] Back to Search [SEP] Page 1 (Total results: 50) [SEP] Next > [SEP] B0812 [SEP] Red shoes [SEP] $32.99",
  "Thought: The first item looks right.\nAction: click[B0812]",
  "Überprüfung — naïve café ☕ 東京 emoji 🎉 tabs\tand  double  spaces",
  "Thought: I should buy it.\nAction: click[Buy Now]"
]

describe("byte-level BPE tokenizer", () => {
  it("round-trips any text exactly, including non-ASCII and whitespace", () => {
    const tok = train(corpus, { vocabSize: 300 })
    for (const text of [...corpus, "never seen: ✓ ŝ 𝔘 \n\n  x", ""]) expect(tok.decode(tok.encode(text))).toBe(text)
  })

  it("learns merges that shorten the training text and is deterministic", () => {
    const a = train(corpus, { vocabSize: 320, minFrequency: 1 })
    const b = train([...corpus].reverse(), { vocabSize: 320, minFrequency: 1 })
    expect(a.merges).toEqual(b.merges)
    expect(a.size).toBe(320)
    const bytes = new TextEncoder().encode(corpus[0]!).length
    expect(a.encode(corpus[0]!).length).toBeLessThan(bytes * 0.6)
    // Special tokens take the last ids and are not produced from plain text.
    expect(SPECIAL_TOKENS.map((s) => a.special(s))).toEqual([315, 316, 317, 318, 319])
    expect(a.vocab[a.special(SPECIAL.eot)]).toBe(SPECIAL.eot)
    expect(a.encode(SPECIAL.end)).not.toContain(a.special(SPECIAL.end))
    expect(a.decode([a.special(SPECIAL.agent), ...a.encode("hi")])).toBe("<|agent|>hi")
    expect(a.decode([a.special(SPECIAL.agent), ...a.encode("hi")], { skipSpecial: true })).toBe("hi")
  })

  it("learns the same merges as recounting every pair after each merge", () => {
    const text = [...corpus, ...corpus.map((c) => c.toLowerCase()), "aaaa aaaaa abab abba"].join(" ")
    const tok = train([text], { vocabSize: 256 + 5 + 80, minFrequency: 2 })
    // Reference: recount all pairs of all words at every round.
    const words = new Map<string, number>()
    for (const m of text.matchAll(/'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu)) words.set(m[0], (words.get(m[0]) ?? 0) + 1)
    const symbols = tok.vocab.slice(0, 256)
    const bytesOf = (w: string) => Array.from(new TextEncoder().encode(w))
    const segs = [...words.entries()].map(([w, f]) => ({ s: bytesOf(w), f }))
    const expected: Array<[string, string]> = []
    for (let round = 0; round < 80; round++) {
      const counts = new Map<string, number>()
      for (const { s, f } of segs) for (let i = 0; i + 1 < s.length; i++) counts.set(`${s[i]},${s[i + 1]}`, (counts.get(`${s[i]},${s[i + 1]}`) ?? 0) + f)
      let best: [number, number] | undefined, bestC = 0
      for (const [k, c] of counts) {
        const [a, b] = k.split(",").map(Number) as [number, number]
        if (c > bestC || (c === bestC && best && (a < best[0] || (a === best[0] && b < best[1])))) {
          best = [a, b]
          bestC = c
        }
      }
      if (!best || bestC < 2) break
      const id = symbols.length
      symbols.push(symbols[best[0]]! + symbols[best[1]]!)
      expected.push([symbols[best[0]]!, symbols[best[1]]!])
      for (const seg of segs) {
        const out: Array<number> = []
        for (let i = 0; i < seg.s.length; i++) {
          if (i + 1 < seg.s.length && seg.s[i] === best[0] && seg.s[i + 1] === best[1]) {
            out.push(id)
            i++
          } else out.push(seg.s[i]!)
        }
        seg.s = out
      }
    }
    expect(expected.length).toBe(80)
    expect(tok.merges).toEqual(expected)
  })

  it("merges the most frequent pair first", () => {
    // "ab" occurs 6 times, then "abc" 4 times, "xy" 3 times.
    const tok = train(["ab ab ab ab", "abc abc", "xy xy xy"], { vocabSize: 256 + 5 + 3, specialTokens: SPECIAL_TOKENS })
    expect(tok.merges.slice(0, 1)).toEqual([["a", "b"]])
    expect(tok.merges).toContainEqual(["Ġ", "ab"])
    expect(tok.encode(" abc")).toHaveLength(new Set(tok.encode(" abc")).size)
  })

  it("saves and loads as tokenizer.json with the same encoding", () => {
    const tok = train(corpus, { vocabSize: 330 })
    const json = JSON.parse(JSON.stringify(tok.toJSON()))
    expect(json.model.type).toBe("BPE")
    expect(json.pre_tokenizer.type).toBe("ByteLevel")
    expect(json.added_tokens.map((t: { content: string }) => t.content)).toEqual(SPECIAL_TOKENS)
    const back = fromJSON(json)
    expect(back.size).toBe(tok.size)
    for (const text of corpus) expect(back.encode(text)).toEqual(tok.encode(text))
    // Merges written as pairs (newer tokenizers) load the same.
    const pairs = { ...json, model: { ...json.model, merges: json.model.merges.map((m: string) => m.split(" ")) } }
    expect(fromJSON(pairs).encode(corpus[0]!)).toEqual(tok.encode(corpus[0]!))
    expect(() => fromJSON({ model: { type: "WordPiece" } })).toThrow(/byte-level BPE/)
  })
})
