import { randomBytes } from 'node:crypto'

/**
 * Every database the harness creates has a name from here, so it can tell its own databases from
 * anyone else's: the harness only ever drops a database whose name it generated in this process
 * (and, on a server it started itself, anything on that server).
 */
export const DATABASE_NAME_PREFIX = 'rt_'

/** A unique, lower-case, quote-free database name: `rt_<kind>_<pid>_<random>`. */
export function generateDatabaseName(kind: string): string {
  const safeKind = kind.toLowerCase().replace(/[^a-z0-9]+/g, '_').slice(0, 20)
  return `${DATABASE_NAME_PREFIX}${safeKind}_${process.pid.toString(36)}_${randomBytes(5).toString('hex')}`
}

/** Quotes an SQL identifier (database, table, column names). */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

/** `url` with its database (path) replaced by `database`. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url)
  parsed.pathname = `/${encodeURIComponent(database)}`
  return parsed.toString()
}

/** `url` with the password hidden, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return '<unparseable url>'
  }
}
