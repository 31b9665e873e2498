/**
 * Statistics over seeds: the mean and its 95% confidence interval from
 * Student's t distribution (n - 1 degrees of freedom). One seed gives a mean
 * and no interval.
 */

/** ln Γ(x) for x > 0 (Lanczos approximation, g = 7, 9 terms). */
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7
]
export const logGamma = (x: number): number => {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x)
  const z = x - 1
  let a = LANCZOS[0]!
  const t = z + 7.5
  for (let i = 1; i < 9; i++) a += LANCZOS[i]! / (z + i)
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a)
}

/** Continued fraction of the incomplete beta function (modified Lentz). */
const betaContinuedFraction = (a: number, b: number, x: number): number => {
  const tiny = 1e-300
  let c = 1
  let d = 1 - ((a + b) * x) / (a + 1)
  if (Math.abs(d) < tiny) d = tiny
  d = 1 / d
  let h = d
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2))
    d = 1 + aa * d
    if (Math.abs(d) < tiny) d = tiny
    c = 1 + aa / c
    if (Math.abs(c) < tiny) c = tiny
    d = 1 / d
    h *= d * c
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1))
    d = 1 + aa * d
    if (Math.abs(d) < tiny) d = tiny
    c = 1 + aa / c
    if (Math.abs(c) < tiny) c = tiny
    d = 1 / d
    const del = d * c
    h *= del
    if (Math.abs(del - 1) < 1e-15) break
  }
  return h
}

/** The regularized incomplete beta function I_x(a, b). */
export const incompleteBeta = (x: number, a: number, b: number): number => {
  if (x <= 0) return 0
  if (x >= 1) return 1
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x))
  return x < (a + 1) / (a + b + 2)
    ? (front * betaContinuedFraction(a, b, x)) / a
    : 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b
}

/** P(T <= t) for Student's t with `df` degrees of freedom. */
export const studentTCdf = (t: number, df: number): number => {
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5)
  return t >= 0 ? 1 - tail : tail
}

/** The `p` quantile of Student's t with `df` degrees of freedom (bisection on the CDF). */
export const studentTQuantile = (p: number, df: number): number => {
  if (!(p > 0 && p < 1) || !(df > 0)) throw new RangeError(`t quantile needs 0 < p < 1 and df > 0 (got p=${p}, df=${df})`)
  if (p === 0.5) return 0
  if (p < 0.5) return -studentTQuantile(1 - p, df)
  let lo = 0
  let hi = 1
  while (studentTCdf(hi, df) < p) hi *= 2
  for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2
    if (studentTCdf(mid, df) < p) lo = mid
    else hi = mid
  }
  return (lo + hi) / 2
}

export interface MeanCi {
  readonly n: number
  readonly mean: number
  /** Sample standard deviation (n - 1); undefined for one value. */
  readonly sd: number | undefined
  /** Half-width of the 95% interval; undefined for one value. */
  readonly halfWidth: number | undefined
  readonly low: number | undefined
  readonly high: number | undefined
}

/** Mean and 95% (or `level`) confidence interval of the values; NaN mean for none. */
export const meanCi = (values: ReadonlyArray<number>, level = 0.95): MeanCi => {
  const n = values.length
  const mean = n === 0 ? Number.NaN : values.reduce((s, v) => s + v, 0) / n
  if (n < 2) return { n, mean, sd: undefined, halfWidth: undefined, low: undefined, high: undefined }
  const variance = values.reduce((s, v) => s + (v - mean) * (v - mean), 0) / (n - 1)
  const sd = Math.sqrt(variance)
  const halfWidth = studentTQuantile(1 - (1 - level) / 2, n - 1) * (sd / Math.sqrt(n))
  return { n, mean, sd, halfWidth, low: mean - halfWidth, high: mean + halfWidth }
}

/** Whether two intervals overlap; a missing interval counts as its point. */
export const overlaps = (a: MeanCi, b: MeanCi): boolean => {
  const aLo = a.low ?? a.mean, aHi = a.high ?? a.mean
  const bLo = b.low ?? b.mean, bHi = b.high ?? b.mean
  return aLo <= bHi && bLo <= aHi
}

/** A [0, 1] quantity as the paper prints it: x100, one decimal. */
export const pct = (x: number, digits = 1): string => (Number.isFinite(x) ? (x * 100).toFixed(digits) : "n/a")

/** "67.4 ± 1.2" (x100), or "67.4" when there is no interval. */
export const formatMeanCi = (m: MeanCi, digits = 1): string =>
  m.halfWidth === undefined ? pct(m.mean, digits) : `${pct(m.mean, digits)} ± ${pct(m.halfWidth, digits)}`
