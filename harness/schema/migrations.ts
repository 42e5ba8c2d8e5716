import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { HarnessError } from '../errors.ts'

/** One migration of Prisma's folder format: `<migrations>/<name>/migration.sql`. */
export interface Migration {
  readonly name: string
  readonly sql: string
  /** Prisma's checksum: SHA-256 of the script with line endings normalised to `\n`, in hex. */
  readonly checksum: string
  readonly path: string
}

/**
 * Prisma's checksum. Prisma normalises CRLF to LF before hashing so that a checkout on Windows
 * agrees with one on Linux; we do the same so `_prisma_migrations` rows are interchangeable.
 */
export function migrationChecksum(sql: string): string {
  return createHash('sha256').update(sql.replaceAll('\r\n', '\n'), 'utf8').digest('hex')
}

/** True when `checksum` was recorded for `sql` by either Prisma or the harness. */
export function checksumMatches(sql: string, checksum: string): boolean {
  return (
    checksum === migrationChecksum(sql) ||
    checksum === createHash('sha256').update(sql, 'utf8').digest('hex')
  )
}

/** Reads the migrations of a Prisma migrations folder, in the order Prisma applies them (by name). */
export async function readMigrations(migrationsDir: string): Promise<Migration[]> {
  let entries
  try {
    entries = await readdir(migrationsDir, { withFileTypes: true })
  } catch (error) {
    throw new HarnessError({
      code: 'SCHEMA_APPLY_FAILED',
      stage: 'schema',
      message: `migrations folder unreadable: ${(error as NodeJS.ErrnoException).code ?? error} (${migrationsDir})`,
      hint: 'Point the harness at the folder holding <timestamp>_<name>/migration.sql directories',
      context: { file: migrationsDir },
      cause: error,
    })
  }
  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
  const migrations: Migration[] = []
  for (const name of names) {
    const file = path.join(migrationsDir, name, 'migration.sql')
    let sql: string
    try {
      sql = await readFile(file, 'utf8')
    } catch {
      throw new HarnessError({
        code: 'SCHEMA_APPLY_FAILED',
        stage: 'schema',
        message: `migration without a script: ${file} is missing`,
        hint: 'Every migration folder needs a migration.sql; remove the empty folder or add the script',
        context: { file, migration: name },
      })
    }
    migrations.push({ name, sql, checksum: migrationChecksum(sql), path: file })
  }
  return migrations
}

/**
 * The migrations up to and including `to` (all of them when `to` is undefined). `to` may be the
 * full folder name or the part after the timestamp (`add_team_color` for
 * `20240101000000_add_team_color`).
 */
export function migrationsUpTo(migrations: readonly Migration[], to: string | undefined): Migration[] {
  if (to === undefined) return [...migrations]
  const index = migrations.findIndex((m) => m.name === to || m.name.replace(/^\d+_/, '') === to)
  if (index === -1) {
    throw new HarnessError({
      code: 'MIGRATION_NOT_FOUND',
      stage: 'schema',
      message: `no migration named "${to}"`,
      hint: `Known migrations: ${migrations.map((m) => m.name).join(', ') || '(none)'}`,
      context: { migration: to },
    })
  }
  return migrations.slice(0, index + 1)
}
