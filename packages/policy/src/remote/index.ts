export * from "./Client"
export * from "./Conversation"
export * from "./Example"
export * from "./RemotePolicy"
