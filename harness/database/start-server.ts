import { logger } from '../log.ts'
import { DatabaseServer, type OwnedDatabase } from './database-server.ts'
import { startEmbeddedServer } from './embedded-provider.ts'
import { chooseProvider } from './select-provider.ts'
import type { ProviderName, StartedServer } from './types.ts'
import { connectUrlServer } from './url-provider.ts'

const log = logger('server')

export interface StartServerOptions {
  /** `embedded`, `container` or `url`. Default: chosen automatically (see `chooseProvider`). */
  readonly provider?: ProviderName
  /** The server to use with the url provider. Default: `ROUNDTRIP_DATABASE_URL`. */
  readonly databaseUrl?: string
  /**
   * PostgreSQL major. Default: `ROUNDTRIP_PG_MAJOR`, else 15 for the servers the harness starts;
   * a server given by URL is accepted at any major unless one is asked for.
   */
  readonly pgMajor?: number
  /** Container image. Default: `ROUNDTRIP_CONTAINER_IMAGE`, else the official `postgres:<major>`. */
  readonly image?: string
  /** How long a started server may take to accept connections. Default: 30 000 ms (60 000 for containers). */
  readonly startupTimeoutMs?: number
  /** Where the `ROUNDTRIP_*` variables are read. Default: `process.env`. */
  readonly env?: NodeJS.ProcessEnv
}

/**
 * Starts (or, for the url provider, connects to) a PostgreSQL server and says which provider was
 * chosen and why. Dispose it to stop the server or drop what the harness created on it.
 */
export async function startServer(options: StartServerOptions = {}): Promise<DatabaseServer> {
  const env = options.env ?? process.env
  const choice = await chooseProvider({ provider: options.provider, databaseUrl: options.databaseUrl, env })
  const pgMajor = options.pgMajor ?? parseMajor(env.ROUNDTRIP_PG_MAJOR)
  let started: StartedServer
  switch (choice.provider) {
    case 'embedded':
      started = await startEmbeddedServer({ pgMajor, startupTimeoutMs: options.startupTimeoutMs })
      break
    case 'container':
      // Loaded on demand: testcontainers is a large import that the other providers never need.
      const { startContainerServer } = await import('./container-provider.ts')
      started = await startContainerServer({
        pgMajor,
        image: options.image ?? env.ROUNDTRIP_CONTAINER_IMAGE,
        startupTimeoutMs: options.startupTimeoutMs,
      })
      break
    case 'url':
      started = await connectUrlServer({
        url: options.databaseUrl ?? env.ROUNDTRIP_DATABASE_URL ?? '',
        pgMajor,
      })
      break
  }
  log('using %s: %s (%s)', choice.provider, started.description, choice.reason)
  return new DatabaseServer(choice.provider, choice.reason, started)
}

/** A server plus an empty database of the caller's own on it. */
export interface Postgres extends AsyncDisposable {
  /** Connection URL of the empty database. */
  readonly url: string
  readonly database: OwnedDatabase
  readonly server: DatabaseServer
  /** Drops the database and stops the server (or drops everything the harness created on it). */
  dispose(): Promise<void>
}

/** The one-call API: an empty database on a fresh (or given) server, and how to get rid of it. */
export async function startPostgres(options: StartServerOptions = {}): Promise<Postgres> {
  const server = await startServer(options)
  try {
    const database = await server.createDatabase({ kind: 'db' })
    const dispose = async () => {
      await database.dispose()
      await server.dispose()
    }
    return { url: database.url, database, server, dispose, [Symbol.asyncDispose]: dispose }
  } catch (error) {
    await server.dispose()
    throw error
  }
}

function parseMajor(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined
  const major = Number(value)
  if (!Number.isInteger(major) || major < 10) {
    throw new Error(`ROUNDTRIP_PG_MAJOR must be a PostgreSQL major version such as 15, not "${value}"`)
  }
  return major
}
