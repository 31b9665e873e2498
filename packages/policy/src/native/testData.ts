/** The native engine tests' seeded inputs (their own random streams). */
import { seededInputs } from "../testSupport"

export const { jitteredParams, randomBatch } = seededInputs({ params: "native-params", batch: "native-batch" })
