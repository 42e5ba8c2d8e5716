import { describe, expect, it } from 'vitest'
import { importBackup } from '../harness/import/import-backup.ts'
import { exportToString, writeTempBackup } from './support/backup-io.ts'
import { fixturePath, query, readFixture, rowCounts, type Entry } from './support/reference-app.ts'
import { cloneReferenceDatabase, useReferenceServer } from './support/shared-server.ts'

const EXCLUDED_OPTION_KEYS = ['sentry:install-id', 'sentry:latest_version', 'sentry:last_worker_ping', 'sentry:last_worker_version']
const SHIMMED_FIELDS: Record<string, string[]> = { 'sentry.team': ['actor'], 'sentry.rule': ['owner'] }

describe('a Global round trip of fresh-install.json', () => {
  const shared = useReferenceServer()

  it('imports every row and exports all but the four install options, values unchanged', async () => {
    await using db = await cloneReferenceDatabase(shared.server)
    const summary = await importBackup({ application: shared.app, databaseUrl: db.url, source: fixturePath('fresh-install.json') })
    expect(summary.entries).toBe(34)
    expect(summary.models.reduce((n, m) => n + m.inserted, 0)).toBe(34)
    expect(summary.models.every((m) => Object.values(m.dropped).every((n) => n === 0))).toBe(true)

    const { text } = await exportToString({ application: shared.app, databaseUrl: db.url })
    const exported = JSON.parse(text) as Entry[]
    const original = await readFixture('fresh-install.json')
    const expected = original.filter((e) => !(e.model === 'sentry.option' && EXCLUDED_OPTION_KEYS.includes(e.fields.key as string)))
    expect(exported).toHaveLength(30)
    const key = (e: Entry) => `${e.model}/${e.pk}`
    expect(exported.map(key).sort()).toEqual(expected.map(key).sort())
    for (const before of expected) {
      const after = exported.find((e) => key(e) === key(before))!
      const fields = Object.fromEntries(Object.entries(before.fields).filter(([f]) => !SHIMMED_FIELDS[before.model]?.includes(f)))
      // Fields the current schema adds since the fixture was written come out as null.
      const added = Object.fromEntries(Object.entries(after.fields).filter(([f]) => !(f in before.fields)))
      expect(Object.values(added).every((v) => v === null), `${key(before)} new fields ${JSON.stringify(added)}`).toBe(true)
      expect({ ...after.fields }).toEqual({ ...fields, ...added })
    }
  })

  it('exports in the layout of the spec: dependency order, ascending pks, Python json.dumps', async () => {
    await using db = await cloneReferenceDatabase(shared.server)
    await importBackup({ application: shared.app, databaseUrl: db.url, source: fixturePath('fresh-install.json') })
    const { text } = await exportToString({ application: shared.app, databaseUrl: db.url })
    // sentry.organization comes first in Sentry's canonical order (sorted.json).
    expect(text.startsWith('[\n  {\n    "model": "sentry.organization",\n    "pk": 1,\n    "fields": {\n      "name": "Testing",\n')).toBe(true)
    expect(text.endsWith('\n]')).toBe(true)
    expect(text).toMatch(/"date_added": "\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"/)
    const exported = JSON.parse(text) as Entry[]
    const models = exported.map((e) => e.model)
    expect(models.indexOf('sentry.organizationmember')).toBeGreaterThan(models.lastIndexOf('sentry.user'))
    for (let i = 1; i < exported.length; i += 1) {
      if (exported[i]!.model === exported[i - 1]!.model) expect(exported[i]!.pk).toBeGreaterThan(exported[i - 1]!.pk)
    }
  })

  it('gives byte-identical output when its own export goes round again', async () => {
    await using first = await cloneReferenceDatabase(shared.server)
    await importBackup({ application: shared.app, databaseUrl: first.url, source: fixturePath('fresh-install.json') })
    const once = (await exportToString({ application: shared.app, databaseUrl: first.url })).text
    await using second = await cloneReferenceDatabase(shared.server)
    await importBackup({ application: shared.app, databaseUrl: second.url, source: await writeTempBackup(once) })
    const twice = (await exportToString({ application: shared.app, databaseUrl: second.url })).text
    expect(twice).toBe(once)
  })

  it('moves every pk sequence past the imported rows', async () => {
    await using db = await cloneReferenceDatabase(shared.server)
    await importBackup({ application: shared.app, databaseUrl: db.url, source: fixturePath('fresh-install.json') })
    const [row] = await query<{ id: string; max: string }>(
      db.url,
      `WITH added AS (INSERT INTO sentry_projectoptions (project_id, key, value) VALUES (1, 'new', '1') RETURNING id)
       SELECT (SELECT id FROM added) AS id, (SELECT max(id) FROM sentry_projectoptions) AS max`,
    )
    // fresh-install's project options have pks 3 and 4, kept by a Global import.
    expect(Number(row!.id)).toBe(5)
  })

  it('empties every table with a Global import of []', async () => {
    await using db = await cloneReferenceDatabase(shared.server)
    await importBackup({ application: shared.app, databaseUrl: db.url, source: fixturePath('fresh-install.json') })
    await importBackup({ application: shared.app, databaseUrl: db.url, source: await writeTempBackup([]) })
    expect(Object.values(await rowCounts(db.url)).every((n) => n === 0)).toBe(true)
    expect((await exportToString({ application: shared.app, databaseUrl: db.url })).text).toBe('[]')
  })

  it('changes nothing with a non-Global import of []', async () => {
    await using db = await cloneReferenceDatabase(shared.server)
    await importBackup({ application: shared.app, databaseUrl: db.url, source: fixturePath('fresh-install.json') })
    const before = await rowCounts(db.url)
    for (const scope of ['User', 'Organization', 'Config'] as const) {
      await importBackup({ application: shared.app, databaseUrl: db.url, source: await writeTempBackup([]), scope })
    }
    expect(await rowCounts(db.url)).toEqual(before)
  })
})
