/**
 * Fuzz targets: a generator of inputs (fast-check) and a check that throws
 * when an input breaks the target's contract. The same targets run bounded
 * in `pnpm test` (fuzz.test.ts, with shrinking) and at any size in
 * `pnpm bench:fuzz` (which counts every failing input).
 */
import fc from "fast-check"

export interface Prepared<T> {
  readonly arbitrary: fc.Arbitrary<T>
  /**
   * Throws (or rejects) when `input` breaks the contract; may name the
   * path the input took (e.g. "accepted" / "rejected"), tallied per run.
   */
  readonly check: (input: T) => string | void | Promise<string | void>
  /** Releases what `prepare` set up (temporary files, the working directory). */
  readonly dispose?: () => void | Promise<void>
}

export interface FuzzTarget<T = any> {
  readonly name: string
  /** What is fuzzed and what must hold, in one line. */
  readonly contract: string
  /** Loads data and builds the generator once; the inputs then run against it. */
  readonly prepare: () => Promise<Prepared<T>>
}

export interface FuzzRun {
  readonly target: string
  readonly inputs: number
  readonly failures: number
  readonly seconds: number
  /** How many inputs took each path the check named. */
  readonly outcomes: Readonly<Record<string, number>>
  /** The first failing input and what broke, shortened. */
  readonly firstFailure?: string | undefined
}

const shorten = (text: string, max = 400) => (text.length > max ? `${text.slice(0, max)}…` : text)

/** Runs `inputs` inputs of a target, counting the failing ones instead of stopping at the first. */
export const runTarget = async (target: FuzzTarget, inputs: number, seed: number): Promise<FuzzRun> => {
  const prepared = await target.prepare()
  const t0 = performance.now()
  let failures = 0
  let firstFailure: string | undefined
  const outcomes: Record<string, number> = {}
  try {
    await fc.check(
      fc.asyncProperty(prepared.arbitrary, async (input) => {
        try {
          const outcome = await prepared.check(input)
          if (typeof outcome === "string") outcomes[outcome] = (outcomes[outcome] ?? 0) + 1
        } catch (e) {
          failures++
          firstFailure ??= `${e instanceof Error ? e.message : String(e)} on ${shorten(fc.stringify(input))}`
        }
        return true
      }),
      { numRuns: inputs, seed }
    )
  } finally {
    await prepared.dispose?.()
  }
  const seconds = (performance.now() - t0) / 1000
  return { target: target.name, inputs, failures, seconds, outcomes, firstFailure: firstFailure && shorten(firstFailure, 1000) }
}

/** Throws with `message` unless `ok`. */
export const expectThat = (ok: boolean, message: () => string): void => {
  if (!ok) throw new Error(message())
}

/** A rejection message a person can act on: one line, no internal dump. */
export const expectOneLine = (message: string, what: string): void => {
  expectThat(message.length > 0 && !/[\r\n]/.test(message), () => `${what}: not one line: ${JSON.stringify(message)}`)
  expectThat(!/Cause\(|SchemaError\(|\bat \S+\.ts:\d+|\[object Object\]/.test(message), () => `${what}: internal dump: ${message}`)
}
