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
import { duplicateOf, resolveCollisions, type PreparedRow } from './collisions.ts'
import { FieldValueError, toColumnText } from './field-values.ts'
import { buildAllowlists, hasFilters, type Allowlists, type FilterRequest } from './import-filters.ts'
import { importError, integrityError } from './import-errors.ts'
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
import { advanceSequence, insertRows, readColumnTypes, reservePks, updateRow, type ColumnTypes } from './table-writer.ts'

const log = logger('import')

/** Rows per bulk statement. Memory is bounded by this, not by the size of the backup. */
export const DEFAULT_IMPORT_BATCH_SIZE = 1_000

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
  /** Default: `DEFAULT_IMPORT_BATCH_SIZE` (1 000). */
  readonly batchSize?: number
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
  try {
    await client.query('BEGIN')
    const types = await readColumnTypes(client, [...registry.models.values()].map((m) => m.table))
    if (scope === 'Global') await emptyTables(client, order.map((name) => registry.get(name)!))

    let run: ModelRun | undefined
    let deletedModelRows = 0
    const writer = new BatchWriter(client, types, pkMaps, allowlists, scope, scopeMembers, flags, context, file)
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
  } catch (error) {
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

/** Writes the batches of one import: the per-row pipeline of spec §2.3, in bulk. */
class BatchWriter {
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
  ) {}

  async flush(run: ModelRun): Promise<void> {
    const batch = run.batch
    run.batch = []
    if (batch.length === 0) return
    const { model, summary } = run
    const types = this.types.get(model.table)!
    const prepared: PreparedRow[] = []
    for (const pending of batch) {
      const row = this.prepare(run, pending)
      if (typeof row === 'string') summary.dropped[row] += 1
      else prepared.push(row)
    }
    await resolveCollisions(this.client, model, types, prepared, this.flags)
    await this.write(run, types, prepared)
  }

  /** Checks, filters, remaps and normalises one row; returns why it is dropped, or the row. */
  prepare(run: ModelRun, pending: PendingRow): PreparedRow | DropReason {
    const { model } = run
    const { entry, ordinal } = pending
    const where = { file: this.file, model: model.name, ordinal, pk: entry.pk, line: pending.line }
    const fields: Record<string, unknown> = {}
    for (const [name, value] of Object.entries(entry.fields)) {
      if (model.deletedFields.includes(name)) continue
      if (model.fieldsByName.has(name)) {
        fields[name] = value
        continue
      }
      // Looked up only for unknown names, so current backups pay nothing for the shim.
      const renamed = model.renamedFields.get(name)
      if (renamed === undefined) {
        throw importError('DeserializationFailed', { ...where, field: name }, `the field \`${name}\` is not a field of \`${model.name}\``)
      }
      if (Object.hasOwn(entry.fields, renamed)) {
        throw importError('DeserializationFailed', { ...where, field: name }, `the row has both \`${name}\` and \`${renamed}\`, its new name`)
      }
      fields[renamed] = value
    }
    if (!run.inScope) return 'outOfScope'
    const allow = this.allowlists.get(model.name)
    if (allow && !allow.values.has(allow.field === 'pk' ? entry.pk : fields[allow.field])) return 'filtered'

    for (const field of model.fields) {
      const target = field.foreignKey
      const value = fields[field.name]
      if (!target || value === null || value === undefined || target.model === model.name) continue
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
        throw importError('ValidationError', { ...where, field: field.name }, `\`${field.name}\` must be the integer pk of a \`${target.model}\` row, not ${JSON.stringify(value)}`)
      }
      const targetMap = this.pkMaps.get(target.model)!
      const mapped = targetMap.get(value)
      if (mapped === undefined) {
        if (model.rules.nullIfTargetMissing?.includes(field.name)) {
          fields[field.name] = null
          continue
        }
        return 'missingForeignKey'
      }
      if (model.rules.skipIfTargetReused?.includes(field.name) && targetMap.wasReused(value)) return 'parentReused'
      fields[field.name] = mapped
    }

    if (model.rules.normalize?.({ model: model.name, sourcePk: entry.pk, fields }, this.context) === 'skip') {
      return 'skippedByHook'
    }

    const values = new Map<string, string | null>()
    for (const field of model.fields) {
      if (!(field.name in fields)) {
        if (field.hasDefault) continue
        if (!field.nullable) {
          throw importError('ValidationError', { ...where, field: field.name }, `\`${field.name}\` is missing and has no default`)
        }
        values.set(field.name, null)
        continue
      }
      const value = fields[field.name]
      if (value === null && !field.nullable) {
        throw importError('ValidationError', { ...where, field: field.name }, `\`${field.name}\` may not be null`)
      }
      try {
        values.set(field.name, toColumnText(field, value))
      } catch (error) {
        if (!(error instanceof FieldValueError)) throw error
        throw importError('ValidationError', { ...where, field: field.name }, error.message)
      }
    }
    return { ordinal, sourcePk: entry.pk, values }
  }

  async write(run: ModelRun, types: ColumnTypes, rows: PreparedRow[]): Promise<void> {
    const { model, summary } = run
    const pkMap = this.pkMaps.get(model.name)!
    const inserts = rows.filter((row) => row.target === undefined)
    // A Global import restores into emptied tables and keeps the backup's pks (so a restore keeps
    // ids, URLs and DSNs, and pk maps cost no memory); other scopes merge under fresh pks.
    const pks =
      this.scope === 'Global'
        ? inserts.map((row) => row.sourcePk)
        : await reservePks(this.client, model.table, model.pkColumn, inserts.length)

    const groups = new Map<string, { columns: string[]; fields: string[]; rows: { row: PreparedRow; pk: number }[] }>()
    inserts.forEach((row, index) => {
      const fields = model.fields.filter((f) => row.values.has(f.name)).map((f) => f.name)
      const key = fields.join('\u0000')
      let group = groups.get(key)
      if (!group) {
        group = { columns: [model.pkColumn, ...fields.map((f) => model.fieldsByName.get(f)!.column)], fields, rows: [] }
        groups.set(key, group)
      }
      group.rows.push({ row, pk: pks[index]! })
    })
    for (const group of groups.values()) {
      const table = group.rows.map(({ row, pk }) => [String(pk), ...group.fields.map((f) => row.values.get(f) ?? null)])
      try {
        await insertRows(this.client, model.table, group.columns, types, table)
      } catch (error) {
        throw integrityError(error, this.file, model, group.rows.map(({ row, pk }) => ({ ...row, pk })))
      }
    }
    inserts.forEach((row, index) => pkMap.set(row.sourcePk, pks[index]!, 'Inserted'))
    summary.inserted += inserts.length

    for (const row of rows) {
      if (!row.target) continue
      const earlier = duplicateOf(row.target)
      const pk = earlier === undefined ? row.target.pk : pkMap.get(earlier)!
      if (row.target.kind === 'Overwrite') {
        const fields = model.fields.filter((f) => row.values.has(f.name))
        await updateRow(this.client, model.table, model.pkColumn, pk, fields.map((f) => f.column), types, fields.map((f) => row.values.get(f.name) ?? null))
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
