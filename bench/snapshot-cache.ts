// Generated snapshots are kept between runs in the temporary directory, keyed by size, seed and
// the generator's own source, so a changed generator never serves a stale file.
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { generateSnapshot } from './generate-snapshot.ts'

export const SNAPSHOT_CACHE_DIR = path.join(os.tmpdir(), 'roundtrip-bench-snapshots')

export interface CachedSnapshot {
  readonly file: string
  readonly rows: number
  readonly bytes: number
  /** Undefined when the file came from the cache. */
  readonly generatedMs: number | undefined
}

export async function cachedSnapshot(rows: number, seed: number): Promise<CachedSnapshot> {
  const source = await readFile(path.join(import.meta.dirname, 'generate-snapshot.ts'))
  const version = createHash('sha256').update(source).digest('hex').slice(0, 10)
  const file = path.join(SNAPSHOT_CACHE_DIR, `generated-${rows}-seed${seed}-${version}.json`)
  if (existsSync(file)) return { file, rows, bytes: (await stat(file)).size, generatedMs: undefined }
  await mkdir(SNAPSHOT_CACHE_DIR, { recursive: true })
  // Written beside and renamed, so an interrupted run never leaves half a snapshot to reuse.
  const partial = `${file}.${process.pid}.partial`
  try {
    const started = performance.now()
    const result = await generateSnapshot(partial, { rows, seed })
    const generatedMs = performance.now() - started
    await rename(partial, file)
    return { file, rows: result.rows, bytes: result.bytes, generatedMs }
  } finally {
    await rm(partial, { force: true })
  }
}
