/** The ways the harness can get hold of a PostgreSQL server. */
export type ProviderName = 'embedded' | 'container' | 'url'

export const PROVIDER_NAMES: readonly ProviderName[] = ['embedded', 'container', 'url']

/**
 * The PostgreSQL major every provider starts when none is asked for. 15 because it is the one
 * major all three providers can serve on a machine without an image registry: Debian bookworm
 * packages 15, so the locally built container image runs 15, and embedded binaries exist for it.
 */
export const DEFAULT_PG_MAJOR = 15

/**
 * What a provider hands back: a running server (or, for the url provider, access to an existing
 * one). The harness only ever creates and drops databases whose names it generated itself
 * (see `database-names.ts`).
 */
export interface StartedServer {
  /** The server's major version, as reported by the server itself. */
  readonly majorVersion: number
  /**
   * A URL of a database on this server that the harness connects to in order to create and drop
   * its own databases. For the embedded and container providers this is the server's `postgres`
   * database; for the url provider it is the database named in the given URL, which the harness
   * connects to but never changes.
   */
  readonly maintenanceUrl: string
  /** A short description for messages: "embedded PostgreSQL 15.17 on 127.0.0.1:54321". */
  readonly description: string
  /**
   * Stops the server and removes everything the provider created for it (data directory,
   * container). For the url provider there is nothing to stop. Idempotent; never throws for a
   * server that is already gone.
   */
  stop(): Promise<void>
}

/** Options shared by every provider. */
export interface ProviderOptions {
  /** PostgreSQL major version. Default: `DEFAULT_PG_MAJOR` (15), the same for every provider. */
  readonly pgMajor?: number
}
