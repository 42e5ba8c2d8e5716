/**
 * Writes snapshots/environment_before_rename.json, the snapshot that predates the reference
 * application's second migration (environment_display_name: `name` renamed to `display_name`,
 * `slug` added and filled from it):
 *
 *   npx tsx scripts/make-environment-snapshot.ts [out.json]
 *
 * A throwaway server gets a database at the init migration, the rows below are inserted the way
 * the application at that version would have stored them, and the real exporter writes them out
 * against the tables as they are (`liveSchema`), so the file is an export of that version. Every
 * value is fixed (no `now()`, explicit pks), so the output is the same on every run.
 */
import { createWriteStream } from 'node:fs'
import { finished } from 'node:stream/promises'
import path from 'node:path'
import pg from 'pg'
import { loadApplication, type Application } from '../harness/application/load-application.ts'
import { startServer } from '../harness/database/start-server.ts'
import { exportBackup } from '../harness/export/export-backup.ts'
import { cloneDatabase, createSchemaTemplate } from '../harness/schema/template.ts'

const ROOT = path.resolve(import.meta.dirname, '..')

/** The last migration before environment_display_name: the schema the snapshot was taken at. */
export const SNAPSHOT_MIGRATION = 'init'
export const ENVIRONMENT_SNAPSHOT = path.join(ROOT, 'snapshots', 'environment_before_rename.json')

/**
 * Environment names chosen so their slugs differ from them in every way the data migration
 * handles: case ("Production"), a space ("Staging QA"), an underscore ("dev_local"), and runs of
 * punctuation at both ends ("  EU / West (2)!").
 */
export const ENVIRONMENT_NAMES = ['Production', 'Staging QA', 'dev_local', '  EU / West (2)!'] as const

/**
 * Fills a database at the init migration: one organization with its environments, a project and
 * a rule that points at the second environment, which is all their foreign keys need.
 */
export async function seedBeforeRename(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    await client.query('BEGIN')
    await client.query(
      `INSERT INTO sentry_organization (id, name, slug, status, date_added, default_role, is_test, flags)
       VALUES (1, 'Acme Inc.', 'acme', 0, '2024-03-01T09:00:00.000Z', 'member', false, '1')`,
    )
    for (const [index, name] of ENVIRONMENT_NAMES.entries()) {
      await client.query(
        `INSERT INTO sentry_environment (id, organization_id, name, date_added) VALUES ($1, 1, $2, $3)`,
        [index + 1, name, `2024-03-0${index + 2}T10:30:00.123Z`],
      )
    }
    await client.query(
      `INSERT INTO sentry_project (id, slug, name, forced_color, organization_id, public, date_added, status, first_event, flags, platform, template_id)
       VALUES (1, 'backend', 'Backend', NULL, 1, false, '2024-03-02T11:00:00.000Z', 0, NULL, '10', 'python', NULL)`,
    )
    await client.query(
      `INSERT INTO sentry_rule (id, project_id, environment_id, label, data, status, source, date_added, owner_user_id, owner_team_id)
       VALUES (1, 1, 2, 'Notify on new issues in staging', $1, 0, 0, '2024-03-06T12:00:00.000Z', NULL, NULL)`,
      [JSON.stringify({ action_match: 'all', actions: [{ id: 'sentry.mail.actions.NotifyEmailAction' }] })],
    )
    await client.query('COMMIT')
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {})
    throw error
  } finally {
    await client.end()
  }
}

/** Builds the snapshot on a throwaway server and writes it to `destination`. */
export async function makeEnvironmentSnapshot(destination = ENVIRONMENT_SNAPSHOT, application?: Application): Promise<void> {
  const app = application ?? (await loadApplication({ dir: path.join(ROOT, 'prisma') }))
  await using server = await startServer()
  const template = await createSchemaTemplate(server, { migrations: app.migrations, to: SNAPSHOT_MIGRATION })
  await using database = await cloneDatabase(server, template.name)
  await seedBeforeRename(database.url)
  const out = createWriteStream(destination)
  await exportBackup({ application: app, databaseUrl: database.url, destination: out, liveSchema: true })
  out.end()
  await finished(out)
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === import.meta.filename) {
  const destination = path.resolve(process.argv[2] ?? ENVIRONMENT_SNAPSHOT)
  await makeEnvironmentSnapshot(destination)
  process.stdout.write(`wrote ${path.relative(process.cwd(), destination)}\n`)
}
