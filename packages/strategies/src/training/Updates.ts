/**
 * What DPO and PPO share around their losses: a sequence's action mask
 * aligned with its per-position outputs, and one optimiser update.
 */
import type { Batch, Engine, ForwardOutputs, OutputGrads, TokenBatch } from "@eto/policy"
import { Train } from "@eto/policy"

/**
 * The loss mask of `seq` by position (position k predicts token k+1), one
 * entry per position with a target, as `forwardAll` reports outputs.
 */
export const actionMask = (seq: Batch.Sequence): Float32Array => {
  const n = Math.max(0, seq.ids.length - 1)
  const mask = new Float32Array(n)
  for (let k = 0; k < n; k++) mask[k] = seq.mask![k + 1] ?? 0
  return mask
}

/**
 * One update of `engine` on `batch`: clears the gradients, runs `loss` on the
 * forward outputs and backpropagates its gradients, then takes an AdamW step
 * at the learning rate of `step` in `totalSteps` under `optim`. Returns the
 * loss and the loss's statistics.
 */
export const update = <S>(
  engine: Engine,
  batch: TokenBatch,
  loss: (outputs: ForwardOutputs) => OutputGrads & { readonly stats: S },
  optim: Train.OptimConfig,
  step: number,
  totalSteps: number
): { readonly loss: number; readonly stats: S } => {
  engine.zeroGrad()
  let stats = undefined as { value: S } | undefined
  const r = engine.forwardBackward(batch, (o) => {
    const g = loss(o)
    stats = { value: g.stats }
    return g
  })
  engine.step(Train.adamW(optim, Train.lrAt(optim, step, totalSteps)))
  return { loss: r.loss, stats: stats!.value }
}
