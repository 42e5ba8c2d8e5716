import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Application } from '../harness/application/load-application.ts'
import type { DatabaseServer } from '../harness/database/database-server.ts'
import { importBackup } from '../harness/import/import-backup.ts'
import { writeTempBackup } from './support/backup-io.ts'
import { fixturePath, fourUsers, query, readFixture, referenceApplication, rowCounts } from './support/reference-app.ts'
import { cloneReferenceDatabase, connectSharedServer } from './support/shared-server.ts'

describe('collisions on import (spec §2.2, §2.9, §7.4)', () => {
  let server: DatabaseServer
  let app: Application
  const minUser = () => fixturePath('user-with-minimum-privileges.json')
  beforeAll(async () => {
    server = await connectSharedServer()
    app = await referenceApplication()
  })
  afterAll(() => server.dispose())

  it('suffixes a username that exists, every time', async () => {
    await using db = await cloneReferenceDatabase(server)
    await importBackup({ application: app, databaseUrl: db.url, source: minUser() })
    await importBackup({ application: app, databaseUrl: db.url, source: minUser(), scope: 'User' })
    await importBackup({ application: app, databaseUrl: db.url, source: minUser(), scope: 'User' })
    const names = (await query<{ username: string }>(db.url, 'SELECT username FROM auth_user ORDER BY id')).map((r) => r.username)
    expect(names).toHaveLength(3)
    expect(names[0]).toBe('min_user')
    expect(names.slice(1).every((n) => /^min_user-[a-z0-9]{2}$/.test(n))).toBe(true)
    expect(new Set(names).size).toBe(3)
  })

  it('reuses the existing user with mergeUsers and skips the incoming user\'s children', async () => {
    await using db = await cloneReferenceDatabase(server)
    await importBackup({ application: app, databaseUrl: db.url, source: minUser() })
    const before = await rowCounts(db.url)
    const summary = await importBackup({ application: app, databaseUrl: db.url, source: minUser(), scope: 'User', flags: { mergeUsers: true } })
    expect(await rowCounts(db.url)).toEqual(before)
    const users = summary.models.find((m) => m.model === 'sentry.user')!
    expect([users.inserted, users.existing]).toEqual([0, 1])
    expect(summary.models.find((m) => m.model === 'sentry.useremail')!.dropped.parentReused).toBe(1)
  })

  it('keeps an existing config row unless overwriteConfigs, which keeps its pk and takes the new values', async () => {
    const option = (await readFixture('single-option.json'))[0]!
    const changed = [{ ...option, pk: 99, fields: { ...option.fields, value: '"99.0.0"' } }]
    for (const overwriteConfigs of [false, true]) {
      await using db = await cloneReferenceDatabase(server)
      await importBackup({ application: app, databaseUrl: db.url, source: fixturePath('single-option.json') })
      const summary = await importBackup({ application: app, databaseUrl: db.url, source: await writeTempBackup(changed), scope: 'Config', flags: { overwriteConfigs } })
      const rows = await query<{ id: string; value: string }>(db.url, 'SELECT id, value::text AS value FROM sentry_option')
      const options = summary.models.find((m) => m.model === 'sentry.option')!
      expect(rows).toHaveLength(1)
      expect(rows[0]!.id).toBe(String(option.pk))
      if (overwriteConfigs) {
        expect([options.overwritten, options.existing]).toEqual([1, 0])
        expect(rows[0]!.value).toBe('"\\"99.0.0\\""')
      } else {
        expect([options.overwritten, options.existing]).toEqual([0, 1])
        expect(rows[0]!.value).toBe(JSON.stringify(option.fields.value))
      }
    }
  })

  it('suffixes an organization slug that exists', async () => {
    await using db = await cloneReferenceDatabase(server)
    await importBackup({ application: app, databaseUrl: db.url, source: fixturePath('fresh-install.json') })
    await importBackup({ application: app, databaseUrl: db.url, source: fixturePath('fresh-install.json'), scope: 'Organization' })
    const slugs = (await query<{ slug: string }>(db.url, 'SELECT slug FROM sentry_organization ORDER BY id')).map((r) => r.slug)
    expect(slugs[0]).toBe('testing')
    expect(slugs[1]).toMatch(/^testing-[a-z0-9]{2}$/)
  })

  it('regenerates project keys that collide', async () => {
    await using db = await cloneReferenceDatabase(server)
    await importBackup({ application: app, databaseUrl: db.url, source: fixturePath('fresh-install.json') })
    await importBackup({ application: app, databaseUrl: db.url, source: fixturePath('fresh-install.json'), scope: 'Organization' })
    const keys = await query<{ public_key: string }>(db.url, 'SELECT public_key FROM sentry_projectkey ORDER BY id')
    expect(keys).toHaveLength(2)
    expect(keys[1]!.public_key).toMatch(/^[0-9a-f]{32}$/)
    expect(keys[1]!.public_key).not.toBe(keys[0]!.public_key)
  })
})

describe('filters on import (spec §2.4, §7.4)', () => {
  let server: DatabaseServer
  let app: Application
  let file: string
  beforeAll(async () => {
    server = await connectSharedServer()
    app = await referenceApplication()
    file = await writeTempBackup(await fourUsers())
  })
  afterAll(() => server.dispose())

  it('keeps one user with its useremail and email for a username filter', async () => {
    await using db = await cloneReferenceDatabase(server)
    await importBackup({ application: app, databaseUrl: db.url, source: file, scope: 'User', filters: { usernames: ['max_user'] } })
    const counts = await rowCounts(db.url)
    expect([counts['sentry.user'], counts['sentry.useremail'], counts['sentry.email']]).toEqual([1, 1, 1])
  })

  it('imports nothing for an empty filter', async () => {
    await using db = await cloneReferenceDatabase(server)
    const summary = await importBackup({ application: app, databaseUrl: db.url, source: file, scope: 'User', filters: { usernames: [] } })
    expect(Object.values(await rowCounts(db.url)).every((n) => n === 0)).toBe(true)
    expect(summary.models.find((m) => m.model === 'sentry.user')!.dropped.filtered).toBe(4)
  })

  it('keeps an organization and its members\' users for an organization filter', async () => {
    const fresh = await readFixture('fresh-install.json')
    const memberUsers = new Set(fresh.filter((e) => e.model === 'sentry.organizationmember').map((e) => e.fields.user_id).filter((u) => u !== null))
    await using kept = await cloneReferenceDatabase(server)
    await importBackup({ application: app, databaseUrl: kept.url, source: fixturePath('fresh-install.json'), scope: 'Organization', filters: { organizationSlugs: ['testing'] } })
    const counts = await rowCounts(kept.url)
    expect(counts['sentry.organization']).toBe(1)
    expect(counts['sentry.user']).toBe(memberUsers.size)
    expect(counts['sentry.organizationmember']).toBe(3)

    await using none = await cloneReferenceDatabase(server)
    await importBackup({ application: app, databaseUrl: none.url, source: fixturePath('fresh-install.json'), scope: 'Organization', filters: { organizationSlugs: ['elsewhere'] } })
    const empty = await rowCounts(none.url)
    expect([empty['sentry.organization'], empty['sentry.user'], empty['sentry.project']]).toEqual([0, 0, 0])
  })
})
