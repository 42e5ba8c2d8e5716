import { constants, statSync } from 'node:fs'
import { cp, mkdir, rename, rm, stat } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { PostgresBinaries } from './embedded-binaries.ts'

/**
 * PostgreSQL refuses to run as root, so as root the server runs as an unprivileged user. That
 * user must reach the binaries: a checkout inside a private folder (`mktemp -d` makes 0700 ones)
 * hides them. Then the package's `native` folder is copied once to a world-readable folder in the
 * system's temporary folder and run from there.
 */
export async function binariesReachableBy(binaries: PostgresBinaries, runAs: { uid: number } | undefined): Promise<PostgresBinaries> {
  if (!runAs) return binaries
  const native = path.dirname(path.dirname(binaries.postgres))
  if (othersCanReach(native)) return binaries
  const copy = path.join(os.tmpdir(), `roundtrip-pgbin-${binaries.packageVersion}`)
  if (!(await exists(path.join(copy, 'bin', 'postgres')))) {
    // Copied aside and renamed, so a concurrent server sees the whole copy or none.
    const partial = `${copy}.partial-${process.pid}`
    await mkdir(partial, { recursive: true, mode: 0o755 })
    await cp(native, partial, { recursive: true, verbatimSymlinks: true })
    await rename(partial, copy).catch(async () => rm(partial, { recursive: true, force: true }))
  }
  return {
    ...binaries,
    initdb: path.join(copy, 'bin', path.basename(binaries.initdb)),
    postgres: path.join(copy, 'bin', path.basename(binaries.postgres)),
  }
}

/** Whether every folder from `/` down to `dir` lets other users through (their execute bit). */
export function othersCanReach(dir: string): boolean {
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    const mode = statSync(current).mode
    if ((mode & constants.S_IXOTH) === 0) return false
    if (path.dirname(current) === current) return true
  }
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(() => true, () => false)
}
