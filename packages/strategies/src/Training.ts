/**
 * The training phases the strategies share, memoised like every other phase
 * (Runner.ts): each writes a checkpoint (Hugging Face layout, see
 * @eto/policy Checkpoint) into its phase directory, so a rerun reuses it and
 * a killed run trains it again from the start of that phase. One file per
 * job under `training/`:
 *
 * - `View.ts`: the model settings and the view the model has of an episode
 *   (observations, replies, decoding, training windows);
 * - `Checkpoints.ts`: checkpoint manifests, engines, sequences for DPO and
 *   PPO, and `withCheckpointPolicy` (a checkpoint as a `PolicyRef`);
 * - `Datasets.ts`: RFT and self-play training sets;
 * - `Sft.ts`: `trainSft`, behavioural cloning, from scratch or a checkpoint;
 * - `Dpo.ts`: `trainDpo`, DPO against a frozen copy of the starting policy;
 * - `Ppo.ts`: `trainPpo`, PPO with a value head, a KL penalty and GAE;
 * - `Updates.ts`: what DPO and PPO share around their losses (the action
 *   mask by position, one optimiser update).
 *
 * The loops are plain synchronous code over the engine; only file access and
 * rollouts are effects.
 */
export {
  CheckpointManifest,
  checkpointDir,
  renderTargets,
  TRAINING_VERSIONS,
  withCheckpointPolicy
} from "./training/Checkpoints"
export { dataset, DatasetManifest } from "./training/Datasets"
export { trainDpo } from "./training/Dpo"
export { gae, type PpoOptions, trainPpo } from "./training/Ppo"
export { trainSft } from "./training/Sft"
export {
  actingOf,
  compactObservation,
  compactTurns,
  dialogueOf,
  instructionOf,
  type ModelSettings,
  modelSettings,
  REPEATED_OBSERVATION,
  replyFormOf,
  trainingModelKey,
  viewObservation,
  viewPolicy
} from "./training/View"
