/**
 * The paper's episode wrapper around a game: the reward is the best raw score
 * seen so far (the first step's value always counts), a reply without
 * "Action: " resets the running reward to 0, and the episode is done when the
 * task is complete, failed, or more than 200 ticks have passed.
 */
import { type Episode, FORMAT_ERROR_OBSERVATION, type StepResult, type Task } from "@eto/core"
import type { Game } from "./game"
import { cursory } from "./world"

export const ENV_STEP_LIMIT = 200

export class SciWorldEpisode implements Episode {
  readonly initialObservation: string
  private best: number | undefined = undefined
  private finished = false

  constructor(readonly task: Task, readonly game: Game, readonly maxSteps: number) {
    this.initialObservation = `Task Description:\n${game.spec.description}`
  }

  get done(): boolean {
    return this.finished
  }

  step(action: string): StepResult {
    const r = this.game.step(action)
    this.best = this.best === undefined ? r.score : Math.max(this.best, r.score)
    const g = this.game
    this.finished = this.finished || g.completed || g.failed || g.world.ticks > ENV_STEP_LIMIT
    return {
      observation: r.observation,
      reward: this.best,
      done: this.finished,
      valid: r.parsed,
      // etoSuccess: the paper's harness counts any `done` (failures and the tick limit included)
      info: { score: r.score, ticks: g.world.ticks, completed: g.completed, failed: g.failed, etoSuccess: this.finished }
    }
  }

  formatError(): StepResult {
    this.best = 0
    return { observation: FORMAT_ERROR_OBSERVATION, reward: 0, done: this.finished, valid: false }
  }

  availableActions(): ReadonlyArray<string> {
    return validActions(this.game)
  }
}

/** A list of sensible actions in the current state (what a random policy draws from). */
export const validActions = (game: Game): Array<string> => {
  if (game.pending !== undefined) return game.pending.map((_, i) => String(i))
  const w = game.world
  const room = w.agentRoom()
  const out = new Set<string>(["look around", "inventory", "wait", "wait1"])
  for (const r of w.rooms.values()) out.add(`teleport to ${r.name}`)
  const objs = w.accessible(room).filter((o) => !o.hidden && o.kind !== "agent" && o.kind !== "terminal")
  const inv = w.inventory.children.filter((o) => !o.hidden)
  const containers = objs.filter((o) => o.container && o.open && o.kind !== "plant" && o.kind !== "animal")
  const hasThermometer = objs.some((o) => o.kind === "thermometer")
  for (const o of objs) {
    const n = o.name
    out.add(`look at ${n}`)
    out.add(`focus on ${n}`)
    if (o.moveable && o.parent !== w.inventory && o.state !== "liquid" && o.state !== "gas") out.add(`pick up ${n}`)
    if (o.closable) out.add(o.open ? `close ${n}` : `open ${n}`)
    if (o.activable) out.add(o.on ? `deactivate ${n}` : `activate ${n}`)
    if (o.container && o.open && o.visible().length >= 2) out.add(`mix ${n}`)
    if (o.kind === "recipe" || o.kind === "book") out.add(`read ${n}`)
    if (hasThermometer && o.material && o.kind !== "thermometer") out.add(`use thermometer on ${n}`)
    if (o.state === "liquid" || (o.container && o.kind === "vessel" && o.visible().length > 0)) {
      for (const c of containers) if (c !== o && !c.isInside(o) && c !== o.parent) out.add(`pour ${n} into ${c.name}`)
    }
  }
  for (const o of inv) for (const c of containers) if (c !== o && !c.isInside(o)) out.add(`move ${o.name} to ${c.name}`)
  void cursory
  return [...out]
}
