/**
 * Batching of concurrent requests: a request's sequences wait in a queue;
 * the first arrival opens a short window (`windowMs`), and everything queued
 * when it closes (up to `maxSequences`; a request's sequences stay together)
 * becomes one engine call. Calls run one at a time; requests that arrive
 * during a call form the next one.
 */
import type { SequenceJob, SequenceResult } from "./Decode"

export interface BatchRecord {
  readonly requests: number
  readonly sequences: number
  readonly completionTokens: number
  readonly seconds: number
}

export interface BatcherStats {
  readonly batches: number
  readonly requests: number
  readonly sequences: number
  /** Most requests served by one engine call. */
  readonly largestBatch: number
  readonly promptTokens: number
  readonly completionTokens: number
  /** The latest engine calls (at most 100), oldest first. */
  readonly recent: ReadonlyArray<BatchRecord>
}

export interface Batcher {
  /** Runs a request's sequences in the next engine call; their results in order. */
  submit(jobs: ReadonlyArray<SequenceJob>): Promise<Array<SequenceResult>>
  stats(): BatcherStats
}

interface Pending {
  readonly jobs: ReadonlyArray<SequenceJob>
  readonly resolve: (r: Array<SequenceResult>) => void
  readonly reject: (e: unknown) => void
}

export const makeBatcher = (
  run: (jobs: ReadonlyArray<SequenceJob>) => Promise<Array<SequenceResult>>,
  o: { readonly windowMs: number; readonly maxSequences: number; readonly onBatch?: (b: BatchRecord) => void }
): Batcher => {
  const queue: Array<Pending> = []
  let busy = false
  const totals = { batches: 0, requests: 0, sequences: 0, largestBatch: 0, promptTokens: 0, completionTokens: 0 }
  const recent: Array<BatchRecord> = []

  const runNext = async () => {
    const batch: Array<Pending> = []
    let sequences = 0
    while (queue.length > 0 && (batch.length === 0 || sequences + queue[0]!.jobs.length <= o.maxSequences)) {
      const p = queue.shift()!
      batch.push(p)
      sequences += p.jobs.length
    }
    const t0 = performance.now()
    try {
      const results = await run(batch.flatMap((p) => p.jobs))
      let k = 0
      for (const p of batch) {
        p.resolve(results.slice(k, k + p.jobs.length))
        k += p.jobs.length
      }
      const record = {
        requests: batch.length,
        sequences,
        completionTokens: results.reduce((s, r) => s + r.completionTokens, 0),
        seconds: (performance.now() - t0) / 1000
      }
      totals.batches++
      totals.requests += batch.length
      totals.sequences += sequences
      totals.largestBatch = Math.max(totals.largestBatch, batch.length)
      totals.promptTokens += results.reduce((s, r) => s + r.promptTokens, 0)
      totals.completionTokens += record.completionTokens
      recent.push(record)
      if (recent.length > 100) recent.shift()
      o.onBatch?.(record)
    } catch (e) {
      for (const p of batch) p.reject(e)
    }
  }

  const pump = () => {
    if (busy || queue.length === 0) return
    busy = true
    setTimeout(() => {
      runNext().finally(() => {
        busy = false
        pump()
      })
    }, o.windowMs)
  }

  return {
    submit: (jobs) =>
      new Promise((resolve, reject) => {
        queue.push({ jobs, resolve, reject })
        pump()
      }),
    stats: () => ({ ...totals, recent: [...recent] })
  }
}
