import pg from 'pg'
import { HarnessError } from '../errors.ts'

export interface ServerVersion {
  readonly major: number
  /** e.g. "15.17" */
  readonly full: string
}

export interface WaitForServerOptions {
  readonly timeoutMs: number
  /** What is being waited for, for the timeout message ("embedded PostgreSQL 15"). */
  readonly what: string
  /** True once the server process is known to be gone: waiting longer is pointless. */
  readonly isDead?: () => boolean
  /** Extra detail for the failure message, such as the tail of the server log. */
  readonly describeFailure?: () => Promise<string>
  readonly intervalMs?: number
}

/**
 * Connects until the server answers a query, then returns its version. Polling a real connection
 * (not a log line or a health check) is what works the same on every provider: the official
 * container image, for instance, first runs a temporary server that only listens on a socket.
 */
export async function waitForServer(url: string, options: WaitForServerOptions): Promise<ServerVersion> {
  const deadline = Date.now() + options.timeoutMs
  let lastError: unknown
  for (;;) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 })
    try {
      await client.connect()
      const result = await client.query<{ server_version_num: string; server_version: string }>(
        "SELECT current_setting('server_version_num') AS server_version_num, current_setting('server_version') AS server_version",
      )
      const row = result.rows[0]!
      return {
        major: Math.floor(Number(row.server_version_num) / 10_000),
        full: row.server_version.split(' ')[0]!,
      }
    } catch (error) {
      lastError = error
    } finally {
      await client.end().catch(() => {})
    }
    const dead = options.isDead?.() ?? false
    if (dead || Date.now() >= deadline) {
      const detail = options.describeFailure ? await options.describeFailure() : String(lastError)
      throw new HarnessError({
        code: 'DATABASE_START_FAILED',
        stage: 'boot',
        message: dead
          ? `${options.what} exited before accepting connections: ${detail}`
          : `${options.what} did not accept connections within ${options.timeoutMs} ms: ${detail}`,
        hint: dead
          ? 'Read the server log above; run with DEBUG=roundtrip:* for more'
          : 'Raise the startup timeout if the machine is slow, or check the server log',
        cause: lastError,
      })
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 25))
  }
}
