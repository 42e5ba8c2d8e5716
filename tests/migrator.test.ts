import { cp, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DatabaseServer } from '../harness/database/database-server.ts'
import { isHarnessError } from '../harness/errors.ts'
import { migrationChecksum, readMigrations, type Migration } from '../harness/schema/migrations.ts'
import { applyMigrations, readMigrationState } from '../harness/schema/migrator.ts'
import { query } from './support/reference-app.ts'
import { connectSharedServer } from './support/shared-server.ts'
import { tempDir } from './support/temp.ts'

const DEMO = path.join(import.meta.dirname, 'fixtures', 'migrations-demo')

const tablesOf = async (url: string) =>
  (await query<{ t: string }>(url, `SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)).map(
    (r) => r.t,
  )

describe('applying migrations', () => {
  let server: DatabaseServer
  let migrations: Migration[]
  beforeAll(async () => {
    server = await connectSharedServer()
    migrations = await readMigrations(DEMO)
  })
  afterAll(() => server.dispose())

  it('reads migration folders in name order with Prisma checksums', () => {
    expect(migrations.map((m) => m.name)).toEqual([
      '20240101000000_create_authors',
      '20240102000000_create_books',
      '20240103000000_add_isbn',
    ])
    // Prisma's checksum is the SHA-256 of the script; CRLF and LF checkouts must agree.
    expect(migrations[0]!.checksum).toMatch(/^[0-9a-f]{64}$/)
    expect(migrationChecksum(migrations[0]!.sql.replaceAll('\n', '\r\n'))).toBe(migrations[0]!.checksum)
  })

  it('applies every migration and records each the way Prisma does', async () => {
    await using db = await server.createDatabase()
    const result = await applyMigrations(db.url, migrations)
    expect(result.applied).toEqual(migrations.map((m) => m.name))
    expect(await tablesOf(db.url)).toEqual(['_prisma_migrations', 'author', 'book'])
    const rows = await query<{ migration_name: string; checksum: string; finished: boolean; applied_steps_count: number; id: string }>(
      db.url,
      `SELECT migration_name, checksum, finished_at IS NOT NULL AS finished, applied_steps_count, id FROM _prisma_migrations ORDER BY started_at, migration_name`,
    )
    expect(rows.map((r) => [r.migration_name, r.checksum, r.finished, r.applied_steps_count])).toEqual(
      migrations.map((m) => [m.name, m.checksum, true, 1]),
    )
    expect(rows.every((r) => /^[0-9a-f-]{36}$/.test(r.id))).toBe(true)
  })

  it('re-applies idempotently: nothing runs twice and no row is added', async () => {
    await using db = await server.createDatabase()
    await applyMigrations(db.url, migrations)
    const again = await applyMigrations(db.url, migrations)
    expect(again.applied).toEqual([])
    expect(again.results.map((r) => r.status)).toEqual(['AlreadyApplied', 'AlreadyApplied', 'AlreadyApplied'])
    const [{ n }] = (await query<{ n: number }>(db.url, 'SELECT count(*)::int AS n FROM _prisma_migrations')) as [{ n: number }]
    expect(n).toBe(3)
  })

  it('applies only up to a named migration, then the rest later', async () => {
    await using db = await server.createDatabase()
    const first = await applyMigrations(db.url, migrations, { to: 'create_books' })
    expect(first.results.map((r) => r.status)).toEqual(['Applied', 'Applied', 'NotExecuted'])
    const columns = await query<{ c: string }>(db.url, `SELECT column_name AS c FROM information_schema.columns WHERE table_name = 'book' ORDER BY ordinal_position`)
    expect(columns.map((r) => r.c)).toEqual(['id', 'title', 'author_id'])
    expect((await readMigrationState(db.url, migrations)).pending).toEqual(['20240103000000_add_isbn'])

    const rest = await applyMigrations(db.url, migrations)
    expect(rest.applied).toEqual(['20240103000000_add_isbn'])
    expect((await readMigrationState(db.url, migrations)).pending).toEqual([])
  })

  it('refuses an unknown target migration and lists the known ones', async () => {
    await using db = await server.createDatabase()
    const error = await applyMigrations(db.url, migrations, { to: 'nope' }).catch((e: unknown) => e)
    expect(isHarnessError(error, 'MIGRATION_NOT_FOUND')).toBe(true)
    expect((error as Error).message).toContain('no migration named "nope"')
    expect((error as Error).message).toContain('20240103000000_add_isbn')
    expect(await tablesOf(db.url)).toEqual([])
  })

  it('rolls a failing migration back whole, naming it and the line', async () => {
    const dir = await tempDir('rt-migrations-')
    await cp(DEMO, dir, { recursive: true })
    await cp(path.join(DEMO, '20240103000000_add_isbn'), path.join(dir, '20240104000000_broken'), { recursive: true })
    await writeFile(
      path.join(dir, '20240104000000_broken', 'migration.sql'),
      'ALTER TABLE "book" ADD COLUMN "pages" INTEGER;\n\nALTER TABLE "book" ADD COLUMN "oops" NO_SUCH_TYPE;\n',
    )
    const withBroken = await readMigrations(dir)
    await using db = await server.createDatabase()
    const error = await applyMigrations(db.url, withBroken).catch((e: unknown) => e)
    expect(isHarnessError(error, 'SCHEMA_APPLY_FAILED')).toBe(true)
    expect((error as Error).message).toMatch(/^migration 20240104000000_broken failed at line 3: type "no_such_type" does not exist/)
    const state = await readMigrationState(db.url, withBroken)
    expect(state.applied).toHaveLength(3)
    expect(state.pending).toEqual(['20240104000000_broken'])
    expect(state.failed).toEqual([])
    const columns = await query<{ c: string }>(db.url, `SELECT column_name AS c FROM information_schema.columns WHERE table_name = 'book' AND column_name = 'pages'`)
    expect(columns).toEqual([])
  })

  it('refuses to build on a migration that was edited after it was applied', async () => {
    await using db = await server.createDatabase()
    await applyMigrations(db.url, migrations)
    const edited = migrations.map((m, i) => (i === 1 ? { ...m, sql: `${m.sql}\n-- edited\n` } : m))
    const error = await applyMigrations(db.url, edited).catch((e: unknown) => e)
    expect(isHarnessError(error, 'MIGRATION_HISTORY_INVALID')).toBe(true)
    expect((error as Error).message).toContain('migrations were edited after they were applied: 20240102000000_create_books')
  })

  it('refuses a database that has migrations the project does not know', async () => {
    await using db = await server.createDatabase()
    await applyMigrations(db.url, migrations)
    const error = await applyMigrations(db.url, migrations.slice(0, 2)).catch((e: unknown) => e)
    expect(isHarnessError(error, 'MIGRATION_HISTORY_INVALID')).toBe(true)
    expect((error as Error).message).toContain('20240103000000_add_isbn')
  })

  it('serialises concurrent runs on one database', async () => {
    await using db = await server.createDatabase()
    const runs = await Promise.all([1, 2, 3].map(() => applyMigrations(db.url, migrations)))
    expect(runs.flatMap((r) => r.applied).sort()).toEqual(migrations.map((m) => m.name))
  })
})
