import { afterAll, beforeAll, inject } from 'vitest'
import type { Application } from '../../harness/application/load-application.ts'
import { startServer } from '../../harness/database/start-server.ts'
import type { DatabaseServer, OwnedDatabase } from '../../harness/database/database-server.ts'
import { cloneDatabase } from '../../harness/schema/template.ts'
import { referenceApplication } from './reference-app.ts'

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

/**
 * The shared server and the reference application for the tests of the enclosing describe block
 * (or file): both ready before its first test, the server let go after its last.
 */
export function useReferenceServer(): { readonly server: DatabaseServer; readonly app: Application } {
  let server: DatabaseServer | undefined
  let app: Application | undefined
  beforeAll(async () => {
    server = await connectSharedServer()
    app = await referenceApplication()
  })
  afterAll(async () => {
    await server?.dispose()
  })
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('useReferenceServer: read before its beforeAll ran')
    return value
  }
  return {
    get server() {
      return ready(server)
    },
    get app() {
      return ready(app)
    },
  }
}
