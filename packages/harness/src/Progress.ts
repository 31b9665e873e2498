/**
 * A progress bar on standard error. On a terminal it redraws one line (at most
 * ten times a second); elsewhere (pipes, files, CI logs) it stays quiet and
 * only the final line is written.
 */
import type { IoShape } from "./Io"

export interface Progress {
  /** Reports `done` of `total` units, with an optional short status text. */
  update(done: number, status?: string): void
  /** Clears the bar and writes one closing line. */
  finish(line: string): void
}

const WIDTH = 24

const clock = (seconds: number): string => {
  if (!Number.isFinite(seconds)) return "--:--"
  const s = Math.max(0, Math.round(seconds))
  const m = Math.floor(s / 60)
  return `${String(m).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`
}

/** Renders the bar's text (exported for tests). */
export const renderBar = (label: string, done: number, total: number, elapsedSeconds: number, status = ""): string => {
  const share = total > 0 ? Math.min(1, done / total) : 1
  const filled = Math.round(share * WIDTH)
  const eta = done > 0 ? (elapsedSeconds / done) * (total - done) : Number.POSITIVE_INFINITY
  const bar = "#".repeat(filled) + "-".repeat(WIDTH - filled)
  return `${label} [${bar}] ${done}/${total} ${(share * 100).toFixed(0)}% eta ${clock(eta)}${status ? ` ${status}` : ""}`
}

export const makeProgress = (io: IoShape, label: string, total: number, now: () => number = Date.now): Progress => {
  const started = now()
  let lastDraw = 0
  let drawn = false
  return {
    update: (done, status) => {
      if (!io.stderrIsTTY) return
      const t = now()
      if (done < total && t - lastDraw < 100) return
      lastDraw = t
      drawn = true
      io.writeErr(`\r\x1b[2K${renderBar(label, done, total, (t - started) / 1000, status)}`)
    },
    finish: (line) => {
      io.writeErr(`${drawn ? "\r\x1b[2K" : ""}${line}\n`)
    }
  }
}
