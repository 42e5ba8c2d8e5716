/**
 * The reference application's second migration (environment_display_name: `sentry.environment`'s
 * `name` renamed to `display_name`, `slug` added and filled from it) under test, with the snapshot
 * that predates it: imported at the old schema and migrated, imported straight into the latest
 * schema through the renamedFields shim, and exported again at the old schema.
 */
import { readFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildModelRegistry } from '../harness/application/model-registry.ts'
import { readDmmf } from '../harness/application/prisma-dmmf.ts'
import type { Application } from '../harness/application/load-application.ts'
import type { DatabaseServer } from '../harness/database/database-server.ts'
import { HarnessError } from '../harness/errors.ts'
import { importBackup } from '../harness/import/import-backup.ts'
import { readLiveRegistryAt } from '../harness/import/live-schema.ts'
import { applyMigrations } from '../harness/schema/migrator.ts'
import { cloneDatabase, createSchemaTemplate } from '../harness/schema/template.ts'
import {
  ENVIRONMENT_NAMES,
  ENVIRONMENT_SNAPSHOT,
  seedBeforeRename,
  SNAPSHOT_MIGRATION,
} from '../scripts/make-environment-snapshot.ts'
import { exportToString, writeTempBackup } from './support/backup-io.ts'
import { query, referenceApplication, type Entry } from './support/reference-app.ts'
import { cloneReferenceDatabase, connectSharedServer } from './support/shared-server.ts'

const ENVIRONMENT = 'sentry.environment'

/** The data migration's rule, written out per name so a wrong rule cannot pass both sides. */
const EXPECTED_SLUGS: Readonly<Record<(typeof ENVIRONMENT_NAMES)[number], string>> = {
  Production: 'production',
  'Staging QA': 'staging-qa',
  dev_local: 'dev-local',
  '  EU / West (2)!': 'eu-west-2',
}

describe('the migration under test (environment_display_name)', () => {
  let server: DatabaseServer
  let app: Application
  /** A template at the migration the snapshot was exported at. */
  let oldTemplate: string
  let snapshotText: string
  let snapshot: Entry[]

  beforeAll(async () => {
    server = await connectSharedServer()
    app = await referenceApplication()
    oldTemplate = (await createSchemaTemplate(server, { migrations: app.migrations, to: SNAPSHOT_MIGRATION })).name
    snapshotText = await readFile(ENVIRONMENT_SNAPSHOT, 'utf8')
    snapshot = JSON.parse(snapshotText) as Entry[]
  })
  afterAll(() => server.dispose())

  const environments = (entries: readonly Entry[]) => entries.filter((entry) => entry.model === ENVIRONMENT)
  const others = (entries: readonly Entry[]) => entries.filter((entry) => entry.model !== ENVIRONMENT)

  it('ships a snapshot from before the rename, with rows the data migration changes', () => {
    expect(app.migrations.map((m) => m.name.replace(/^\d+_/, ''))).toEqual(['init', 'environment_display_name'])
    const names = environments(snapshot).map((entry) => entry.fields.name)
    expect(names).toEqual([...ENVIRONMENT_NAMES])
    expect(environments(snapshot).every((entry) => Object.keys(entry.fields).join() === 'organization_id,name,date_added')).toBe(true)
    // The rule points at an environment, and everything the rows point at is in the snapshot.
    const rule = snapshot.find((entry) => entry.model === 'sentry.rule')!
    expect(environments(snapshot).map((entry) => entry.pk)).toContain(rule.fields.environment_id)
    expect(snapshot.map((entry) => entry.model)).toEqual(
      expect.arrayContaining(['sentry.organization', 'sentry.project', ENVIRONMENT, 'sentry.rule']),
    )
  })

  it('imports at the old schema, migrates, and exports renamed names and derived slugs', async () => {
    await using db = await cloneDatabase(server, oldTemplate)
    const summary = await importBackup({
      application: app,
      databaseUrl: db.url,
      source: ENVIRONMENT_SNAPSHOT,
      allowPendingMigrations: true,
    })
    expect(summary.models.find((m) => m.model === ENVIRONMENT)?.inserted).toBe(ENVIRONMENT_NAMES.length)

    const migrated = await applyMigrations(db.url, app.migrations)
    expect(migrated.applied.map((name) => name.replace(/^\d+_/, ''))).toEqual(['environment_display_name'])

    const after = JSON.parse((await exportToString({ application: app, databaseUrl: db.url })).text) as Entry[]
    expect(environments(after)).toEqual(
      environments(snapshot).map((entry) => ({
        model: ENVIRONMENT,
        pk: entry.pk,
        fields: {
          organization_id: entry.fields.organization_id,
          display_name: entry.fields.name,
          slug: EXPECTED_SLUGS[entry.fields.name as keyof typeof EXPECTED_SLUGS],
          date_added: entry.fields.date_added,
        },
      })),
    )
    expect(others(after)).toEqual(others(snapshot))
  })

  it('imports the old snapshot straight into the latest schema through the renamedFields shim', async () => {
    expect(app.registry.get(ENVIRONMENT)!.renamedFields).toEqual(new Map([['name', 'display_name']]))
    await using db = await cloneReferenceDatabase(server)
    await importBackup({ application: app, databaseUrl: db.url, source: ENVIRONMENT_SNAPSHOT })

    const after = JSON.parse((await exportToString({ application: app, databaseUrl: db.url })).text) as Entry[]
    // No data migration ran: the new column has its default.
    expect(environments(after)).toEqual(
      environments(snapshot).map((entry) => ({
        model: ENVIRONMENT,
        pk: entry.pk,
        fields: {
          organization_id: entry.fields.organization_id,
          display_name: entry.fields.name,
          slug: '',
          date_added: entry.fields.date_added,
        },
      })),
    )
    expect(others(after)).toEqual(others(snapshot))
  })

  it('refuses a row that carries both the old and the new name', async () => {
    await using db = await cloneReferenceDatabase(server)
    const both = snapshot.map((entry) =>
      entry.model === ENVIRONMENT && entry.pk === 2
        ? { ...entry, fields: { ...entry.fields, display_name: 'Staging' } }
        : entry,
    )
    const error = (await importBackup({ application: app, databaseUrl: db.url, source: await writeTempBackup(both) }).catch(
      (e: unknown) => e,
    )) as HarnessError
    expect(error).toBeInstanceOf(HarnessError)
    expect(error.context).toMatchObject({ kind: 'DeserializationFailed', model: ENVIRONMENT, pk: 2, field: 'name' })
    expect(error.message).toContain('both `name` and `display_name`')
  })

  it('exports a database at the old schema as the snapshot, byte for byte', async () => {
    // The snapshot's own recipe, replayed: the script regenerates the same bytes.
    await using seeded = await cloneDatabase(server, oldTemplate)
    await seedBeforeRename(seeded.url)
    const fromSeed = await exportToString({ application: app, databaseUrl: seeded.url, liveSchema: true })
    expect(fromSeed.text).toBe(snapshotText)

    // And the old-schema round trip: import at the old schema, export at the old schema.
    await using imported = await cloneDatabase(server, oldTemplate)
    await importBackup({ application: app, databaseUrl: imported.url, source: ENVIRONMENT_SNAPSHOT, allowPendingMigrations: true })
    const roundTripped = await exportToString({ application: app, databaseUrl: imported.url, liveSchema: true })
    expect(roundTripped.text).toBe(snapshotText)

    // Without liveSchema the exporter reads the latest schema, which the old tables do not have.
    const latest = (await exportToString({ application: app, databaseUrl: imported.url }).catch((e: unknown) => e)) as HarnessError
    expect(latest.code).toBe('EXPORT_FAILED')
    expect(latest.message).toContain('display_name')
  })

  it('adapts the registry to the live tables: missing fields out, unknown columns in', async () => {
    await using db = await cloneDatabase(server, oldTemplate)
    // A column no migration has: an FK column `<x>_id` becomes the relation field `<x>`.
    await query(db.url, 'ALTER TABLE sentry_rule ADD COLUMN legacy_project_id BIGINT REFERENCES sentry_project(id)')
    await query(db.url, "ALTER TABLE sentry_rule ADD COLUMN weight NUMERIC(6, 2) NOT NULL DEFAULT 1")
    const live = await readLiveRegistryAt(db.url, app.registry)

    const environment = live.get(ENVIRONMENT)!
    expect(environment.fields.map((f) => f.name)).toEqual(['organization_id', 'name', 'date_added'])
    expect(environment.fieldsByName.get('name')).toMatchObject({
      column: 'name',
      type: 'string',
      maxLength: 64,
      nullable: false,
      hasDefault: false,
      foreignKey: undefined,
    })
    // The old schema still has `name`: the shim must not move its values to a missing field.
    expect(environment.renamedFields.size).toBe(0)
    // The registry's unique set names `display_name`, which this schema does not have.
    expect(environment.uniques).toEqual([])

    const rule = live.get('sentry.rule')!
    expect(rule.fields.map((f) => f.name).slice(-2)).toEqual(['legacy_project', 'weight'])
    expect(rule.fieldsByName.get('legacy_project')).toMatchObject({
      column: 'legacy_project_id',
      type: 'bigint',
      nullable: true,
      foreignKey: { model: 'sentry.project', kind: 'FlexibleForeignKey', nullable: true },
    })
    expect(rule.fieldsByName.get('weight')).toMatchObject({ type: 'decimal', nullable: false, hasDefault: true })
    // Everything else is the registry's, untouched.
    expect(live.get('sentry.user')!.fields).toEqual(app.registry.get('sentry.user')!.fields)
  })

  it('refuses renamedFields whose new name is not a field, naming model and field', async () => {
    const schema = readDmmf(await readFile(app.schemaPath, 'utf8'), app.schemaPath)
    const withRename = (renamedFields: Record<string, string>) => ({
      ...app.relocation,
      models: { ...app.relocation.models, [ENVIRONMENT]: { ...app.relocation.models[ENVIRONMENT]!, renamedFields } },
    })
    expect(() => buildModelRegistry(schema, withRename({ name: 'title' }))).toThrow(
      'relocation metadata invalid: renamedFields renames "name" to a field the model does not have (model sentry.environment, field title)',
    )
    expect(() => buildModelRegistry(schema, withRename({ display_name: 'slug' }))).toThrow(
      'relocation metadata invalid: renamedFields renames a field the model still has (model sentry.environment, field display_name)',
    )
    expect(() => buildModelRegistry(schema, withRename({ name: 'display_name' }))).not.toThrow()
  })
})
