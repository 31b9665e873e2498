/**
 * A small, fast, seeded generator (sfc32 seeded through splitmix32) for every
 * random choice the project makes, so the same seed gives the same run on
 * every machine.
 */

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number
  /** Uniform integer in [0, n). */
  int(n: number): number
  /** One element of a non-empty array. */
  pick<A>(items: ReadonlyArray<A>): A
  /** A new array with the items in a random order (Fisher-Yates). */
  shuffle<A>(items: ReadonlyArray<A>): Array<A>
  /** An independent generator derived from this one and a label. */
  fork(label: string | number): Rng
}

const splitmix32 = (seed: number) => {
  let s = seed >>> 0
  return () => {
    s = (s + 0x9e3779b9) >>> 0
    let z = s
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
    return (z ^ (z >>> 16)) >>> 0
  }
}

/** A 32-bit FNV-1a hash of a string, to turn labels into seeds. */
export const hashString = (text: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h >>> 0
}

export const make = (seed: number | string): Rng => {
  const init = splitmix32(typeof seed === "string" ? hashString(seed) : seed)
  let a = init(), b = init(), c = init(), d = init()
  const next32 = () => {
    const t = (((a + b) >>> 0) + d) >>> 0
    d = (d + 1) >>> 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) >>> 0
    c = (c << 21) | (c >>> 11)
    c = (c + t) >>> 0
    return t
  }
  for (let i = 0; i < 12; i++) next32()
  const rng: Rng = {
    next: () => next32() / 4294967296,
    int: (n) => Math.floor((next32() / 4294967296) * n),
    pick: (items) => items[Math.floor((next32() / 4294967296) * items.length)]!,
    shuffle: (items) => {
      const out = items.slice()
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor((next32() / 4294967296) * (i + 1))
        const tmp = out[i]!
        out[i] = out[j]!
        out[j] = tmp
      }
      return out
    },
    fork: (label) => make((next32() ^ hashString(String(label))) >>> 0)
  }
  return rng
}
