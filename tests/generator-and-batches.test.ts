import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateSnapshot, plan } from '../bench/generate-snapshot.ts'
import type { DatabaseServer } from '../harness/database/database-server.ts'
import { importBackup } from '../harness/import/import-backup.ts'
import { exportToString } from './support/backup-io.ts'
import { referenceApplication } from './support/reference-app.ts'
import { cloneReferenceDatabase, connectSharedServer } from './support/shared-server.ts'
import { tempPath } from './support/temp.ts'

const tmp = tempPath

describe('the snapshot generator', () => {
  it('writes exactly the rows asked for, the same bytes for the same seed', async () => {
    const [a, b, c] = [tmp('a.json'), tmp('b.json'), tmp('c.json')]
    const first = await generateSnapshot(a, { rows: 5_000, seed: 3 })
    await generateSnapshot(b, { rows: 5_000, seed: 3 })
    await generateSnapshot(c, { rows: 5_000, seed: 4 })
    expect(first.rows).toBe(5_000)
    expect(Object.values(plan(5_000)).reduce((x, y) => x + y, 0)).toBe(5_000)
    expect((await readFile(a)).equals(await readFile(b))).toBe(true)
    expect((await readFile(a)).equals(await readFile(c))).toBe(false)
  })
})

describe('export', () => {
  let server: DatabaseServer
  let source: string
  beforeAll(async () => {
    server = await connectSharedServer()
    source = tmp('batches.json')
    await generateSnapshot(source, { rows: 3_000, seed: 9 })
  })
  afterAll(() => server.dispose())

  it('imports a generated snapshot with every foreign key resolved and nothing dropped', async () => {
    await using db = await cloneReferenceDatabase(server)
    const summary = await importBackup({ application: await referenceApplication(), databaseUrl: db.url, source })
    expect(summary.models.reduce((n, m) => n + m.inserted, 0)).toBe(3_000)
    expect(summary.models.every((m) => Object.values(m.dropped).every((n) => n === 0))).toBe(true)
  })

  it('writes the same bytes whatever the batch size', async () => {
    await using db = await cloneReferenceDatabase(server)
    const application = await referenceApplication()
    await importBackup({ application, databaseUrl: db.url, source, batchSize: 7 })
    const outputs = await Promise.all([1, 13, 500, 2_000].map(async (batchSize) => (await exportToString({ application, databaseUrl: db.url, batchSize })).text))
    for (const output of outputs) expect(output).toBe(outputs[0])
    expect(outputs[0]).toBe(await readFile(source, 'utf8'))
  })
})
