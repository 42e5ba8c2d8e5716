import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { describeError, HarnessError } from '../errors.ts'
import { logger } from '../log.ts'
import { checksumMatches, migrationsUpTo, type Migration } from './migrations.ts'

const log = logger('migrate')

/**
 * The same advisory lock key Prisma's schema engine takes, so the harness and `prisma migrate`
 * never apply migrations to one database at the same time.
 */
const PRISMA_ADVISORY_LOCK_KEY = 72707369

/** Prisma's bookkeeping table, created exactly as Prisma creates it on PostgreSQL. */
const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`

export type MigrationStatus = 'Applied' | 'AlreadyApplied' | 'NotExecuted'

export interface MigrationResult {
  readonly name: string
  readonly status: MigrationStatus
  /** Time spent running the script; 0 unless `status` is `Applied`. */
  readonly durationMs: number
}

/** What a run did, migration by migration, in order. */
export interface MigrationResultSet {
  readonly results: readonly MigrationResult[]
  /** Names of the migrations this run applied. */
  readonly applied: readonly string[]
}

/** How a database's `_prisma_migrations` compares with the migrations on disk. */
export interface MigrationState {
  /** On disk and finished in the database, with a matching checksum. */
  readonly applied: readonly string[]
  /** On disk, not yet in the database. */
  readonly pending: readonly string[]
  /** Finished in the database, but the script on disk has changed since. */
  readonly modified: readonly string[]
  /** Finished in the database, unknown on disk (a newer checkout applied them). */
  readonly unknown: readonly string[]
  /** Started but never finished or rolled back (Prisma's P3009 state). */
  readonly failed: readonly string[]
}

interface RecordedMigration {
  migration_name: string
  checksum: string
  finished_at: Date | null
  rolled_back_at: Date | null
}

export interface ApplyMigrationsOptions {
  /** Apply only up to and including this migration. Default: all of them. */
  readonly to?: string
}

/**
 * Applies the pending migrations to the database at `databaseUrl`, like `prisma migrate deploy`,
 * and records them in `_prisma_migrations` the way Prisma does, so Prisma's tooling agrees with
 * what happened. Unlike Prisma, each migration runs in its own transaction: a failing script
 * leaves neither a half-applied schema nor a failed bookkeeping row behind.
 */
export async function applyMigrations(
  databaseUrl: string,
  migrations: readonly Migration[],
  options: ApplyMigrationsOptions = {},
): Promise<MigrationResultSet> {
  const wanted = migrationsUpTo(migrations, options.to)
  const client = new pg.Client({ connectionString: databaseUrl })
  await connect(client, databaseUrl)
  try {
    await client.query('SELECT pg_advisory_lock($1)', [PRISMA_ADVISORY_LOCK_KEY])
    await client.query(CREATE_MIGRATIONS_TABLE)
    const state = stateOf(migrations, await readRecorded(client))
    refuseInconsistentHistory(state)
    const results: MigrationResult[] = []
    const applied: string[] = []
    for (const migration of migrations) {
      if (!wanted.includes(migration)) {
        results.push({ name: migration.name, status: 'NotExecuted', durationMs: 0 })
      } else if (state.applied.includes(migration.name)) {
        results.push({ name: migration.name, status: 'AlreadyApplied', durationMs: 0 })
      } else {
        const durationMs = await applyOne(client, migration)
        results.push({ name: migration.name, status: 'Applied', durationMs })
        applied.push(migration.name)
      }
    }
    return { results, applied }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [PRISMA_ADVISORY_LOCK_KEY]).catch(() => {})
    await client.end().catch(() => {})
  }
}

/** Reads the database's migration history and compares it with `migrations`. */
export async function readMigrationState(
  databaseUrl: string,
  migrations: readonly Migration[],
): Promise<MigrationState> {
  const client = new pg.Client({ connectionString: databaseUrl })
  await connect(client, databaseUrl)
  try {
    const exists = await client.query(`SELECT to_regclass('"_prisma_migrations"') IS NOT NULL AS exists`)
    const recorded = exists.rows[0].exists ? await readRecorded(client) : []
    return stateOf(migrations, recorded)
  } finally {
    await client.end().catch(() => {})
  }
}

async function applyOne(client: pg.Client, migration: Migration): Promise<number> {
  const started = performance.now()
  try {
    await client.query('BEGIN')
    await client.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at) VALUES ($1, $2, $3, now())`,
      [randomUUID(), migration.checksum, migration.name],
    )
    await client.query(migration.sql)
    await client.query(
      `UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE migration_name = $1 AND finished_at IS NULL`,
      [migration.name],
    )
    await client.query('COMMIT')
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {})
    throw new HarnessError({
      code: 'SCHEMA_APPLY_FAILED',
      stage: 'schema',
      message: `migration ${migration.name} failed${lineOf(migration.sql, error)}: ${describeError(error)}`,
      hint: `Fix ${migration.path}; nothing of this migration was applied`,
      context: { migration: migration.name, file: migration.path },
      cause: error,
    })
  }
  const durationMs = performance.now() - started
  log('applied %s in %d ms', migration.name, Math.round(durationMs))
  return durationMs
}

/** " at line N" for a PostgreSQL error that carries a character position in the script. */
function lineOf(sql: string, error: unknown): string {
  const position = Number((error as { position?: string }).position)
  if (!Number.isInteger(position) || position < 1) return ''
  return ` at line ${sql.slice(0, position - 1).split('\n').length}`
}

async function readRecorded(client: pg.Client): Promise<RecordedMigration[]> {
  const result = await client.query<RecordedMigration>(
    `SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at`,
  )
  return result.rows
}

function stateOf(migrations: readonly Migration[], recorded: readonly RecordedMigration[]): MigrationState {
  const onDisk = new Map(migrations.map((m) => [m.name, m]))
  const finished = recorded.filter((r) => r.finished_at !== null && r.rolled_back_at === null)
  const finishedNames = new Set(finished.map((r) => r.migration_name))
  return {
    applied: finished
      .filter((r) => onDisk.has(r.migration_name) && checksumMatches(onDisk.get(r.migration_name)!.sql, r.checksum))
      .map((r) => r.migration_name),
    modified: finished
      .filter((r) => onDisk.has(r.migration_name) && !checksumMatches(onDisk.get(r.migration_name)!.sql, r.checksum))
      .map((r) => r.migration_name),
    unknown: finished.filter((r) => !onDisk.has(r.migration_name)).map((r) => r.migration_name),
    pending: migrations.filter((m) => !finishedNames.has(m.name)).map((m) => m.name),
    failed: recorded
      .filter((r) => r.finished_at === null && r.rolled_back_at === null)
      .map((r) => r.migration_name),
  }
}

function refuseInconsistentHistory(state: MigrationState): void {
  if (state.failed.length > 0) {
    throw historyError(
      `the database has failed migrations: ${state.failed.join(', ')}`,
      'Resolve them with `prisma migrate resolve`, or start from a fresh database',
    )
  }
  if (state.modified.length > 0) {
    throw historyError(
      `migrations were edited after they were applied: ${state.modified.join(', ')}`,
      'Restore the applied scripts, or start from a fresh database',
    )
  }
  if (state.unknown.length > 0) {
    throw historyError(
      `the database has migrations this project does not know: ${state.unknown.join(', ')}`,
      'Check out the version of the application that wrote them',
    )
  }
}

function historyError(message: string, hint: string): HarnessError {
  return new HarnessError({ code: 'MIGRATION_HISTORY_INVALID', stage: 'schema', message, hint })
}

async function connect(client: pg.Client, databaseUrl: string): Promise<void> {
  try {
    await client.connect()
  } catch (error) {
    throw new HarnessError({
      code: 'SCHEMA_APPLY_FAILED',
      stage: 'schema',
      message: `cannot connect to apply migrations: ${describeError(error)}`,
      hint: 'Check the database URL and that the server is running',
      context: { database: new URL(databaseUrl).pathname.slice(1) },
      cause: error,
    })
  }
}
