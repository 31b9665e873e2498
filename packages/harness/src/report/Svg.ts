/**
 * Charts as plain SVG text: a line chart (e.g. reward over ETO iterations,
 * the paper's Figure 4) and a grouped bar chart (e.g. the main table), both
 * with axes, ticks, axis labels, a legend and optional 95% interval whiskers.
 */

export interface Point {
  readonly x: number
  readonly y: number
  /** Interval bounds drawn as a whisker. */
  readonly low?: number | undefined
  readonly high?: number | undefined
}

export interface LineSeries {
  readonly name: string
  readonly points: ReadonlyArray<Point>
  /** Drawn dashed (e.g. a reference level). */
  readonly dashed?: boolean
}

export interface LineChartSpec {
  readonly title: string
  readonly xLabel: string
  readonly yLabel: string
  readonly series: ReadonlyArray<LineSeries>
  /** Integer x ticks only (iterations). */
  readonly integerX?: boolean
  readonly yMin?: number
  readonly yMax?: number
  readonly width?: number
  readonly height?: number
}

export interface BarValue {
  readonly y: number
  readonly low?: number | undefined
  readonly high?: number | undefined
}

export interface BarChartSpec {
  readonly title: string
  readonly yLabel: string
  /** Category names along the x axis. */
  readonly groups: ReadonlyArray<string>
  /** One bar per series in each group. */
  readonly series: ReadonlyArray<string>
  /** values[g][s]; `undefined` leaves the slot empty. */
  readonly values: ReadonlyArray<ReadonlyArray<BarValue | undefined>>
  readonly yMin?: number
  readonly yMax?: number
  readonly width?: number
  readonly height?: number
}

/** Okabe-Ito colours, distinguishable with colour-vision deficiencies. */
/** Okabe-Ito's colour-blind-safe colours, then darker and lighter companions, so up to 16 series stay distinct. */
export const PALETTE = [
  "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000",
  "#004C7A", "#9C6B00", "#00694D", "#8F3F00", "#8A4F72", "#9AD0F0", "#A39800", "#7F7F7F"
]

export const escapeXml = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")

const r2 = (v: number): string => (Math.round(v * 100) / 100).toString()

/** Round tick positions covering [lo, hi], about `target` of them. */
export const niceTicks = (lo: number, hi: number, target = 6): Array<number> => {
  if (!(hi > lo)) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1
    return niceTicks(lo - pad, hi + pad, target)
  }
  const raw = (hi - lo) / Math.max(1, target - 1)
  const mag = Math.pow(10, Math.floor(Math.log10(raw)))
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag
  const start = Math.floor(lo / step + 1e-9) * step
  const ticks: Array<number> = []
  for (let v = start; v <= hi + step * 0.5 + 1e-9; v += step) ticks.push(Math.round(v / step) * step)
  while (ticks.length > 0 && ticks[ticks.length - 1]! - step >= hi - 1e-9) ticks.pop()
  if (ticks[ticks.length - 1]! < hi - 1e-9) ticks.push(ticks[ticks.length - 1]! + step)
  return ticks.map((t) => Number(t.toPrecision(12)))
}

const tickLabel = (v: number): string => (Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6))))

interface Frame {
  readonly width: number
  readonly height: number
  readonly left: number
  readonly right: number
  readonly top: number
  readonly bottom: number
}

const legendWidth = (names: ReadonlyArray<string>): number => Math.min(260, 40 + 7 * Math.max(0, ...names.map((n) => n.length)))

const header = (f: Frame, title: string): Array<string> => [
  `<svg xmlns="http://www.w3.org/2000/svg" width="${f.width}" height="${f.height}" viewBox="0 0 ${f.width} ${f.height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
  `<rect x="0" y="0" width="${f.width}" height="${f.height}" fill="#ffffff"/>`,
  `<text x="${r2(f.width / 2)}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`
]

const yAxis = (f: Frame, ticks: ReadonlyArray<number>, toY: (v: number) => number, label: string): Array<string> => {
  const out: Array<string> = []
  for (const t of ticks) {
    const y = r2(toY(t))
    out.push(`<line x1="${f.left}" x2="${f.width - f.right}" y1="${y}" y2="${y}" stroke="#e5e5e5"/>`)
    out.push(`<line x1="${f.left - 5}" x2="${f.left}" y1="${y}" y2="${y}" stroke="#333"/>`)
    out.push(`<text x="${f.left - 8}" y="${y}" text-anchor="end" dominant-baseline="middle">${tickLabel(t)}</text>`)
  }
  out.push(`<line x1="${f.left}" x2="${f.left}" y1="${f.top}" y2="${f.height - f.bottom}" stroke="#333"/>`)
  const midY = r2((f.top + f.height - f.bottom) / 2)
  out.push(`<text x="16" y="${midY}" text-anchor="middle" transform="rotate(-90 16 ${midY})">${escapeXml(label)}</text>`)
  return out
}

const legend = (
  f: Frame,
  entries: ReadonlyArray<{ name: string; color: string; kind: "line" | "box"; dashed?: boolean }>
): Array<string> => {
  const x = f.width - f.right + 14
  const out = [`<g class="legend">`]
  entries.forEach((e, i) => {
    const y = f.top + 8 + i * 20
    out.push(
      e.kind === "line"
        ? `<line x1="${x}" x2="${x + 22}" y1="${y}" y2="${y}" stroke="${e.color}" stroke-width="2.5"${e.dashed ? " stroke-dasharray=\"6 4\"" : ""}/>`
        : `<rect x="${x + 5}" y="${y - 6}" width="12" height="12" fill="${e.color}"/>`
    )
    out.push(`<text x="${x + 30}" y="${y}" dominant-baseline="middle">${escapeXml(e.name)}</text>`)
  })
  out.push(`</g>`)
  return out
}

const whisker = (x: number, lo: number, hi: number, color: string): string =>
  `<path d="M${r2(x - 4)} ${r2(lo)}H${r2(x + 4)}M${r2(x)} ${r2(lo)}V${r2(hi)}M${r2(x - 4)} ${r2(hi)}H${r2(x + 4)}" stroke="${color}" stroke-width="1.2" fill="none"/>`

const yRange = (values: ReadonlyArray<number>, yMin?: number, yMax?: number): [number, number] => {
  const finite = values.filter(Number.isFinite)
  const lo = yMin ?? Math.min(0, ...finite)
  const hi = yMax ?? (finite.length === 0 ? 1 : Math.max(...finite))
  return [lo, hi]
}

export const lineChart = (spec: LineChartSpec): string => {
  const names = spec.series.map((s) => s.name)
  const f: Frame = {
    width: spec.width ?? 720,
    height: spec.height ?? 420,
    left: 64,
    right: legendWidth(names) + 16,
    top: 40,
    bottom: 56
  }
  const pts = spec.series.flatMap((s) => s.points)
  const xs = pts.map((p) => p.x)
  const ys = pts.flatMap((p) => [p.y, p.low ?? p.y, p.high ?? p.y])
  const [yLo, yHi] = yRange(ys, spec.yMin, spec.yMax)
  const yTicks = niceTicks(yLo, yHi)
  const xLo = xs.length === 0 ? 0 : Math.min(...xs)
  const xHi = xs.length === 0 ? 1 : Math.max(...xs)
  const xTicks = spec.integerX === true
    ? Array.from({ length: Math.floor(xHi) - Math.ceil(xLo) + 1 }, (_, i) => Math.ceil(xLo) + i)
    : niceTicks(xLo, xHi)
  const x0 = Math.min(xTicks[0] ?? xLo, xLo), x1 = Math.max(xTicks[xTicks.length - 1] ?? xHi, xHi)
  const y0 = yTicks[0]!, y1 = yTicks[yTicks.length - 1]!
  const plotW = f.width - f.left - f.right, plotH = f.height - f.top - f.bottom
  const pad = plotW * 0.04
  const toX = (v: number) => f.left + pad + (x1 === x0 ? (plotW - 2 * pad) / 2 : ((v - x0) / (x1 - x0)) * (plotW - 2 * pad))
  const toY = (v: number) => f.top + plotH - ((v - y0) / (y1 - y0)) * plotH
  const out = header(f, spec.title)
  out.push(...yAxis(f, yTicks, toY, spec.yLabel))
  const base = f.height - f.bottom
  out.push(`<line x1="${f.left}" x2="${f.width - f.right}" y1="${base}" y2="${base}" stroke="#333"/>`)
  for (const t of xTicks) {
    const x = r2(toX(t))
    out.push(`<line x1="${x}" x2="${x}" y1="${base}" y2="${base + 5}" stroke="#333"/>`)
    out.push(`<text x="${x}" y="${base + 18}" text-anchor="middle">${tickLabel(t)}</text>`)
  }
  out.push(`<text x="${r2(f.left + plotW / 2)}" y="${f.height - 14}" text-anchor="middle">${escapeXml(spec.xLabel)}</text>`)
  spec.series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length]!
    const sorted = [...s.points].sort((a, b) => a.x - b.x)
    if (sorted.length > 0) {
      const d = sorted.map((p, k) => `${k === 0 ? "M" : "L"}${r2(toX(p.x))} ${r2(toY(p.y))}`).join("")
      out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2.5"${s.dashed ? " stroke-dasharray=\"6 4\"" : ""}/>`)
    }
    for (const p of sorted) {
      if (p.low !== undefined && p.high !== undefined) out.push(whisker(toX(p.x), toY(p.low), toY(p.high), color))
      if (!s.dashed) out.push(`<circle cx="${r2(toX(p.x))}" cy="${r2(toY(p.y))}" r="3.5" fill="${color}"/>`)
    }
  })
  out.push(...legend(f, spec.series.map((s, i) => ({ name: s.name, color: PALETTE[i % PALETTE.length]!, kind: "line" as const, dashed: s.dashed === true }))))
  out.push("</svg>")
  return out.join("\n") + "\n"
}

export const barChart = (spec: BarChartSpec): string => {
  const f: Frame = {
    width: spec.width ?? Math.max(640, 120 + spec.groups.length * (40 + 22 * spec.series.length) + legendWidth(spec.series)),
    height: spec.height ?? 420,
    left: 64,
    right: legendWidth(spec.series) + 16,
    top: 40,
    bottom: 64
  }
  const vals = spec.values.flatMap((g) => g.flatMap((v) => (v === undefined ? [] : [v.y, v.low ?? v.y, v.high ?? v.y])))
  const [yLo, yHi] = yRange(vals, spec.yMin, spec.yMax)
  const yTicks = niceTicks(yLo, yHi)
  const y0 = yTicks[0]!, y1 = yTicks[yTicks.length - 1]!
  const plotW = f.width - f.left - f.right, plotH = f.height - f.top - f.bottom
  const toY = (v: number) => f.top + plotH - ((v - y0) / (y1 - y0)) * plotH
  const out = header(f, spec.title)
  out.push(...yAxis(f, yTicks, toY, spec.yLabel))
  const groupW = plotW / Math.max(1, spec.groups.length)
  const barW = Math.min(28, (groupW * 0.8) / Math.max(1, spec.series.length))
  const zero = toY(Math.max(y0, Math.min(0, y1)))
  spec.groups.forEach((g, gi) => {
    const cx = f.left + groupW * (gi + 0.5)
    const start = cx - (barW * spec.series.length) / 2
    spec.series.forEach((_, si) => {
      const v = spec.values[gi]?.[si]
      if (v === undefined) return
      const color = PALETTE[si % PALETTE.length]!
      const x = start + si * barW
      const y = toY(v.y)
      out.push(`<rect x="${r2(x + 1)}" y="${r2(Math.min(y, zero))}" width="${r2(barW - 2)}" height="${r2(Math.abs(zero - y))}" fill="${color}"/>`)
      if (v.low !== undefined && v.high !== undefined) out.push(whisker(x + barW / 2, toY(v.low), toY(v.high), "#222"))
    })
    out.push(`<text x="${r2(cx)}" y="${f.height - f.bottom + 18}" text-anchor="middle">${escapeXml(g)}</text>`)
  })
  out.push(`<line x1="${f.left}" x2="${f.width - f.right}" y1="${r2(zero)}" y2="${r2(zero)}" stroke="#333"/>`)
  out.push(...legend(f, spec.series.map((s, i) => ({ name: s, color: PALETTE[i % PALETTE.length]!, kind: "box" as const }))))
  out.push("</svg>")
  return out.join("\n") + "\n"
}
