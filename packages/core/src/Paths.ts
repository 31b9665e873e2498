/**
 * Where things live on disk. The benchmark data directory is `$ETO_DATA_DIR`
 * when set, else `../shared/data` next to the repository root.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

/** The repository root: the nearest ancestor holding pnpm-workspace.yaml. */
export const repoRoot = (from: string = path.dirname(fileURLToPath(import.meta.url))): string => {
  let dir = path.resolve(from)
  for (;;) {
    if (fs.existsSync(path.join(dir, "pnpm-workspace.yaml"))) return dir
    const parent = path.dirname(dir)
    if (parent === dir) return process.cwd()
    dir = parent
  }
}

export const dataDir = (): string => process.env.ETO_DATA_DIR ?? path.resolve(repoRoot(), "..", "shared", "data")

export const DATA_HINT =
  "set ETO_DATA_DIR to a directory holding webshop/, alfworld/ and sciworld/ as described in shared/data/README.md"
