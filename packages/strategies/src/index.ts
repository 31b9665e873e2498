export * as Pairs from "./Pairs"
