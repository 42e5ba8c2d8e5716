import { copyFile, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DatabaseServer } from '../harness/database/database-server.ts'
import { readMigrations } from '../harness/schema/migrations.ts'
import { applyMigrations, readMigrationState } from '../harness/schema/migrator.ts'
import { withSchemaEngine } from '../harness/schema/schema-engine.ts'
import { cloneReferenceDatabase, connectSharedServer } from './support/shared-server.ts'
import { tempDir } from './support/temp.ts'

const PRISMA_DIR = path.resolve(import.meta.dirname, '..', 'prisma')
const SCHEMA = path.join(PRISMA_DIR, 'schema.prisma')
const MIGRATIONS = path.join(PRISMA_DIR, 'migrations')

/**
 * Prisma's own schema engine (the WebAssembly build on npm) is the judge here: if it agrees with
 * what the harness did, so will `prisma migrate` on a developer's machine.
 */
describe('the migrations and Prisma agree', () => {
  let server: DatabaseServer
  beforeAll(async () => {
    server = await connectSharedServer()
  })
  afterAll(() => server.dispose())

  it('produce exactly the schema in schema.prisma (no drift)', async () => {
    await using db = await server.createDatabase({ kind: 'drift' })
    const fromMigrations = await withSchemaEngine({ databaseUrl: db.url, schemaPath: SCHEMA }, (engine) =>
      engine.diffMigrationsToSchema(MIGRATIONS),
    )
    expect(fromMigrations).toBe('')
  })

  it('finds a database the harness migrated identical to schema.prisma', async () => {
    await using clone = await cloneReferenceDatabase(server)
    const diff = await withSchemaEngine({ databaseUrl: clone.url, schemaPath: SCHEMA }, (engine) =>
      engine.diffDatabaseToSchema(),
    )
    expect(diff).toBe('')
  })

  it('detects drift when the schema changes without a migration', async () => {
    const dir = await tempDir('rt-drift-')
    const changed = path.join(dir, 'schema.prisma')
    const text = await readFile(SCHEMA, 'utf8')
    await writeFile(changed, `${text}\nmodel DriftProbe {\n  id BigInt @id @default(autoincrement())\n}\n`)
    await using clone = await cloneReferenceDatabase(server)
    const diff = await withSchemaEngine({ databaseUrl: clone.url, schemaPath: changed }, (engine) =>
      engine.diffDatabaseToSchema(),
    )
    expect(diff).toContain('CREATE TABLE "DriftProbe"')
  })

  it("sees nothing to do on a database the harness migrated (Prisma's view of the history)", async () => {
    await using clone = await cloneReferenceDatabase(server)
    const { status, applied } = await withSchemaEngine(
      { databaseUrl: clone.url, schemaPath: SCHEMA },
      async (engine) => ({
        status: await engine.migrationStatus(MIGRATIONS),
        applied: await engine.applyMigrations(MIGRATIONS),
      }),
    )
    expect(status).toMatchObject({ upToDate: true, pending: [], edited: [], failed: [], unknownToDirectory: [] })
    expect(applied).toEqual([])
  })

  it('takes over a database that Prisma migrated, and Prisma sees the edit the harness refuses', async () => {
    const migrations = await readMigrations(MIGRATIONS)
    await using db = await server.createDatabase({ kind: 'prisma' })
    const appliedByPrisma = await withSchemaEngine({ databaseUrl: db.url, schemaPath: SCHEMA }, (engine) =>
      engine.applyMigrations(MIGRATIONS),
    )
    expect(appliedByPrisma).toEqual(migrations.map((m) => m.name))
    expect(await readMigrationState(db.url, migrations)).toMatchObject({
      applied: migrations.map((m) => m.name),
      pending: [],
      modified: [],
    })
    expect((await applyMigrations(db.url, migrations)).applied).toEqual([])

    // Both sides read a changed script as edited: the checksums are computed the same way.
    const dir = await tempDir('rt-edited-')
    const first = migrations[0]!.name
    await copyFile(path.join(MIGRATIONS, 'migration_lock.toml'), path.join(dir, 'migration_lock.toml'))
    const { mkdir } = await import('node:fs/promises')
    await mkdir(path.join(dir, first))
    await writeFile(path.join(dir, first, 'migration.sql'), `${migrations[0]!.sql}\n-- edited\n`)
    const edited = await readMigrations(dir)
    expect((await readMigrationState(db.url, edited)).modified).toEqual([first])
    const prismaView = await withSchemaEngine({ databaseUrl: db.url, schemaPath: SCHEMA }, (engine) =>
      engine.migrationStatus(dir),
    )
    expect(prismaView.edited).toEqual([first])
  })
})
