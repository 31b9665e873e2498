/**
 * Ground facts of one game as integers. Constants are numbered in code-point
 * order of their (lower-case) ids, so sorting encoded facts numerically sorts
 * them by argument ids, which is the order the text generator enumerates them in.
 *
 * A fact `p(a0, ..., ak)` is stored as the key `((a0 * N) + a1) * N + ...` in
 * its predicate's table, with one index per argument position.
 */

export class FactTable {
  readonly keys = new Set<number>()
  /** byArg[i]: constant id -> keys whose i-th argument is that constant. */
  readonly byArg: Array<Map<number, Set<number>>>

  constructor(readonly arity: number) {
    this.byArg = arity >= 2 ? Array.from({ length: arity }, () => new Map()) : []
  }

  add(key: number, n: number): boolean {
    if (this.keys.has(key)) return false
    this.keys.add(key)
    if (this.arity >= 2) {
      let k = key
      for (let i = this.arity - 1; i >= 0; i--) {
        const a = k % n
        k = (k - a) / n
        let bucket = this.byArg[i]!.get(a)
        if (bucket === undefined) this.byArg[i]!.set(a, (bucket = new Set()))
        bucket.add(key)
      }
    }
    return true
  }

  delete(key: number, n: number): boolean {
    if (!this.keys.delete(key)) return false
    if (this.arity >= 2) {
      let k = key
      for (let i = this.arity - 1; i >= 0; i--) {
        const a = k % n
        k = (k - a) / n
        this.byArg[i]!.get(a)?.delete(key)
      }
    }
    return true
  }

  clone(n: number): FactTable {
    const t = new FactTable(this.arity)
    for (const k of this.keys) t.add(k, n)
    return t
  }
}

/** Encodes a tuple of constant ids. */
export const encode = (args: ArrayLike<number>, n: number): number => {
  let key = 0
  for (let i = 0; i < args.length; i++) key = key * n + args[i]!
  return key
}

/** Decodes a key into `out` (length = arity). */
export const decode = (key: number, n: number, out: Array<number>, arity: number): void => {
  let k = key
  for (let i = arity - 1; i >= 0; i--) {
    const a = k % n
    out[i] = a
    k = (k - a) / n
  }
}

/**
 * The mutable part of a game: positive facts and the explicit negations that
 * the text generator can query as `not_<predicate>`. Tables of static
 * predicates are shared between copies.
 */
export class State {
  constructor(
    readonly n: number,
    readonly pos: Array<FactTable>,
    readonly neg: Array<FactTable>,
    readonly fluent: ReadonlyArray<boolean>
  ) {}

  has(pred: number, key: number): boolean {
    return this.pos[pred]!.keys.has(key)
  }

  add(pred: number, key: number): void {
    this.pos[pred]!.add(key, this.n)
    this.neg[pred]!.delete(key, this.n)
  }

  remove(pred: number, key: number): void {
    this.pos[pred]!.delete(key, this.n)
    this.neg[pred]!.add(key, this.n)
  }

  clone(): State {
    return new State(
      this.n,
      this.pos.map((t, i) => (this.fluent[i] ? t.clone(this.n) : t)),
      this.neg.map((t, i) => (this.fluent[i] ? t.clone(this.n) : t)),
      this.fluent
    )
  }
}
