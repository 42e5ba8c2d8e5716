import { inject } from 'vitest'
import { startServer } from '../../harness/database/start-server.ts'
import type { DatabaseServer, OwnedDatabase } from '../../harness/database/database-server.ts'
import { cloneDatabase } from '../../harness/schema/template.ts'

/**
 * The run's shared server, seen from one test file: connected through the url provider, so this
 * file can create and drop only its own databases on it.
 */
export async function connectSharedServer(): Promise<DatabaseServer> {
  return await startServer({ provider: 'url', databaseUrl: inject('roundtripServer').maintenanceUrl })
}

/** A fresh database with the reference schema, dropped when disposed. */
export async function cloneReferenceDatabase(server: DatabaseServer): Promise<OwnedDatabase> {
  return await cloneDatabase(server, inject('roundtripServer').template)
}
