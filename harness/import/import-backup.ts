import { stat } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import type { Application } from '../application/load-application.ts'
import type { RegistryModel } from '../application/model-registry.ts'
import type { ImportFlags, ImportRowContext, RelocationScope } from '../application/relocation-metadata.ts'
import { entryShapeProblem, type BackupEntry } from '../backup/backup-entry.ts'
import { readBackupEntries, type RawBackupEntry } from '../backup/read-backup.ts'
import { quoteIdentifier } from '../database/database-names.ts'
import { describeError, HarnessError, isHarnessError } from '../errors.ts'
import { dependencyGraph, sortDependencies } from '../graph/sorted-dependencies.ts'
import { logger } from '../log.ts'
import type { ProgressListener } from '../progress/progress-events.ts'
import { readMigrationState } from '../schema/migrator.ts'
import { duplicateOf, LookupIndexes, resolveCollisions, type PreparedRow } from './collisions.ts'
import { copyRows } from './copy-writer.ts'
import { DeferredForeignKeys } from './deferred-foreign-keys.ts'
import { FieldValueError, isPlainText, toColumnText } from './field-values.ts'
import { buildAllowlists, hasFilters, type Allowlists, type FilterRequest } from './import-filters.ts'
import { importError, integrityError, refusedKeyError, type ImportErrorPlace, type WrittenRow } from './import-errors.ts'
import {
  DROP_REASONS,
  SCOPE_MEMBERS,
  type BackupScope,
  type DropReason,
  type ImportSummary,
  type ModelImportSummary,
} from './import-types.ts'
import { readLiveRegistryAt } from './live-schema.ts'
import { PkMap } from './pk-map.ts'
import { advanceSequence, copyInto, readColumnTypes, reservePks, updateRow, type ColumnTypes } from './table-writer.ts'

const log = logger('import')

/**
 * Rows per bulk statement. Memory is bounded by this, not by the size of the backup. Measured on
 * 1M generated rows (2 cores): 1 000 → 32.6 s / 197 MB peak RSS, 5 000 → 28.2 s / 222 MB,
 * 10 000 → 26.7 s / 271 MB; each COPY costs a round trip and a statement start on the server.
 */
export const DEFAULT_IMPORT_BATCH_SIZE = 5_000

/**
 * Rows of one model from which a Global import checks its foreign keys once, after the load,
 * instead of row by row (see `deferred-foreign-keys.ts`). Measured on 1M generated rows (2 cores):
 * import 16.8 s → 10.8 s (COPY into the constrained tables: 12.4 s); below a few thousand rows the DDL
 * costs about what it saves.
 */
export const DEFAULT_DEFER_FOREIGN_KEYS_AT = 5_000

export interface ImportBackupOptions {
  readonly application: Application
  /** The database to import into. Its schema must have every migration of the application. */
  readonly databaseUrl: string
  /** A backup file path, or a stream of its bytes. A filtered import needs a path (it reads twice). */
  readonly source: string | NodeJS.ReadableStream
  /** The name used in messages. Default: the path, or `<stdin>`. */
  readonly file?: string
  /** Default: `Global`, which first empties every table of the application. */
  readonly scope?: BackupScope
  readonly filters?: FilterRequest
  /** Default: both false. */
  readonly flags?: Partial<ImportFlags>
  /** Default: `DEFAULT_IMPORT_BATCH_SIZE` (5 000). */
  readonly batchSize?: number
  /**
   * A Global import checks the foreign keys of a model with at least this many rows once, when
   * the load is done, instead of row by row. Default: `DEFAULT_DEFER_FOREIGN_KEYS_AT` (5 000);
   * `Infinity` defers only self-referencing models, which always are, so that their rows may
   * point at rows later in the file.
   */
  readonly deferForeignKeysAt?: number
  /**
   * Import into a schema that lacks later migrations (an old snapshot at an old schema). The
   * model registry is then adapted to the tables as they are (see `adaptRegistry` in
   * `live-schema.ts`): fields of later migrations are left out, columns they renamed or dropped
   * are fields again. Default: false, so a database whose schema is missing or behind is refused.
   */
  readonly allowPendingMigrations?: boolean
  /** The clock for fields reset to "now". Default: the current time. */
  readonly now?: Date
  /** Told after every batch how far the import is. Default: nobody. */
  readonly onProgress?: ProgressListener
}

interface ModelRun {
  readonly model: RegistryModel
  readonly summary: MutableSummary
  readonly inScope: boolean
  batch: PendingRow[]
}

interface PendingRow {
  readonly ordinal: number
  readonly entry: BackupEntry
  readonly line: number
}

type MutableSummary = { -readonly [K in keyof ModelImportSummary]: ModelImportSummary[K] } & {
  dropped: Record<DropReason, number>
}

/**
 * Imports a backup into a database, in one transaction: on any error nothing is left changed.
 * Rows stream through in batches of one model; foreign keys are remapped through per-model pk
 * maps, so rows must come after the rows they point at (a row whose target was not imported is
 * dropped and counted, as Sentry drops it). A Global import first empties the application's
 * tables and keeps the backup's pks; other scopes merge into what is there under fresh pks.
 */
export async function importBackup(options: ImportBackupOptions): Promise<ImportSummary> {
  const started = performance.now()
  const { application } = options
  const file = options.file ?? (typeof options.source === 'string' ? options.source : '<stdin>')
  // A database behind the migrations has older tables than the registry describes; an up-to-date
  // one is the registry's own, so the normal path reads no catalog.
  const registry = options.allowPendingMigrations
    ? await readLiveRegistryAt(options.databaseUrl, application.registry).catch((error: unknown) => {
        throw isHarnessError(error) ? error : importError('DatabaseError', { file }, describeError(error), error)
      })
    : application.registry
  const scope = options.scope ?? 'Global'
  const scopeMembers = new Set<RelocationScope>(SCOPE_MEMBERS[scope])
  const flags: ImportFlags = { mergeUsers: false, overwriteConfigs: false, ...options.flags }
  const batchSize = options.batchSize ?? DEFAULT_IMPORT_BATCH_SIZE
  const order = sortDependencies(dependencyGraph(registry))

  if (!options.allowPendingMigrations) await refuseUnmigrated(options.databaseUrl, application, file)

  let allowlists: Allowlists = new Map()
  if (options.filters && hasFilters(options.filters)) {
    if (typeof options.source !== 'string') {
      throw new HarnessError({
        code: 'USAGE',
        stage: 'import',
        message: 'filtered import needs a file: filters read the backup twice',
        hint: 'Save the backup to a file and import that',
        context: { file },
      })
    }
    allowlists = await buildAllowlists(registry, options.filters, readBackupEntries(options.source, { file }))
  }

  const client = new pg.Client({ connectionString: options.databaseUrl })
  await client.connect()
  const context: ImportRowContext = {
    scope,
    flags,
    now: options.now ?? new Date(),
    randomHex: (bytes) => randomBytes(bytes).toString('hex'),
  }
  const pkMaps = new Map<string, PkMap>([...registry.models.keys()].map((name) => [name, new PkMap()]))
  const runs: ModelRun[] = []
  const finished = new Set<string>()
  let entries = 0
  let bytes = 0
  const totalBytes = options.onProgress && typeof options.source === 'string' ? await fileSize(options.source) : undefined
  const report = (model: string | undefined, done = false) =>
    options.onProgress?.({ step: 'import', subject: file, model, rows: entries, modelsDone: finished.size, modelsTotal: order.length, bytes, totalBytes, done })
  let writer: BatchWriter | undefined
  try {
    await client.query('BEGIN')
    const types = await readColumnTypes(client, [...registry.models.values()].map((m) => m.table))
    if (scope === 'Global') await emptyTables(client, order.map((name) => registry.get(name)!))

    let run: ModelRun | undefined
    let deletedModelRows = 0
    const deferAt = scope === 'Global' ? (options.deferForeignKeysAt ?? DEFAULT_DEFER_FOREIGN_KEYS_AT) : undefined
    writer = new BatchWriter(client, types, pkMaps, allowlists, scope, scopeMembers, flags, context, file, deferAt)
    const onBytes = options.onProgress ? (read: number) => void (bytes = read) : undefined
    for await (const raw of readBackupEntries(options.source, { file, onBytes })) {
      entries += 1
      const entry = checkEntry(raw, file)
      if (registry.deletedModels.has(entry.model)) {
        deletedModelRows += 1
        continue
      }
      if (run?.model.name !== entry.model) {
        if (run) {
          await writer.flush(run)
          finished.add(run.model.name)
          report(entry.model)
        }
        run = startRun(registry.get(entry.model), entry, raw, file, finished, scopeMembers)
        runs.push(run)
      }
      run.summary.rows += 1
      run.batch.push({ ordinal: run.summary.rows, entry, line: raw.line })
      if (run.batch.length >= batchSize) {
        await writer.flush(run)
        report(run.model.name)
      }
    }
    if (run) {
      await writer.flush(run)
      finished.add(run.model.name)
    }
    await writer.finish()
    for (const { model, summary } of runs) {
      if (summary.inserted + summary.overwritten > 0) await advanceSequence(client, model.table, model.pkColumn)
    }
    await client.query('COMMIT')
    report(undefined, true)
    if (deletedModelRows > 0) log('dropped %d rows of deleted models', deletedModelRows)
    return {
      scope,
      file,
      entries,
      models: runs.map((r) => ({ ...r.summary, dropped: { ...r.summary.dropped } })),
      durationMs: performance.now() - started,
    }
  } catch (thrown) {
    // A COPY of earlier rows that failed meanwhile is the first problem in the backup.
    const error = (await writer?.abandon()) ?? thrown
    await client.query('ROLLBACK').catch(() => {})
    if (isHarnessError(error)) throw error
    throw importError('DatabaseError', { file }, describeError(error), error)
  } finally {
    await client.end().catch(() => {})
  }
}

async function fileSize(path: string): Promise<number | undefined> {
  return stat(path).then((s) => s.size, () => undefined)
}

function checkEntry(raw: RawBackupEntry, file: string): BackupEntry {
  const problem = entryShapeProblem(raw.value)
  if (problem) {
    throw importError('DeserializationFailed', { file, ordinal: raw.index + 1, line: raw.line }, `${problem} (entry ${raw.index + 1} at line ${raw.line})`)
  }
  return raw.value as BackupEntry
}

function startRun(
  model: RegistryModel | undefined,
  entry: BackupEntry,
  raw: RawBackupEntry,
  file: string,
  finished: ReadonlySet<string>,
  scopeMembers: ReadonlySet<RelocationScope>,
): ModelRun {
  if (!model) {
    throw importError('UnknownModel', { file, model: entry.model, pk: entry.pk, line: raw.line }, `the model \`${entry.model}\` could not be found`)
  }
  if (finished.has(model.name)) {
    throw importError(
      'NonContiguousModel',
      { file, model: model.name, pk: entry.pk, line: raw.line },
      `rows of \`${model.name}\` appear again at line ${raw.line}, after rows of other models; each model's rows must be contiguous`,
    )
  }
  const dropped = Object.fromEntries(DROP_REASONS.map((reason) => [reason, 0])) as Record<DropReason, number>
  return {
    model,
    batch: [],
    inScope: model.scopes.some((s) => scopeMembers.has(s)),
    summary: { model: model.name, rows: 0, inserted: 0, existing: 0, overwritten: 0, dropped },
  }
}

/** What the per-row pipeline needs of a model, worked out once per import. */
interface ModelPlan {
  /** The foreign keys to remap (self-references keep their pk: rows of one model may point anywhere in it). */
  readonly foreignKeys: readonly {
    readonly name: string
    readonly target: string
    readonly targetMap: PkMap
    readonly nullIfMissing: boolean
    readonly skipIfReused: boolean
  }[]
  /** Per field index: its texts never need COPY escaping. */
  readonly plain: readonly boolean[]
  /** A field points at the model itself. */
  readonly selfReferencing: boolean
}

/** A COPY on its way: the rows it sends, in order, to name the culprit if it fails. */
interface RunningCopy {
  readonly model: RegistryModel
  readonly rows: readonly WrittenRow[]
  /** Resolves with the statement's error, or undefined; never rejects. */
  readonly done: Promise<unknown>
}

/**
 * Writes the batches of one import: the per-row pipeline of spec §2.3, in bulk. Each batch of new
 * rows goes in with one `COPY … FROM STDIN`, which is not waited for: the next batch is read and
 * prepared while the server stores this one. Every other statement first waits for the running
 * COPY (`settle`): a lookup must see its rows, and a client must not be handed a query while it
 * runs one (pg queues it, but warns that pg 9 will not).
 */
class BatchWriter {
  readonly #plans = new Map<RegistryModel, ModelPlan>()
  #running: RunningCopy | undefined
  readonly #indexes = new LookupIndexes()
  readonly #foreignKeys = new DeferredForeignKeys()

  constructor(
    readonly client: pg.ClientBase,
    readonly types: ReadonlyMap<string, ColumnTypes>,
    readonly pkMaps: ReadonlyMap<string, PkMap>,
    readonly allowlists: Allowlists,
    readonly scope: BackupScope,
    readonly scopeMembers: ReadonlySet<RelocationScope>,
    readonly flags: ImportFlags,
    readonly context: ImportRowContext,
    readonly file: string,
    /** Rows of a model from which its foreign keys are checked after the load; undefined: never. */
    readonly deferForeignKeysAt: number | undefined,
  ) {}

  async flush(run: ModelRun): Promise<void> {
    if (run.batch.length === 0) return
    const { model } = run
    if (this.#defersForeignKeys(run) && !this.#foreignKeys.has(model)) {
      await this.settle()
      await this.#foreignKeys.defer(this.client, model)
    }
    const types = this.types.get(model.table)!
    // Prepared in a function of its own, so that the parsed entries are garbage before any await.
    const prepared = this.#prepareBatch(run)
    // Collision lookups must see every row written so far.
    if (model.rules.collisions?.length) await this.settle()
    await resolveCollisions(this.client, model, types, prepared, this.flags, this.#indexes)
    await this.write(run, types, prepared)
  }

  #defersForeignKeys(run: ModelRun): boolean {
    const at = this.deferForeignKeysAt
    return at !== undefined && (run.summary.rows >= at || this.#planOf(run.model).selfReferencing)
  }

  #prepareBatch(run: ModelRun): PreparedRow[] {
    const batch = run.batch
    run.batch = []
    const prepared: PreparedRow[] = []
    for (const pending of batch) {
      const row = this.prepare(run, pending)
      if (typeof row === 'string') run.summary.dropped[row] += 1
      else prepared.push(row)
    }
    return prepared
  }

  /**
   * Waits for the running COPY, if any.
   * @throws the import error that names its offending row, if it failed
   */
  async settle(): Promise<void> {
    const copy = this.#running
    if (!copy) return
    const error = await copy.done
    this.#running = undefined
    if (error !== undefined) throw integrityError(error, this.file, copy.model, copy.rows)
  }

  /**
   * Waits for the last COPY, drops the import's lookup indexes and puts back the foreign keys
   * taken off for the load: the import may commit.
   * @throws HarnessError `IMPORT_FAILED` (`IntegrityError`) naming a row whose key points nowhere
   */
  async finish(): Promise<void> {
    await this.settle()
    await this.#indexes.dropAll(this.client)
    const violation = await this.#foreignKeys.restore(this.client)
    if (violation) {
      const { error, model, key, pk } = violation
      throw refusedKeyError(error, this.file, model, key, pk)
    }
  }

  /**
   * After an error elsewhere (a bad row further on, the reader), the error of a COPY of earlier
   * rows that failed meanwhile: that one comes first in the backup, so it is the one to report.
   */
  async abandon(): Promise<unknown> {
    return this.settle().then(() => undefined, (error: unknown) => error)
  }

  /** Checks, filters, remaps and normalises one row; returns why it is dropped, or the row. */
  prepare(run: ModelRun, pending: PendingRow): PreparedRow | DropReason {
    const { model } = run
    const plan = this.#planOf(model)
    const { entry, ordinal } = pending
    // The row's own object is changed in place (nothing else holds it), unless it has names that
    // are not current fields: then a copy with deleted fields left out and renamed ones renamed.
    let fields = entry.fields
    for (const name in fields) {
      if (!model.fieldsByName.has(name)) {
        fields = this.#currentFields(model, pending)
        break
      }
    }
    if (!run.inScope) return 'outOfScope'
    const allow = this.allowlists.get(model.name)
    if (allow && !allow.values.has(allow.field === 'pk' ? entry.pk : fields[allow.field])) return 'filtered'

    for (const fk of plan.foreignKeys) {
      const value = fields[fk.name]
      if (value === null || value === undefined) continue
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
        throw importError('ValidationError', this.#place(model, pending, fk.name), `\`${fk.name}\` must be the integer pk of a \`${fk.target}\` row, not ${JSON.stringify(value)}`)
      }
      const mapped = fk.targetMap.get(value)
      if (mapped === undefined) {
        if (fk.nullIfMissing) {
          fields[fk.name] = null
          continue
        }
        return 'missingForeignKey'
      }
      if (fk.skipIfReused && fk.targetMap.wasReused(value)) return 'parentReused'
      fields[fk.name] = mapped
    }

    if (model.rules.normalize?.({ model: model.name, sourcePk: entry.pk, fields }, this.context) === 'skip') {
      return 'skippedByHook'
    }

    const values: (string | null | undefined)[] = []
    for (const field of model.fields) {
      const value = fields[field.name]
      if (value === undefined && !(field.name in fields)) {
        if (!field.hasDefault && !field.nullable) {
          throw importError('ValidationError', this.#place(model, pending, field.name), `\`${field.name}\` is missing and has no default`)
        }
        values.push(field.hasDefault ? undefined : null)
        continue
      }
      if (value === null) {
        if (!field.nullable) throw importError('ValidationError', this.#place(model, pending, field.name), `\`${field.name}\` may not be null`)
        values.push(null)
        continue
      }
      try {
        values.push(toColumnText(field, value))
      } catch (error) {
        if (!(error instanceof FieldValueError)) throw error
        throw importError('ValidationError', this.#place(model, pending, field.name), error.message)
      }
    }
    return { ordinal, sourcePk: entry.pk, values }
  }

  /** The row's fields under their current names; refuses names the model never had. */
  #currentFields(model: RegistryModel, pending: PendingRow): Record<string, unknown> {
    const { entry } = pending
    const fields: Record<string, unknown> = {}
    for (const [name, value] of Object.entries(entry.fields)) {
      if (model.deletedFields.includes(name)) continue
      if (model.fieldsByName.has(name)) {
        fields[name] = value
        continue
      }
      const where = this.#place(model, pending, name)
      const renamed = model.renamedFields.get(name)
      if (renamed === undefined) {
        throw importError('DeserializationFailed', where, `the field \`${name}\` is not a field of \`${model.name}\``)
      }
      if (Object.hasOwn(entry.fields, renamed)) {
        throw importError('DeserializationFailed', where, `the row has both \`${name}\` and \`${renamed}\`, its new name`)
      }
      fields[renamed] = value
    }
    return fields
  }

  #place(model: RegistryModel, pending: PendingRow, field: string): ImportErrorPlace {
    return { file: this.file, model: model.name, ordinal: pending.ordinal, pk: pending.entry.pk, line: pending.line, field }
  }

  #planOf(model: RegistryModel): ModelPlan {
    let plan = this.#plans.get(model)
    if (!plan) {
      const foreignKeys = model.fields
        .filter((f) => f.foreignKey !== undefined && f.foreignKey.model !== model.name)
        .map((f) => ({
          name: f.name,
          target: f.foreignKey!.model,
          targetMap: this.pkMaps.get(f.foreignKey!.model)!,
          nullIfMissing: model.rules.nullIfTargetMissing?.includes(f.name) ?? false,
          skipIfReused: model.rules.skipIfTargetReused?.includes(f.name) ?? false,
        }))
      const selfReferencing = model.fields.some((f) => f.foreignKey?.model === model.name)
      plan = { foreignKeys, plain: model.fields.map(isPlainText), selfReferencing }
      this.#plans.set(model, plan)
    }
    return plan
  }

  async write(run: ModelRun, types: ColumnTypes, rows: PreparedRow[]): Promise<void> {
    const { model, summary } = run
    const pkMap = this.pkMaps.get(model.name)!
    const inserts = rows.filter((row) => row.target === undefined)
    // A Global import restores into emptied tables and keeps the backup's pks (so a restore keeps
    // ids, URLs and DSNs, and pk maps cost no memory); other scopes merge under fresh pks.
    if (this.scope === 'Global') {
      for (const row of inserts) row.pk = row.sourcePk
    } else if (inserts.length > 0) {
      await this.settle()
      const pks = await reservePks(this.client, model.table, model.pkColumn, inserts.length)
      inserts.forEach((row, index) => (row.pk = pks[index]!))
    }

    // Rows that leave a field to its column default name fewer columns: one COPY per column set.
    const groups = new Map<string, WrittenRow[]>()
    for (const row of inserts as WrittenRow[]) {
      let absent = ''
      for (let i = 0; i < row.values.length; i++) if (row.values[i] === undefined) absent += `${i},`
      const group = groups.get(absent)
      if (group) group.push(row)
      else groups.set(absent, [row])
    }
    const plain = this.#planOf(model).plain
    for (const [absent, group] of groups) {
      const left = new Set(absent.split(',').filter(Boolean).map(Number))
      const indices = model.fields.map((_, i) => i).filter((i) => !left.has(i))
      const columns = [model.pkColumn, ...indices.map((i) => model.fields[i]!.column)]
      const data = copyRows(group, indices, plain)
      await this.settle()
      const done = copyInto(this.client, model.table, columns, data).then(
        () => undefined,
        (error: unknown) => error ?? new Error('COPY failed'),
      )
      this.#running = { model, rows: group, done }
    }
    for (const row of inserts) pkMap.set(row.sourcePk, row.pk!, 'Inserted')
    summary.inserted += inserts.length

    for (const row of rows) {
      if (!row.target) continue
      const earlier = duplicateOf(row.target)
      const pk = earlier === undefined ? row.target.pk : pkMap.get(earlier)!
      if (row.target.kind === 'Overwrite') {
        await this.settle()
        const present = model.fields.flatMap((f, i) => (row.values[i] === undefined ? [] : [{ column: f.column, value: row.values[i]! }]))
        await updateRow(this.client, model.table, model.pkColumn, pk, present.map((p) => p.column), types, present.map((p) => p.value))
        summary.overwritten += 1
      } else {
        summary.existing += 1
      }
      pkMap.set(row.sourcePk, pk, row.target.kind)
    }
  }
}

/** Empties every table of the application, children first, and restarts the pk sequences. */
async function emptyTables(client: pg.ClientBase, modelsInOrder: readonly RegistryModel[]): Promise<void> {
  // One TRUNCATE of all tables at once is atomic and fast. No CASCADE: a table outside the
  // application that points at these must make the import fail, not be emptied silently.
  const tables = [...modelsInOrder].reverse().map((m) => quoteIdentifier(m.table))
  await client.query(`TRUNCATE ${tables.join(', ')} RESTART IDENTITY`)
}

async function refuseUnmigrated(databaseUrl: string, application: Application, file: string): Promise<void> {
  const state = await readMigrationState(databaseUrl, application.migrations)
  if (state.pending.length === 0 && state.modified.length === 0) return
  const missing = state.pending.length > 0 ? `missing migrations ${state.pending.join(', ')}` : `edited migrations ${state.modified.join(', ')}`
  throw new HarnessError({
    code: 'IMPORT_FAILED',
    stage: 'import',
    message: `import refused: the database schema is not the application's (${missing})`,
    hint: 'Bring it up to date first with `roundtrip migrate --database-url <the same url>`',
    context: { file, kind: 'SchemaNotReady' },
  })
}
