import { readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateSnapshot } from '../bench/generate-snapshot.ts'
import type { DatabaseServer } from '../harness/database/database-server.ts'
import { runCli } from './support/cli.ts'
import { rowCounts } from './support/reference-app.ts'
import { cloneReferenceDatabase, connectSharedServer } from './support/shared-server.ts'
import { tempPath } from './support/temp.ts'

const ROWS = 200_000
/** Far below what holding a 70 MB file as a string and parsing it at once would need. */
const HEAP_LIMIT_MB = 64

describe(`a ${ROWS.toLocaleString('en')}-row snapshot with the heap capped at ${HEAP_LIMIT_MB} MB`, () => {
  let server: DatabaseServer
  let file: string
  beforeAll(async () => {
    server = await connectSharedServer()
    file = tempPath('stream.json')
    await generateSnapshot(file, { rows: ROWS, seed: 7 })
  }, 120_000)
  afterAll(() => server.dispose())

  it('imports and exports back to the same bytes', { timeout: 180_000 }, async () => {
    await using db = await cloneReferenceDatabase(server)
    const size = (await stat(file)).size
    expect(size).toBeGreaterThan(60e6)
    const env = { NODE_OPTIONS: `--max-old-space-size=${HEAP_LIMIT_MB}` }
    const imported = await runCli(['import', file, '--database-url', db.url, '--no-prompt', '--silent'], env)
    expect(imported.code, imported.stderr).toBe(0)
    const counts = await rowCounts(db.url)
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(ROWS)

    const out = `${file}.export`
    const exported = await runCli(['export', out, '--database-url', db.url, '--silent'], env)
    expect(exported.code, exported.stderr).toBe(0)
    expect((await readFile(out)).equals(await readFile(file))).toBe(true)
  })
})
