import { describe, expect, it } from "@effect/vitest"
import { formatMeanCi, meanCi, overlaps, pct, studentTCdf, studentTQuantile } from "../src/Stats"

describe("Student t", () => {
  it("matches published two-sided 95% critical values", () => {
    const table: Array<[number, number]> = [[1, 12.706], [2, 4.303], [3, 3.182], [4, 2.776], [9, 2.262], [29, 2.045], [120, 1.98]]
    for (const [df, t] of table) expect(studentTQuantile(0.975, df)).toBeCloseTo(t, 3)
    expect(studentTQuantile(0.975, 1e6)).toBeCloseTo(1.96, 2)
  })

  it("has a symmetric CDF with the right centre and tails", () => {
    expect(studentTCdf(0, 5)).toBeCloseTo(0.5, 12)
    expect(studentTCdf(-2.015, 5)).toBeCloseTo(0.05, 3)
    expect(studentTCdf(1, 1)).toBeCloseTo(0.75, 10) // Cauchy: 1/2 + atan(1)/pi
    expect(studentTQuantile(0.025, 4)).toBeCloseTo(-2.776, 3)
  })
})

describe("meanCi", () => {
  it("computes the mean and the t interval over seeds", () => {
    const m = meanCi([0.6, 0.62, 0.64])
    expect(m.mean).toBeCloseTo(0.62, 12)
    expect(m.sd).toBeCloseTo(0.02, 12)
    // 4.303 * 0.02 / sqrt(3)
    expect(m.halfWidth).toBeCloseTo(0.049686, 5)
    expect(formatMeanCi(m)).toBe("62.0 ± 5.0")
  })

  it("gives no interval for one seed and NaN for none", () => {
    const one = meanCi([0.674])
    expect(one.halfWidth).toBeUndefined()
    expect(formatMeanCi(one)).toBe("67.4")
    expect(Number.isNaN(meanCi([]).mean)).toBe(true)
    expect(pct(Number.NaN)).toBe("n/a")
  })

  it("detects overlapping intervals", () => {
    expect(overlaps(meanCi([0.5, 0.6]), meanCi([0.55]))).toBe(true)
    expect(overlaps(meanCi([0.5, 0.51, 0.52]), meanCi([0.7, 0.71, 0.72]))).toBe(false)
  })
})
