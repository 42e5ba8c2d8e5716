import pg from 'pg'
import { describeError, HarnessError } from '../errors.ts'
import { logger } from '../log.ts'
import { cleanupOnSignal } from './cleanup-on-exit.ts'
import { generateDatabaseName, quoteIdentifier, redactUrl, withDatabase } from './database-names.ts'
import type { ProviderName, StartedServer } from './types.ts'

const log = logger('server')

/** A database the harness created and will drop. */
export interface OwnedDatabase extends AsyncDisposable {
  readonly name: string
  readonly url: string
  /** Drops the database (closing any connection still open to it). Idempotent. */
  dispose(): Promise<void>
}

export interface CreateDatabaseOptions {
  /** Clone this database (`CREATE DATABASE … TEMPLATE`). Default: an empty database. */
  readonly template?: string
  /** A word for the generated name, e.g. `clone` or `template`. Default: `db`. */
  readonly kind?: string
}

/** How long to retry a clone while another session still holds the template. */
export const DEFAULT_CLONE_RETRY_MS = 10_000

/**
 * A PostgreSQL server the harness may use, whichever provider supplied it. It remembers every
 * database it created; `dispose` drops those and then stops the server if the provider started
 * one. It refuses to drop any database it did not create.
 */
export class DatabaseServer implements AsyncDisposable {
  readonly provider: ProviderName
  readonly reason: string
  readonly majorVersion: number
  readonly description: string
  readonly maintenanceUrl: string
  readonly #started: StartedServer
  readonly #owned = new Set<string>()
  readonly #unregister: () => void
  #disposing: Promise<void> | undefined

  constructor(provider: ProviderName, reason: string, started: StartedServer) {
    this.provider = provider
    this.reason = reason
    this.majorVersion = started.majorVersion
    this.description = started.description
    this.maintenanceUrl = started.maintenanceUrl
    this.#started = started
    this.#unregister = cleanupOnSignal(() => this.dispose())
  }

  /** Names of the databases this server object created and has not dropped yet. */
  get ownedDatabases(): readonly string[] {
    return [...this.#owned]
  }

  urlFor(database: string): string {
    return withDatabase(this.maintenanceUrl, database)
  }

  /** Creates a uniquely named database, empty or cloned from `template`. */
  async createDatabase(options: CreateDatabaseOptions = {}): Promise<OwnedDatabase> {
    const name = generateDatabaseName(options.kind ?? 'db')
    const template = options.template ? ` TEMPLATE ${quoteIdentifier(options.template)}` : ''
    await this.#retryWhileTemplateBusy(options.template, () =>
      this.#admin(`CREATE DATABASE ${quoteIdentifier(name)}${template}`),
    )
    this.#owned.add(name)
    log('[%s] created%s', name, options.template ? ` from ${options.template}` : '')
    // Idempotent: a database already dropped (by an earlier dispose or by the server's own
    // dispose) is left alone instead of being refused as not ours.
    const dispose = async () => {
      if (this.#owned.has(name)) await this.dropDatabase(name)
    }
    return { name, url: this.urlFor(name), dispose, [Symbol.asyncDispose]: dispose }
  }

  /** Drops a database this object created. Any other name is refused. */
  async dropDatabase(name: string): Promise<void> {
    if (!this.#owned.has(name)) throw notOwned(name)
    // A template refuses DROP while it is marked as one.
    await this.#admin(`ALTER DATABASE ${quoteIdentifier(name)} WITH IS_TEMPLATE false`).catch(() => {})
    await this.#admin(`DROP DATABASE IF EXISTS ${quoteIdentifier(name)} WITH (FORCE)`)
    this.#owned.delete(name)
    log('[%s] dropped', name)
  }

  /** Marks an owned database as a template that accepts no connections, so clones never wait. */
  async markAsTemplate(name: string): Promise<void> {
    if (!this.#owned.has(name)) throw notOwned(name)
    await this.#admin(`ALTER DATABASE ${quoteIdentifier(name)} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`)
  }

  /** Drops every owned database, then stops the server if the provider started one. */
  dispose(): Promise<void> {
    this.#disposing ??= this.#dispose()
    return this.#disposing
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose()
  }

  async #dispose(): Promise<void> {
    this.#unregister()
    // A server the provider started is thrown away whole; dropping its databases first is
    // wasted time. On a server we merely connected to, our databases are all we may remove.
    if (this.provider === 'url') {
      for (const name of [...this.#owned].reverse()) {
        await this.dropDatabase(name).catch((error) => log('[%s] drop failed: %s', name, describeError(error)))
      }
    }
    await this.#started.stop()
    // Whatever was on a stopped server is gone with it.
    this.#owned.clear()
  }

  async #admin(sql: string): Promise<void> {
    const client = new pg.Client({ connectionString: this.maintenanceUrl })
    try {
      await client.connect()
      await client.query(sql)
    } catch (error) {
      throw new HarnessError({
        code: 'DATABASE_START_FAILED',
        stage: 'boot',
        message: `${sql.split(' ').slice(0, 2).join(' ').toLowerCase()} failed: ${describeError(error)} (${redactUrl(this.maintenanceUrl)})`,
        hint: 'The database user needs the CREATEDB privilege on a server given by URL',
        cause: error,
      })
    } finally {
      await client.end().catch(() => {})
    }
  }

  async #retryWhileTemplateBusy(template: string | undefined, run: () => Promise<void>): Promise<void> {
    const deadline = Date.now() + DEFAULT_CLONE_RETRY_MS
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await run()
      } catch (error) {
        // 55006: "source database is being accessed by other users" — someone is connected to the
        // template for a moment (another clone being created, a late connection closing).
        const busy = (error as { cause?: { code?: string } }).cause?.code === '55006'
        if (!template || !busy || Date.now() > deadline) throw error
        await new Promise((resolve) => setTimeout(resolve, Math.min(20 * attempt, 200)))
      }
    }
  }
}

function notOwned(name: string): HarnessError {
  return new HarnessError({
    code: 'DATABASE_NOT_OWNED',
    stage: 'boot',
    message: `refusing to change database "${name}": the harness did not create it`,
    hint: 'The harness only alters and drops databases it created itself; drop this one yourself if you mean to',
    context: { database: name },
  })
}
