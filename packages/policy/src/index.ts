export * from "./Engine"
export * from "./Init"
