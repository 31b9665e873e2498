export * as Pairs from "./Pairs"
export * as Stats from "./Stats"
