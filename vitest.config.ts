import { defineConfig } from "vitest/config"

// Node 20 lacks Map.groupBy (ES2024), which vitest's error reporter uses.
if (typeof (Map as { groupBy?: unknown }).groupBy !== "function") {
  Object.defineProperty(Map, "groupBy", {
    value: <K, V>(items: Iterable<V>, key: (item: V, index: number) => K): Map<K, Array<V>> => {
      const out = new Map<K, Array<V>>()
      let i = 0
      for (const item of items) {
        const k = key(item, i++)
        const group = out.get(k)
        if (group) group.push(item)
        else out.set(k, [item])
      }
      return out
    },
    configurable: true,
    writable: true
  })
}

export default defineConfig({
  test: {
    include: ["packages/*/src/**/*.test.ts", "packages/*/test/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks"
  }
})
