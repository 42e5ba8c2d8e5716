import { HarnessError } from '../errors.ts'
import { redactUrl } from './database-names.ts'
import { waitForServer } from './wait-for-server.ts'
import { DEFAULT_PG_MAJOR, type ProviderOptions, type StartedServer } from './types.ts'

export interface UrlProviderOptions extends ProviderOptions {
  /** An existing server's URL. Its database is only connected to, never changed or dropped. */
  readonly url: string
  /**
   * How long to keep trying to connect, for a CI service that is still starting. Default: 5 000 ms.
   * A server of another major than `pgMajor` is refused only when `pgMajor` is given explicitly.
   */
  readonly connectTimeoutMs?: number
}

/**
 * An existing server, such as the PostgreSQL service of a CI job. Nothing is started and nothing
 * is stopped; the harness creates its own uniquely named databases there and drops only those.
 */
export async function connectUrlServer(options: UrlProviderOptions): Promise<StartedServer> {
  const url = parseDatabaseUrl(options.url)
  const version = await waitForServer(url, {
    timeoutMs: options.connectTimeoutMs ?? 5_000,
    what: `the PostgreSQL server at ${redactUrl(url)}`,
  })
  if (options.pgMajor !== undefined && version.major !== options.pgMajor) {
    throw new HarnessError({
      code: 'DATABASE_START_FAILED',
      stage: 'boot',
      message: `the server at ${redactUrl(url)} runs PostgreSQL ${version.full}, not ${options.pgMajor}`,
      hint: `Point ROUNDTRIP_DATABASE_URL at a PostgreSQL ${options.pgMajor} server, or leave the major unset (default ${DEFAULT_PG_MAJOR} applies only to servers the harness starts)`,
      context: { provider: 'url' },
    })
  }
  const host = new URL(url)
  return {
    majorVersion: version.major,
    maintenanceUrl: url,
    description: `PostgreSQL ${version.full} at ${host.host}`,
    stop: async () => {},
  }
}

/** Checks that `url` is a PostgreSQL URL, with a message that says what is wrong. */
export function parseDatabaseUrl(url: string): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw invalidUrl(url, 'it is not a URL')
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw invalidUrl(url, `the scheme is "${parsed.protocol.replace(/:$/, '')}", not postgres`)
  }
  if (!parsed.hostname && !parsed.searchParams.get('host')) throw invalidUrl(url, 'it names no host')
  return url
}

function invalidUrl(url: string, why: string): HarnessError {
  return new HarnessError({
    code: 'DATABASE_URL_INVALID',
    stage: 'boot',
    message: `database url rejected: ${why} (${redactUrl(url)})`,
    hint: 'Use the form postgres://user:password@host:5432/database',
    context: { provider: 'url' },
  })
}
