import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Application } from '../harness/application/load-application.ts'
import type { DatabaseServer } from '../harness/database/database-server.ts'
import { importBackup } from '../harness/import/import-backup.ts'
import type { BackupScope } from '../harness/import/import-types.ts'
import { writeTempBackup } from './support/backup-io.ts'
import { fourUsers, query, referenceApplication, rowCounts } from './support/reference-app.ts'
import { cloneReferenceDatabase, connectSharedServer } from './support/shared-server.ts'

interface UserFacts {
  users: number
  staff: number
  superuser: number
  managed: number
  unclaimed: number
}

async function userFacts(url: string): Promise<UserFacts> {
  const [row] = await query<UserFacts>(
    url,
    `SELECT count(*)::int AS users, count(*) FILTER (WHERE is_staff)::int AS staff,
            count(*) FILTER (WHERE is_superuser)::int AS superuser, count(*) FILTER (WHERE is_managed)::int AS managed,
            count(*) FILTER (WHERE is_unclaimed)::int AS unclaimed FROM auth_user`,
  )
  return row!
}

/** The scope facts of spec §7.4, on the four user-with-* fixtures (none of them unclaimed). */
describe('importing the four users in each scope', () => {
  let server: DatabaseServer
  let app: Application
  let file: string
  beforeAll(async () => {
    server = await connectSharedServer()
    app = await referenceApplication()
    file = await writeTempBackup(await fourUsers())
  })
  afterAll(() => server.dispose())

  const importIn = async (scope: BackupScope) => {
    const db = await cloneReferenceDatabase(server)
    const summary = await importBackup({ application: app, databaseUrl: db.url, source: file, scope })
    return { db, summary, counts: await rowCounts(db.url), users: await userFacts(db.url) }
  }

  it.each(['User', 'Organization'] as const)('sanitises users in the %s scope', async (scope) => {
    const { db, counts, users, summary } = await importIn(scope)
    await using _ = db
    expect(users).toEqual({ users: 4, staff: 0, superuser: 0, managed: 0, unclaimed: 4 })
    expect(counts['sentry.email']).toBe(2) // three users share testing@example.com
    expect(counts['sentry.useremail']).toBe(4)
    const [{ verified }] = (await query<{ verified: number }>(db.url, 'SELECT count(*) FILTER (WHERE is_verified)::int AS verified FROM sentry_useremail')) as [{ verified: number }]
    expect(verified).toBe(0)
    expect([counts['sentry.authenticator'], counts['sentry.userpermission'], counts['sentry.userrole'], counts['sentry.userroleuser']]).toEqual([0, 0, 0, 0])
    // Nothing disappears unseen: the skipped models are counted as out of scope.
    expect(summary.models.find((m) => m.model === 'sentry.authenticator')?.dropped.outOfScope).toBe(4)
    const [{ unusable }] = (await query<{ unusable: number }>(db.url, `SELECT count(*) FILTER (WHERE password LIKE '!%')::int AS unusable FROM auth_user`)) as [{ unusable: number }]
    expect(unusable).toBe(4)
  })

  it('keeps privileges but still marks users unclaimed in the Config scope', async () => {
    const { db, counts, users } = await importIn('Config')
    await using _ = db
    expect(users).toEqual({ users: 4, staff: 2, superuser: 2, managed: 1, unclaimed: 4 })
    expect(counts['sentry.authenticator']).toBe(0)
    expect(counts['sentry.userpermission']).toBe(2)
    expect(counts['sentry.userrole']).toBe(1) // both "Super Admin" roles merge into one
    expect(counts['sentry.userroleuser']).toBe(2)
  })

  it('restores everything as it was in the Global scope', async () => {
    const { db, counts, users } = await importIn('Global')
    await using _ = db
    expect(users.unclaimed).toBe(0)
    expect(counts['sentry.authenticator']).toBe(4)
    const original = (await fourUsers()).filter((e) => e.model === 'sentry.useremail')
    const rows = await query<{ validation_hash: string; is_verified: boolean }>(db.url, 'SELECT validation_hash, is_verified FROM sentry_useremail ORDER BY id')
    expect(rows.filter((r) => r.is_verified)).toHaveLength(4)
    expect(rows.map((r) => r.validation_hash).sort()).toEqual(original.map((e) => e.fields.validation_hash).sort())
  })
})
