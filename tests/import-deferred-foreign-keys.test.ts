import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Application } from '../harness/application/load-application.ts'
import type { DatabaseServer } from '../harness/database/database-server.ts'
import { HarnessError } from '../harness/errors.ts'
import { importBackup } from '../harness/import/import-backup.ts'
import { applyMigrations } from '../harness/schema/migrator.ts'
import { generateSnapshot } from '../bench/generate-snapshot.ts'
import { writeTempBackup } from './support/backup-io.ts'
import { databaseFingerprint, query, type Entry } from './support/reference-app.ts'
import { cloneReferenceDatabase, connectSharedServer, useReferenceServer } from './support/shared-server.ts'
import { category, selfReferencingApplication } from './support/self-referencing-app.ts'
import { tempDir } from './support/temp.ts'

// A Global import takes a big table's foreign keys off for the load and puts them back after it,
// so that they are checked with one join instead of once per row. These tests hold it to: the same
// rows as with row-by-row checks, the same constraints afterwards, and a refused key reported as
// precisely as before, with nothing left changed.

/** A generated snapshot of the reference application, in a temporary folder. */
async function generated(rows: number): Promise<string> {
  const file = path.join(await tempDir('roundtrip-deferred-'), 'generated.json')
  await generateSnapshot(file, { rows, seed: 5 })
  return file
}

/** Every foreign key of the database's tables, as `pg_dump` would recreate it. */
async function foreignKeys(url: string): Promise<string[]> {
  const rows = await query<{ line: string }>(
    url,
    `SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) || ' ' || convalidated AS line
       FROM pg_constraint WHERE contype = 'f' ORDER BY 1`,
  )
  return rows.map((r) => r.line)
}

describe('foreign keys checked after the load (Global import)', () => {
  const shared = useReferenceServer()

  it('stores the same rows as row-by-row checks and puts every constraint back as it was', async () => {
    const snapshot = await generated(3_000)
    await using checkedPerRow = await cloneReferenceDatabase(shared.server)
    await using checkedAfter = await cloneReferenceDatabase(shared.server)
    const constraints = await foreignKeys(checkedAfter.url)
    expect(constraints.length).toBeGreaterThan(20)

    const perRow = await importBackup({ application: shared.app, databaseUrl: checkedPerRow.url, source: snapshot, deferForeignKeysAt: Infinity })
    // Every model with rows has its keys taken off, many COPYs each.
    const after = await importBackup({ application: shared.app, databaseUrl: checkedAfter.url, source: snapshot, deferForeignKeysAt: 1, batchSize: 250 })

    expect(after.models).toEqual(perRow.models)
    expect(await databaseFingerprint(checkedAfter.url)).toBe(await databaseFingerprint(checkedPerRow.url))
    expect(await foreignKeys(checkedAfter.url)).toEqual(constraints)
  })

  it('leaves the constraints on when the import fails after taking them off', async () => {
    await using db = await cloneReferenceDatabase(shared.server)
    const constraints = await foreignKeys(db.url)
    const entries = JSON.parse(await readFile(await generated(1_000), 'utf8')) as Entry[]
    const before = await databaseFingerprint(db.url)
    // The last entry is of an unknown model: the load is well under way when it fails.
    const broken = await writeTempBackup([...entries, { model: 'sentry.nosuchmodel', pk: 1, fields: {} }])
    const error = await importBackup({ application: shared.app, databaseUrl: db.url, source: broken, deferForeignKeysAt: 1 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(HarnessError)
    expect((error as HarnessError).context.kind).toBe('UnknownModel')
    expect(await foreignKeys(db.url)).toEqual(constraints)
    expect(await databaseFingerprint(db.url)).toBe(before)
  })
})

describe('a self-referencing model of another application', () => {
  let server: DatabaseServer
  let app: Application
  let template: string
  beforeAll(async () => {
    server = await connectSharedServer()
    app = await selfReferencingApplication()
    const database = await server.createDatabase({ kind: 'template' })
    await applyMigrations(database.url, app.migrations)
    await server.markAsTemplate(database.name)
    template = database.name
  })
  afterAll(() => server.dispose())

  it('takes rows pointing at rows later in the file, whatever the batches', async () => {
    await using db = await server.createDatabase({ template, kind: 'clone' })
    // Each row points at the next one, which another COPY sends.
    const entries = [1, 2, 3, 4, 5, 6].map((pk) => category(pk, pk === 6 ? null : pk + 1))
    const summary = await importBackup({ application: app, databaseUrl: db.url, source: await writeTempBackup(entries), batchSize: 2 })
    expect(summary.models[0]!.inserted).toBe(6)
    const rows = await query<{ id: string; parent_id: string | null }>(db.url, 'SELECT id, parent_id FROM shop_category ORDER BY id')
    expect(rows.map((r) => [Number(r.id), r.parent_id === null ? null : Number(r.parent_id)])).toEqual(entries.map((e) => [e.pk, e.fields.parent]))
    expect(await foreignKeys(db.url)).toEqual(['shop_category shop_category_parent_id_fkey FOREIGN KEY (parent_id) REFERENCES shop_category(id) ON UPDATE CASCADE ON DELETE SET NULL true'])
  })

  it('names the model, pk and field of a key pointing nowhere, and changes nothing', async () => {
    await using db = await server.createDatabase({ template, kind: 'clone' })
    await importBackup({ application: app, databaseUrl: db.url, source: await writeTempBackup([category(1, null)]) })
    const file = await writeTempBackup([category(1, null), category(2, 1), category(3, 2), category(4, 99), category(5, 4)])
    const error = await importBackup({ application: app, databaseUrl: db.url, source: file, batchSize: 2 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(HarnessError)
    const harnessError = error as HarnessError
    expect(harnessError.context).toMatchObject({ kind: 'IntegrityError', model: 'shop.category', pk: 4, field: 'parent', file })
    expect(harnessError.message).toMatch(/violates foreign key constraint.*Key \(parent_id\)=\(99\) is not present/)
    const rows = await query<{ id: string }>(db.url, 'SELECT id FROM shop_category')
    expect(rows.map((r) => Number(r.id))).toEqual([1])
    expect(await foreignKeys(db.url)).toHaveLength(1)
  })
})
