/**
 * `pnpm bench:envs`: environment speed. Each environment contributes a file
 * under benchmarks/envs/ exporting `run(): Promise<Record<string, number | string>>`;
 * the results are printed as one JSON line per environment.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), "envs")
const only = process.argv.slice(2).filter((a) => !a.startsWith("-"))
for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".ts")).sort()) {
  const name = file.replace(/\.ts$/, "")
  if (only.length > 0 && !only.includes(name)) continue
  const mod = (await import(path.join(dir, file))) as { run: () => Promise<Record<string, number | string>> }
  const result = await mod.run()
  console.log(JSON.stringify({ env: name, ...result }))
}
