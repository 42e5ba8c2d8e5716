import { existsSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import path from 'node:path'

/**
 * Expectations files whose snapshot no longer exists, in the folders of the given snapshots: a
 * file name is not tracked the way a key inside a snapshot file is, so leftovers are looked for.
 */
export async function findObsoleteBaselines(snapshots: readonly string[]): Promise<string[]> {
  const folders = new Set(snapshots.map((s) => path.dirname(path.resolve(s))))
  const obsolete: string[] = []
  for (const folder of folders) {
    for (const name of await readdir(folder)) {
      if (!name.endsWith('.expect.json')) continue
      const snapshot = path.join(folder, name.replace(/\.expect\.json$/, '.json'))
      if (!existsSync(snapshot)) obsolete.push(path.join(folder, name))
    }
  }
  return obsolete.sort()
}
