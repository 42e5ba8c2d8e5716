import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Application } from '../harness/application/load-application.ts'
import type { DatabaseServer, OwnedDatabase } from '../harness/database/database-server.ts'
import { importBackup } from '../harness/import/import-backup.ts'
import { SCOPE_MEMBERS, type BackupScope } from '../harness/import/import-types.ts'
import { exportToString, writeTempBackup } from './support/backup-io.ts'
import { fixturePath, fourUsers, readFixture, referenceApplication, type Entry } from './support/reference-app.ts'
import { cloneReferenceDatabase, connectSharedServer } from './support/shared-server.ts'

const countBy = (entries: Entry[]) => entries.reduce<Record<string, number>>((acc, e) => ({ ...acc, [e.model]: (acc[e.model] ?? 0) + 1 }), {})

/** Export properties of spec §3, step 6. */
describe('scoped and filtered exports', () => {
  let server: DatabaseServer
  let app: Application
  let users: OwnedDatabase
  let fresh: OwnedDatabase
  beforeAll(async () => {
    server = await connectSharedServer()
    app = await referenceApplication()
    users = await cloneReferenceDatabase(server)
    await importBackup({ application: app, databaseUrl: users.url, source: await writeTempBackup(await fourUsers()) })
    fresh = await cloneReferenceDatabase(server)
    await importBackup({ application: app, databaseUrl: fresh.url, source: fixturePath('fresh-install.json') })
  })
  afterAll(() => server.dispose())

  const exportOf = async (db: OwnedDatabase, scope: BackupScope, filters = {}) =>
    JSON.parse((await exportToString({ application: app, databaseUrl: db.url, scope, filters })).text) as Entry[]

  it.each(['User', 'Organization', 'Config', 'Global'] as const)('the %s scope exports exactly the models in scope', async (scope) => {
    const exported = await exportOf(fresh, scope)
    const allowed = new Set(SCOPE_MEMBERS[scope])
    for (const entry of exported) {
      expect(app.registry.get(entry.model)!.scopes.some((s) => allowed.has(s)), entry.model).toBe(true)
    }
    const present = new Set(exported.map((e) => e.model))
    const inScope = [...app.registry.models.values()].filter((m) => m.scopes.some((s) => allowed.has(s)))
    const freshModels = new Set((await readFixture('fresh-install.json')).map((e) => e.model))
    for (const model of inScope) {
      // Every in-scope model that has exportable rows appears (options are all install keys here).
      if (freshModels.has(model.name) && model.name !== 'sentry.option') expect(present.has(model.name), model.name).toBe(true)
    }
  })

  it('exports one user with its useremail, email and option for a username filter', async () => {
    const counts = countBy(await exportOf(users, 'User', { usernames: ['min_user'] }))
    expect(counts).toEqual({ 'sentry.user': 1, 'sentry.email': 1, 'sentry.useremail': 1, 'sentry.useroption': 1 })
  })

  it('exports [] for an empty filter', async () => {
    expect((await exportToString({ application: app, databaseUrl: users.url, scope: 'User', filters: { usernames: [] } })).text).toBe('[]')
  })

  it('keeps only privileged users, with their roles and permissions, in a Config export', async () => {
    const exported = await exportOf(users, 'Config')
    const names = exported.filter((e) => e.model === 'sentry.user').map((e) => e.fields.username).sort()
    expect(names).toEqual(['max_user', 'roles_no_superadmin_user', 'superadmin_no_roles_user'])
    const counts = countBy(exported)
    expect([counts['sentry.userrole'], counts['sentry.userroleuser'], counts['sentry.userpermission']]).toEqual([1, 2, 2])
  })

  it('keeps an organization\'s members and their users for an organization filter', async () => {
    const exported = await exportOf(fresh, 'Organization', { organizationSlugs: ['testing'] })
    const members = exported.filter((e) => e.model === 'sentry.organizationmember')
    expect(members).toHaveLength(3) // including the pending invitation without a user
    const userIds = new Set(members.map((m) => m.fields.user_id).filter((u) => u !== null))
    expect(new Set(exported.filter((e) => e.model === 'sentry.user').map((e) => e.pk))).toEqual(userIds)
    const none = countBy(await exportOf(fresh, 'Organization', { organizationSlugs: ['elsewhere'] }))
    expect([none['sentry.organization'], none['sentry.user'], none['sentry.organizationmember'], none['sentry.project']]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ])
  })

  it('leaves the install options out: 2 of 6 options survive', async () => {
    await using db = await cloneReferenceDatabase(server)
    const options = (await readFixture('fresh-install.json')).filter((e) => e.model === 'sentry.option')
    const extra = [7, 8].map((pk) => ({ model: 'sentry.option', pk, fields: { ...options[0]!.fields, key: `sentry:kept-${pk}` } }))
    await importBackup({ application: app, databaseUrl: db.url, source: await writeTempBackup([...options, ...extra]) })
    const exported = (await exportOf(db, 'Global')).filter((e) => e.model === 'sentry.option')
    expect(exported.map((e) => e.fields.key)).toEqual(['sentry:kept-7', 'sentry:kept-8'])
  })
})
