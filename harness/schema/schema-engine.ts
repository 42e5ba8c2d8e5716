/**
 * Prisma's schema engine (migrate diff / deploy / status), run in-process from
 * @prisma/schema-engine-wasm over a pg driver adapter.
 *
 * Why not the Prisma CLI: Prisma 7's `migrate` commands need a native engine binary that is
 * downloaded from Prisma's CDN, which is unreachable here. The wasm build of the same engine is an
 * ordinary npm package and does the same work. Loading it needs a few workarounds, explained where
 * they are applied (see shared/research/feasibility.md §1, gotchas a–d).
 */
import { readdir, readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'

import { PrismaPg } from '@prisma/adapter-pg'
import {
  bindMigrationAwareSqlAdapterFactory,
  ColumnTypeEnum,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
  type SqlQuery,
  type SqlQueryable,
  type SqlResultSet,
  type Transaction,
} from '@prisma/driver-adapter-utils'
import type {
  DiagnoseMigrationHistoryOutput,
  MigrationDirectory,
  MigrationList,
  SchemaContainer,
  SchemaEngine,
  SchemaFilter,
} from '@prisma/schema-engine-wasm'
// Gotcha (a): the package's entry point imports the .wasm file as an ES module, which Node 20 and
// vitest reject. The bindings module next to it is plain JS; we instantiate the bytes ourselves.
import * as bindings from '@prisma/schema-engine-wasm/schema_engine_bg'
import pg from 'pg'

import { describeError, HarnessError } from '../errors.ts'
import { generateDatabaseName } from '../database/database-names.ts'
import { logger } from '../log.ts'

const log = logger('schema-engine')

/** What `migrationStatus` reports: Prisma's view of the migration history of the database. */
export interface MigrationStatus {
  /** Whether `_prisma_migrations` exists; false on a database no migration ever touched. */
  readonly hasMigrationsTable: boolean
  /** Migrations in the directory that the database has not applied yet. */
  readonly pending: readonly string[]
  /** Migrations the database has applied that the directory does not contain. */
  readonly unknownToDirectory: readonly string[]
  /** Migrations whose last attempt failed. */
  readonly failed: readonly string[]
  /** Migrations whose migration.sql changed after the database applied it (checksum mismatch). */
  readonly edited: readonly string[]
  /** True when nothing above is set and the history is in sync. */
  readonly upToDate: boolean
}

export interface SchemaEngineHandle {
  /** The SQL that creates the schema on an empty database. */
  diffEmptyToSchema(): Promise<string>
  /**
   * The SQL that takes a database built from the migrations in `migrationsDir` to the schema.
   * `''` when the migrations already produce the schema. Replays the migrations on a temporary
   * shadow database on the same server.
   */
  diffMigrationsToSchema(migrationsDir: string): Promise<string>
  /** The SQL that takes the live database to the schema; `''` when they match. */
  diffDatabaseToSchema(): Promise<string>
  /** Applies pending migrations like `prisma migrate deploy`; returns the names applied now. */
  applyMigrations(migrationsDir: string): Promise<string[]>
  /** Prisma's diagnosis of the database's migration history against `migrationsDir`. */
  migrationStatus(migrationsDir: string): Promise<MigrationStatus>
}

export interface SchemaEngineOptions {
  /** The database the engine works on (applies migrations to, diffs against). */
  readonly databaseUrl: string
  /** The Prisma schema file. */
  readonly schemaPath: string
  /**
   * The name of the temporary database used to replay migrations (`diffMigrationsToSchema`).
   * Default: a harness-generated `rt_shadow_…` name (see `database-names.ts`), so the harness's
   * own-databases-only rule holds for it too. It is created on the server of `databaseUrl` and
   * dropped afterwards.
   */
  readonly shadowDatabaseName?: () => string
}

const NO_FILTERS: SchemaFilter = { externalTables: [], externalEnums: [] }

/**
 * Runs `fn` with a schema engine bound to `options.databaseUrl` and `options.schemaPath`.
 * The engine, every connection pool it opened and any shadow database are released afterwards,
 * whether `fn` succeeds or throws.
 */
export async function withSchemaEngine<T>(
  options: SchemaEngineOptions,
  fn: (engine: SchemaEngineHandle) => Promise<T>,
): Promise<T> {
  const schema = await readSchema(options.schemaPath)
  const connection = parseDatabaseUrl(options.databaseUrl)
  const adapters = new PatchedPgFactory(connection, options.shadowDatabaseName ?? shadowName)
  let engine: SchemaEngine | undefined
  runningEngines += 1
  try {
    const { SchemaEngine } = await loadEngineModule()
    engine = await callEngine('start', connection, () =>
      SchemaEngine.new(
        { datamodels: [[schema.path, schema.content]] },
        (message: string) => log('engine: %s', message),
        bindMigrationAwareSqlAdapterFactory(adapters),
      ),
    )
    return await fn(createHandle(engine, schema, connection))
  } finally {
    engine?.free()
    await adapters.disposeAll()
    runningEngines -= 1
    clearEngineTimers()
  }
}

function createHandle(
  engine: SchemaEngine,
  schema: SchemaContainer,
  connection: ConnectionConfig,
): SchemaEngineHandle {
  const toSchema = { tag: 'schemaDatamodel' as const, files: [schema] }
  const diff = async (
    operation: string,
    from: Parameters<SchemaEngine['diff']>[0]['from'],
  ): Promise<string> => {
    const result = await callEngine(operation, connection, () =>
      engine.diff({ from, to: toSchema, script: true, exitCode: null, filters: NO_FILTERS }),
    )
    return normaliseScript(result.stdout ?? '')
  }

  return {
    diffEmptyToSchema: () => diff('diff empty → schema', { tag: 'empty' }),

    async diffMigrationsToSchema(migrationsDir) {
      const migrations = await readMigrations(migrationsDir)
      // The engine needs migration_lock.toml to know the connector, even when there is nothing
      // to replay; no migrations at all is simply the empty database.
      if (migrations.migrationDirectories.length === 0) {
        return diff('diff empty → schema', { tag: 'empty' })
      }
      return diff('diff migrations → schema', { tag: 'migrations', ...migrations })
    },

    // The engine treats the connection it was created with as the datasource's live database.
    diffDatabaseToSchema: () =>
      diff('diff database → schema', {
        tag: 'schemaDatasource',
        files: [schema],
        configDir: path.dirname(schema.path),
      }),

    async applyMigrations(migrationsDir) {
      const migrationsList = await readMigrations(migrationsDir)
      const result = await callEngine('apply migrations', connection, () =>
        engine.applyMigrations({ migrationsList, filters: NO_FILTERS }),
      )
      return result.appliedMigrationNames
    },

    async migrationStatus(migrationsDir) {
      const migrationsList = await readMigrations(migrationsDir)
      const result = await callEngine('diagnose migration history', connection, () =>
        engine.diagnoseMigrationHistory({
          migrationsList,
          optInToShadowDatabase: false,
          filters: NO_FILTERS,
        }),
      )
      return toStatus(result)
    },
  }
}

function toStatus(output: DiagnoseMigrationHistoryOutput): MigrationStatus {
  const history = output.history
  const pending =
    history === null || history.diagnostic === 'migrationsDirectoryIsBehind'
      ? []
      : history.unappliedMigrationNames
  const unknownToDirectory =
    history === null || history.diagnostic === 'databaseIsBehind'
      ? []
      : history.unpersistedMigrationNames
  return {
    hasMigrationsTable: output.hasMigrationsTable,
    pending,
    unknownToDirectory,
    failed: output.failedMigrationNames,
    edited: output.editedMigrationNames,
    upToDate:
      history === null &&
      output.failedMigrationNames.length === 0 &&
      output.editedMigrationNames.length === 0,
  }
}

/**
 * An empty diff comes back as a comment ("-- This is an empty migration."), so callers could not
 * tell "no drift" from "drift" by comparing with `''`. A script without statements becomes `''`.
 */
export function normaliseScript(script: string): string {
  const statements = script
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('--'))
  return statements.length === 0 ? '' : script
}

// ---------------------------------------------------------------------------------------------
// Migration directories (Prisma's layout: <dir>/<timestamp>_<name>/migration.sql plus
// <dir>/migration_lock.toml), read the way the Prisma CLI hands them to the engine.

const LOCKFILE = 'migration_lock.toml'
const MIGRATION_FILE = 'migration.sql'

async function readMigrations(migrationsDir: string): Promise<MigrationList> {
  const baseDir = path.resolve(migrationsDir)
  const entries = await readdir(baseDir, { withFileTypes: true }).catch((error: unknown) => {
    if (isMissingFile(error)) return []
    throw schemaError(
      `reading migrations failed: ${describeError(error)}`,
      { file: baseDir },
      error,
    )
  })
  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
  const migrationDirectories: MigrationDirectory[] = []
  for (const name of names) {
    const file = path.join(baseDir, name, MIGRATION_FILE)
    // A missing or unreadable migration.sql is reported to the engine, which turns it into its
    // own error for that migration, as `prisma migrate deploy` does.
    const content = await readFile(file, 'utf8').then(
      (value) => ({ tag: 'ok' as const, value }),
      (error: unknown) => ({ tag: 'error' as const, value: describeError(error) }),
    )
    migrationDirectories.push({ path: name, migrationFile: { path: MIGRATION_FILE, content } })
  }
  const lockfile = path.join(baseDir, LOCKFILE)
  const lockContent = await readFile(lockfile, 'utf8').catch((error: unknown) => {
    if (isMissingFile(error)) return null
    throw schemaError(
      `reading ${LOCKFILE} failed: ${describeError(error)}`,
      { file: lockfile },
      error,
    )
  })
  return {
    baseDir,
    lockfile: { path: LOCKFILE, content: lockContent },
    shadowDbInitScript: '',
    migrationDirectories,
  }
}

async function readSchema(schemaPath: string): Promise<SchemaContainer> {
  const absolute = path.resolve(schemaPath)
  try {
    return { path: absolute, content: await readFile(absolute, 'utf8') }
  } catch (error) {
    throw schemaError(
      `reading the prisma schema failed: ${describeError(error)}`,
      { file: absolute },
      error,
    )
  }
}

function isMissingFile(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT'
}

// ---------------------------------------------------------------------------------------------
// Loading the wasm module, once per process.

interface PanicRegistry {
  set_message(message: string): void
}

let lastPanic: string | undefined
let enginePromise: Promise<typeof bindings> | undefined

function loadEngineModule(): Promise<typeof bindings> {
  enginePromise ??= instantiateEngine().catch((error: unknown) => {
    enginePromise = undefined
    throw schemaError(
      `loading @prisma/schema-engine-wasm failed: ${describeError(error)}`,
      {},
      error,
    )
  })
  return enginePromise
}

async function instantiateEngine(): Promise<typeof bindings> {
  // Gotcha (b): the wasm code reports Rust panics through this global; without it a panic
  // surfaces only as "Cannot read properties of undefined (reading 'set_message')".
  const registry: PanicRegistry = {
    set_message(message) {
      lastPanic = message
    },
  }
  Object.assign(globalThis, { PRISMA_WASM_PANIC_REGISTRY: registry })

  const require = createRequire(import.meta.url)
  const bindingsFile = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg')
  const bytes = await readFile(path.join(path.dirname(bindingsFile), 'schema_engine_bg.wasm'))
  // The module imports its JS glue under the name the bundler-style entry point would use.
  const glue: Record<string, unknown> = { ...bindings }
  for (const name of Object.keys(glue).filter((key) => key.startsWith('__wbg_setTimeout_'))) {
    glue[name] = trackedSetTimeout
  }
  const { instance } = await wasmApi().instantiate(bytes, { './schema_engine_bg.js': glue })
  const exports = instance.exports as { __wbindgen_start(): void }
  bindings.__wbg_set_wasm(exports)
  exports.__wbindgen_start()
  return bindings
}

/**
 * The engine arms timers (e.g. a 10 s timeout around its migration advisory lock) and never
 * clears them, so a finished `applyMigrations` kept Node alive for another 10 s. Timers go
 * through here instead, and `clearEngineTimers` drops the leftovers once no engine is running.
 */
const engineTimers = new Set<NodeJS.Timeout>()
let runningEngines = 0

function trackedSetTimeout(callback: () => void, milliseconds: number): NodeJS.Timeout {
  const timer = setTimeout(() => {
    engineTimers.delete(timer)
    callback()
  }, milliseconds >>> 0)
  engineTimers.add(timer)
  return timer
}

function clearEngineTimers(): void {
  if (runningEngines > 0) return
  for (const timer of engineTimers) clearTimeout(timer)
  engineTimers.clear()
}

/** The slice of the WebAssembly global used here (the project's TS libs do not declare it). */
interface WebAssemblyApi {
  instantiate(
    bytes: Uint8Array,
    imports: Record<string, object>,
  ): Promise<{ instance: { exports: object } }>
}

function wasmApi(): WebAssemblyApi {
  return (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly
}

async function callEngine<T>(
  operation: string,
  connection: ConnectionConfig,
  run: () => Promise<T>,
): Promise<T> {
  lastPanic = undefined
  try {
    return await run()
  } catch (error) {
    if (error instanceof HarnessError) throw error
    const panic = lastPanic
    const { reason, migration } = parseEngineError(describeError(error))
    const why = panic === undefined ? reason : `engine panicked: ${panic}`
    throw schemaError(
      `schema engine ${operation} failed: ${why}`,
      {
        database: describeConnection(connection),
        ...(migration === undefined ? {} : { migration }),
      },
      error,
    )
  }
}

/**
 * Engine errors end in a Rust span trace ("   0: schema_engine_wasm::…"). The trace stays in
 * `cause`; the message keeps the reason, and the failing migration becomes context.
 */
function parseEngineError(message: string): { reason: string; migration: string | undefined } {
  const lines = message.split('\n')
  const traceStart = lines.findIndex((line) => /^\s+\d+: \S/.test(line))
  const reason = (traceStart === -1 ? lines : lines.slice(0, traceStart))
    .map((line) => line.trimEnd())
    .filter((line) => line !== '')
    .join('\n')
  const migration = /migration_name="([^"]+)"/.exec(message)?.[1]
  return { reason: reason === '' ? message : reason, migration }
}

function schemaError(
  message: string,
  context: Record<string, unknown>,
  cause: unknown,
): HarnessError {
  return new HarnessError({ code: 'SCHEMA_APPLY_FAILED', stage: 'schema', message, context, cause })
}

// ---------------------------------------------------------------------------------------------
// Driver adapters for the engine.

/** A pg connection config without `connectionString` (see `PatchedPgFactory`). */
type ConnectionConfig = pg.PoolConfig & { readonly database: string }

/**
 * Turns a postgres:// URL into discrete pg settings. adapter-pg derives the shadow database's
 * config as `{ ...config, database }`, and pg lets a `connectionString` override `database`, so a
 * URL-based config would replay migrations on the main database instead of the shadow one.
 */
export function parseDatabaseUrl(databaseUrl: string): ConnectionConfig {
  let url: URL
  try {
    url = new URL(databaseUrl)
  } catch (error) {
    throw new HarnessError({
      code: 'DATABASE_URL_INVALID',
      stage: 'schema',
      message: 'the database url could not be parsed',
      cause: error,
    })
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new HarnessError({
      code: 'DATABASE_URL_INVALID',
      stage: 'schema',
      message: `the database url has protocol ${url.protocol}, expected postgres: or postgresql:`,
    })
  }
  const params = url.searchParams
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || 'postgres'
  // `?host=/path` selects a Unix socket directory, as libpq does.
  // IPv6 literals keep their brackets in URL.hostname; pg wants the bare address.
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1')
  const host = params.get('host') ?? (hostname === '' ? undefined : hostname)
  const sslmode = params.get('sslmode')
  return {
    host,
    port: url.port === '' ? undefined : Number(url.port),
    user: url.username === '' ? undefined : decodeURIComponent(url.username),
    password: url.password === '' ? undefined : decodeURIComponent(url.password),
    database,
    ssl:
      sslmode === null || sslmode === 'disable' || sslmode === 'prefer'
        ? undefined
        : { rejectUnauthorized: sslmode === 'verify-full' || sslmode === 'verify-ca' },
    application_name: 'roundtrip-schema-engine',
  }
}

function describeConnection(connection: ConnectionConfig): string {
  return `${connection.host ?? 'localhost'}:${connection.port ?? 5432}/${connection.database}`
}

function shadowName(): string {
  return generateDatabaseName('shadow')
}

/**
 * A migration-aware adapter factory around adapter-pg that (1) relabels PostgreSQL types the
 * adapter cannot map, (2) creates and drops shadow databases itself, with a name we choose, and
 * (3) keeps track of everything it opened so it can all be closed afterwards.
 */
class PatchedPgFactory implements SqlMigrationAwareDriverAdapterFactory {
  readonly provider = 'postgres'
  readonly adapterName = '@prisma/adapter-pg'
  readonly #connection: ConnectionConfig
  readonly #newShadowName: () => string
  readonly #pool: pg.Pool
  readonly #cleanups: (() => Promise<void>)[] = []

  constructor(connection: ConnectionConfig, newShadowName: () => string) {
    this.#connection = connection
    this.#newShadowName = newShadowName
    this.#pool = new pg.Pool({ ...connection, max: 4 })
    // An idle client's error must not crash the process; the next query reports it.
    this.#pool.on('error', (error) => log('idle pool client error: %s', error.message))
  }

  async connect(): Promise<SqlDriverAdapter> {
    const adapter = await new PrismaPg(this.#pool).connect()
    adapter.dispose = this.#track(adapter.dispose.bind(adapter))
    return patchAdapter(adapter)
  }

  async connectToShadowDb(): Promise<SqlDriverAdapter> {
    const name = this.#newShadowName()
    const quoted = `"${name.replaceAll('"', '""')}"`
    await this.#pool.query(`CREATE DATABASE ${quoted}`)
    const adapter = await new PrismaPg({ ...this.#connection, database: name, max: 2 }).connect()
    const closePool = adapter.dispose.bind(adapter)
    // The engine disposes the shadow adapter when it is done with it, and we do again at the
    // end in case it did not: both go through this once-only cleanup. The pool is closed before
    // dropping because PostgreSQL refuses to drop a database that has connections.
    adapter.dispose = this.#track(async () => {
      await closePool().catch((error: unknown) => log('shadow pool end: %s', describeError(error)))
      await this.#pool.query(`DROP DATABASE IF EXISTS ${quoted}`)
    })
    return patchAdapter(adapter)
  }

  /** Registers a cleanup for `disposeAll` and returns it wrapped so it runs at most once. */
  #track(cleanup: () => Promise<void>): () => Promise<void> {
    let running: Promise<void> | undefined
    const once = (): Promise<void> => (running ??= cleanup())
    this.#cleanups.push(once)
    return once
  }

  /** Closes every adapter and pool and drops shadow databases. Never throws. */
  async disposeAll(): Promise<void> {
    for (const cleanup of this.#cleanups.reverse()) {
      await cleanup().catch((error: unknown) => log('cleanup failed: %s', describeError(error)))
    }
    this.#cleanups.length = 0
    await this.#pool
      .end()
      .catch((error: unknown) => log('pool end failed: %s', describeError(error)))
  }
}

// Gotcha (d): adapter-pg 7 cannot map some catalog types the engine reads while introspecting.
// OID 18 ("char", e.g. pg_constraint.contype) must reach the engine as ColumnType Character —
// as plain text, PostgreSQL 18 panics with "Getting constraint_type … as char failed". OIDs 19
// (name), 1002 ("char"[]) and 1003 (name[]) are read as text / text[].
const CHAR_OID = 18
const RELABELLED_OIDS: ReadonlyMap<number, number> = new Map([
  [CHAR_OID, 25],
  [19, 25],
  [1002, 1009],
  [1003, 1009],
])

/** Which columns of a result were OID 18, keyed by the result's row array (shared by both). */
const charColumns = new WeakMap<object, number[]>()

interface PgFieldResult {
  readonly fields: { dataTypeID: number }[]
  readonly rows: unknown[]
}

type PerformIO = (query: SqlQuery) => Promise<PgFieldResult>

function patchQueryable<Q extends SqlQueryable>(queryable: Q): Q {
  // performIO is private in adapter-pg's typings but an ordinary method at run time; queryRaw
  // calls it through `this`, so an own property on the instance takes its place.
  const performIO = Reflect.get(queryable, 'performIO') as PerformIO | undefined
  if (typeof performIO !== 'function') {
    throw schemaError(
      'the pg driver adapter has no performIO method to patch; @prisma/adapter-pg changed',
      {},
      undefined,
    )
  }
  Reflect.set(queryable, 'performIO', async (query: SqlQuery) => {
    const result = await performIO.call(queryable, query)
    const chars: number[] = []
    result.fields.forEach((field, index) => {
      if (field.dataTypeID === CHAR_OID) chars.push(index)
      field.dataTypeID = RELABELLED_OIDS.get(field.dataTypeID) ?? field.dataTypeID
    })
    if (chars.length > 0) charColumns.set(result.rows, chars)
    return result
  })
  const queryRaw = queryable.queryRaw.bind(queryable)
  queryable.queryRaw = async (query: SqlQuery): Promise<SqlResultSet> => {
    const resultSet = await queryRaw(query)
    for (const index of charColumns.get(resultSet.rows) ?? []) {
      resultSet.columnTypes[index] = ColumnTypeEnum.Character
    }
    return resultSet
  }
  return queryable
}

function patchAdapter(adapter: SqlDriverAdapter): SqlDriverAdapter {
  patchQueryable(adapter)
  // adapter-pg runs a script by splitting it at every ";", so a migration with ";" inside a string
  // literal or a function body fails ("unterminated quoted string"). Sent whole, PostgreSQL's
  // simple query protocol runs it as one implicit transaction, as Prisma's native engine does.
  const pool = (Reflect.get(adapter, 'underlyingDriver') as (() => pg.Pool) | undefined)?.call(
    adapter,
  )
  const onError = Reflect.get(adapter, 'onError') as ((error: unknown) => never) | undefined
  if (pool instanceof pg.Pool && typeof onError === 'function') {
    adapter.executeScript = async (script: string): Promise<void> => {
      try {
        await pool.query(script)
      } catch (error) {
        onError.call(adapter, error)
      }
    }
  }
  // The engine runs migrations inside transactions, which query through their own objects.
  const startTransaction = adapter.startTransaction.bind(adapter)
  adapter.startTransaction = async (...args): Promise<Transaction> =>
    patchQueryable(await startTransaction(...args))
  return adapter
}
