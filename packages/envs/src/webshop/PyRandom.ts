/**
 * CPython's `random` module, the parts WebShop's goal construction uses:
 * MT19937 seeded from a non-negative integer exactly as `random.seed(n)`
 * does, `random()`, `uniform`, `getrandbits`, `_randbelow`, `shuffle` and
 * `sample(population, 2)`. Same seed, same numbers as Python on every machine.
 */

const N = 624
const M = 397
const UPPER = 0x80000000
const LOWER = 0x7fffffff
const MATRIX_A = 0x9908b0df

export class PyRandom {
  private readonly mt = new Uint32Array(N)
  private mti = N + 1

  constructor(seed: number | bigint = 0) {
    this.seed(seed)
  }

  /** `random.seed(n)` for a non-negative integer n. */
  seed(seed: number | bigint): void {
    let n = BigInt(seed)
    if (n < 0n) n = -n
    const key: Array<number> = []
    while (n > 0n) {
      key.push(Number(n & 0xffffffffn))
      n >>= 32n
    }
    if (key.length === 0) key.push(0)
    this.initByArray(key)
  }

  private initGenrand(s: number): void {
    const mt = this.mt
    mt[0] = s >>> 0
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30)
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0
    }
    this.mti = N
  }

  private initByArray(key: ReadonlyArray<number>): void {
    const mt = this.mt
    this.initGenrand(19650218)
    let i = 1
    let j = 0
    for (let k = Math.max(N, key.length); k > 0; k--) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30)
      mt[i] = ((mt[i]! ^ Math.imul(prev, 1664525)) + key[j]! + j) >>> 0
      i++
      j++
      if (i >= N) {
        mt[0] = mt[N - 1]!
        i = 1
      }
      if (j >= key.length) j = 0
    }
    for (let k = N - 1; k > 0; k--) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30)
      mt[i] = ((mt[i]! ^ Math.imul(prev, 1566083941)) - i) >>> 0
      i++
      if (i >= N) {
        mt[0] = mt[N - 1]!
        i = 1
      }
    }
    mt[0] = 0x80000000
  }

  /** The next raw 32-bit output. */
  next32(): number {
    const mt = this.mt
    if (this.mti >= N) {
      let kk = 0
      for (; kk < N - M; kk++) {
        const y = (mt[kk]! & UPPER) | (mt[kk + 1]! & LOWER)
        mt[kk] = mt[kk + M]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0)
      }
      for (; kk < N - 1; kk++) {
        const y = (mt[kk]! & UPPER) | (mt[kk + 1]! & LOWER)
        mt[kk] = mt[kk + (M - N)]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0)
      }
      const y = (mt[N - 1]! & UPPER) | (mt[0]! & LOWER)
      mt[N - 1] = mt[M - 1]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0)
      this.mti = 0
    }
    let y = mt[this.mti++]!
    y ^= y >>> 11
    y ^= (y << 7) & 0x9d2c5680
    y ^= (y << 15) & 0xefc60000
    y ^= y >>> 18
    return y >>> 0
  }

  /** `random.random()`: 53 random bits in [0, 1). */
  random(): number {
    const a = this.next32() >>> 5
    const b = this.next32() >>> 6
    return (a * 67108864 + b) / 9007199254740992
  }

  /** `random.uniform(a, b)`. */
  uniform(a: number, b: number): number {
    return a + (b - a) * this.random()
  }

  /** `random.getrandbits(k)` for 1 <= k <= 32. */
  getrandbits(k: number): number {
    return this.next32() >>> (32 - k)
  }

  /** `random._randbelow(n)` for 1 <= n < 2^32 (rejection sampling on bit length). */
  randbelow(n: number): number {
    const k = 32 - Math.clz32(n)
    let r = this.getrandbits(k)
    while (r >= n) r = this.getrandbits(k)
    return r
  }

  /** `random.shuffle(items)`, in place. */
  shuffle<A>(items: Array<A>): void {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.randbelow(i + 1)
      const tmp = items[i]!
      items[i] = items[j]!
      items[j] = tmp
    }
  }

  /** `random.sample(population, 2)` for a small population (the set-free branch). */
  sample2<A>(population: ReadonlyArray<A>): [A, A] {
    const n = population.length
    if (n < 2) throw new RangeError("sample2: population smaller than 2")
    const pool = population.slice()
    const out: Array<A> = []
    for (let i = 0; i < 2; i++) {
      const j = this.randbelow(n - i)
      out.push(pool[j]!)
      pool[j] = pool[n - i - 1]!
    }
    return [out[0]!, out[1]!]
  }
}
