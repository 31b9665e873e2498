/**
 * Perturbed expert demonstrations (noise injection into demonstrations, as
 * in DART, Laskey et al. 2017). Behaviour cloning on clean expert episodes
 * never shows what to do after a mistake, so a model that makes one keeps
 * making it. These are extra expert episodes per task in which, at seeded
 * random turns, a plausible wrong action replaces the expert's, after which
 * the expert carries on from that history and recovers.
 *
 * A wrong action is one of (weights 2 : 1 : 1 among the kinds that have a
 * candidate at that turn):
 *   - "valid": one of the environment's currently valid actions other than
 *     the expert's (takes the wrong object, goes to the wrong place);
 *   - "repeat": the previous action again (which usually does nothing, or
 *     undoes progress);
 *   - "earlier": an action taken earlier in the episode (e.g. `go to` the
 *     place the agent already stands at).
 * The injected turn keeps the expert's thought for that turn and is marked
 * `loss: false` (Turn.loss): training keeps it and its observation in the
 * context and puts no loss on it; the expert's turns around it train.
 *
 * It needs an expert whose reply is a function of the episode's history
 * (it replays the history and re-plans): ALFWorld's, ScienceWorld's and
 * WebShop's experts are. Everything is seeded: the turn's draw depends on
 * (seed, episode number, task, turn), the expert of perturbed episode e
 * gets its own seed, so episodes differ in wording and search as well.
 */
import {
  type EnvironmentShape,
  formatReply,
  parseReply,
  type PolicyError,
  type PolicyRequest,
  type PolicyShape,
  Random,
  rollout,
  type Task,
  type Trajectory,
  type UnknownTask
} from "@eto/core"
import { Effect } from "effect"

export interface Perturbation {
  /** Perturbed episodes per task, extra to the clean one. */
  readonly episodes: number
  /** Chance that a turn's action is replaced by a wrong one. */
  readonly mistakeRate: number
  /** Most wrong actions per episode. */
  readonly maxMistakes: number
  /** Keep episodes the expert did not solve after its mistakes (default: drop them). */
  readonly keepUnsolved: boolean
}

export const PERTURBATION_DEFAULTS = { mistakeRate: 0.2, maxMistakes: 2, keepUnsolved: false } as const

export type MistakeKind = "valid" | "repeat" | "earlier"
const KIND_WEIGHTS: ReadonlyArray<readonly [MistakeKind, number]> = [["valid", 2], ["repeat", 1], ["earlier", 1]]

/** The candidates of each kind of wrong action for a request whose expert action is `expertAction`. */
export const mistakeCandidates = (request: PolicyRequest, expertAction: string): Record<MistakeKind, Array<string>> => {
  const turns = request.turns
  const last = turns.length > 0 ? turns[turns.length - 1]!.action : undefined
  const wrong = (a: string) => a.trim() !== "" && a !== expertAction
  const earlier: Array<string> = []
  for (const t of turns.slice(0, -1)) if (wrong(t.action) && t.action !== last && !earlier.includes(t.action)) earlier.push(t.action)
  return {
    valid: (request.availableActions ?? []).filter(wrong),
    repeat: last !== undefined && wrong(last) ? [last] : [],
    earlier
  }
}

/** A wrong action drawn with `rng` (a kind by weight among those with candidates, then a candidate), or undefined when there is none. */
export const drawMistake = (rng: Random.Rng, request: PolicyRequest, expertAction: string): { kind: MistakeKind; action: string } | undefined => {
  const cands = mistakeCandidates(request, expertAction)
  const kinds = KIND_WEIGHTS.filter(([k]) => cands[k].length > 0)
  const total = kinds.reduce((s, [, w]) => s + w, 0)
  if (total === 0) return undefined
  let roll = rng.next() * total
  for (const [kind, w] of kinds) {
    roll -= w
    if (roll < 0 || kind === kinds[kinds.length - 1]![0]) return { kind, action: rng.pick(cands[kind]) }
  }
  return undefined
}

/** The expert seed of perturbed episode `e` (1-based) of a run seeded `seed`. */
export const episodeSeed = (seed: number, e: number): number => Random.hashString(`perturbed-expert|${seed}|${e}`)

/**
 * The expert with wrong actions injected, for perturbed episode `e`. The
 * turns it injected are recorded per task id in `injected`.
 */
const perturbingPolicy = (
  expert: PolicyShape,
  p: Perturbation,
  seed: number,
  e: number,
  injected: Map<string, Map<number, MistakeKind>>
): PolicyShape => ({
  name: `${expert.name}-perturbed`,
  act: (requests) =>
    Effect.map(expert.act(requests), (replies) =>
      replies.map((reply, j) => {
        const req = requests[j]!
        const parsed = parseReply(reply)
        const mine = injected.get(req.task.id) ?? new Map<number, MistakeKind>()
        injected.set(req.task.id, mine)
        const t = req.turns.length
        if (parsed === undefined || mine.size >= p.maxMistakes) return reply
        const rng = Random.make(`perturb|${seed}|${e}|${req.task.id}|${t}`)
        if (rng.next() >= p.mistakeRate) return reply
        const mistake = drawMistake(rng, req, parsed.action)
        if (mistake === undefined) return reply
        mine.set(t, mistake.kind)
        return formatReply(parsed.thought, mistake.action)
      }))
})

export interface PerturbedStats {
  /** Episodes played (tasks x episodes). */
  readonly played: number
  /** Episodes kept. */
  readonly kept: number
  /** Kept episodes the expert solved. */
  readonly solved: number
  /** Wrong actions in the kept episodes, by kind. */
  readonly injected: Readonly<Record<MistakeKind, number>>
  /** Kept episodes in which no wrong action was drawn. */
  readonly withoutMistake: number
}

/**
 * The perturbed episodes of `tasks`: episode 1 of every task, then episode
 * 2, ..., each played by `expertFor(episodeSeed(seed, e))` with wrong
 * actions injected (then wrapped in `around`, if given), the injected turns
 * marked `loss: false`.
 */
export const perturbedEpisodes = (
  env: EnvironmentShape,
  expertFor: (seed: number) => PolicyShape,
  tasks: ReadonlyArray<Task>,
  p: Perturbation,
  options: {
    readonly seed: number
    readonly batchSize?: number
    readonly onEpisode?: (done: number, total: number) => void
    /**
     * Wrapped around the perturbed expert (the environment's look-around
     * form, LoadedEnvironment.withLookAround): the turns it adds are never
     * replaced, and a wrong move is followed by its look like any other.
     */
    readonly around?: (policy: PolicyShape) => PolicyShape
  }
): Effect.Effect<{ readonly trajectories: Array<Trajectory>; readonly stats: PerturbedStats }, PolicyError | UnknownTask> =>
  Effect.gen(function*() {
    const kept: Array<Trajectory> = []
    const injectedKinds: Record<MistakeKind, number> = { valid: 0, repeat: 0, earlier: 0 }
    let solved = 0, withoutMistake = 0
    for (let e = 1; e <= p.episodes; e++) {
      const injected = new Map<string, Map<number, MistakeKind>>()
      const perturbing = perturbingPolicy(expertFor(episodeSeed(options.seed, e)), p, options.seed, e, injected)
      const policy = options.around === undefined ? perturbing : options.around(perturbing)
      const played = yield* rollout(env, policy, tasks, {
        source: { kind: "expert" },
        ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
        onEpisode: (done) => options.onEpisode?.((e - 1) * tasks.length + done, p.episodes * tasks.length)
      })
      for (const t of played) {
        if (!t.success && !p.keepUnsolved) continue
        const marks = injected.get(t.task.id) ?? new Map<number, MistakeKind>()
        for (const kind of marks.values()) injectedKinds[kind]++
        if (marks.size === 0) withoutMistake++
        if (t.success) solved++
        kept.push({ ...t, turns: t.turns.map((u, i) => (marks.has(i) ? { ...u, loss: false } : u)) })
      }
    }
    return {
      trajectories: kept,
      stats: { played: p.episodes * tasks.length, kept: kept.length, solved, injected: injectedKinds, withoutMistake }
    }
  })
