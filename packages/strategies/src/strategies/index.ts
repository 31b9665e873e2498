/** The strategy table: every strategy kind by its configuration name. */
import type { StrategyTable } from "../Experiment"
import { base } from "./Base"
import { bestOfN } from "./BestOfN"
import { eto } from "./Eto"
import { ppo } from "./Ppo"
import { prompted } from "./Prompted"
import { random } from "./RandomFloor"
import { rft } from "./Rft"
import { selfPlay } from "./SelfPlay"
import { sft } from "./Sft"

export const strategies: StrategyTable = {
  random,
  base,
  sft,
  "best-of-n": bestOfN,
  rft,
  ppo,
  eto,
  "self-play": selfPlay,
  prompted
}
