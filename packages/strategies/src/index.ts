export * as Config from "./Config"
export * as Pairs from "./Pairs"
export * as Runner from "./Runner"
export * as Stats from "./Stats"
