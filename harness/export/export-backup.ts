import pg from 'pg'
import type { Application } from '../application/load-application.ts'
import type { RegistryField, RegistryModel } from '../application/model-registry.ts'
import type { RelocationScope } from '../application/relocation-metadata.ts'
import { createBackupWriter, PythonFloat, RawJson } from '../backup/write-backup.ts'
import { quoteIdentifier } from '../database/database-names.ts'
import { describeError, HarnessError, isHarnessError } from '../errors.ts'
import { dependencyGraph, sortDependencies } from '../graph/sorted-dependencies.ts'
import type { FilterRequest } from '../import/import-filters.ts'
import { SCOPE_MEMBERS, type BackupScope } from '../import/import-types.ts'
import { readLiveRegistry } from '../import/live-schema.ts'
import { SparseBitset } from '../import/pk-map.ts'
import type { ProgressListener } from '../progress/progress-events.ts'
import { exportAllowlists, type ExportAllowlist } from './export-filters.ts'

/** Rows fetched per query; memory is bounded by this, not by the size of the tables. */
export const DEFAULT_EXPORT_BATCH_SIZE = 2_000

export interface ExportBackupOptions {
  readonly application: Application
  readonly databaseUrl: string
  /** Where the JSON goes; it is not ended, so several exports can share a stream. */
  readonly destination: NodeJS.WritableStream
  /** Default: `Global`. */
  readonly scope?: BackupScope
  readonly filters?: FilterRequest
  /** Spaces per level, as Python's `json.dumps(indent=…)`. Default: 2. */
  readonly indent?: number
  /** Default: `DEFAULT_EXPORT_BATCH_SIZE` (2 000). */
  readonly batchSize?: number
  /**
   * Export the tables as the database has them, not as the application's latest schema says: for
   * a database at an older migration, which exports fields that later migrations renamed or
   * dropped and leaves out those they added (see `adaptRegistry` in `live-schema.ts`).
   * Default: false.
   */
  readonly liveSchema?: boolean
  /** Told after every page of rows how far the export is. Default: nobody. */
  readonly onProgress?: ProgressListener
}

export interface ModelExportSummary {
  readonly model: string
  readonly rows: number
  /** Rows left out because a foreign key pointed at a row that was not exported. */
  readonly droppedForeignKey: number
}

export interface ExportSummary {
  readonly scope: BackupScope
  readonly models: readonly ModelExportSummary[]
  readonly rows: number
  readonly bytes: number
  readonly durationMs: number
}

/**
 * Writes the database out in the backup format (spec §3, §1.3): models in dependency order,
 * rows by ascending pk, fields in model-definition order, foreign keys under their relation name,
 * datetimes as `YYYY-MM-DDTHH:MM:SS.mmmZ`, laid out exactly as Python's `json.dumps` would. Rows
 * are read page by page, so memory does not grow with the number of rows.
 */
export async function exportBackup(options: ExportBackupOptions): Promise<ExportSummary> {
  const started = performance.now()
  let registry = options.application.registry
  const scope = options.scope ?? 'Global'
  const members = new Set<RelocationScope>(SCOPE_MEMBERS[scope])
  const batchSize = options.batchSize ?? DEFAULT_EXPORT_BATCH_SIZE
  let order = sortDependencies(dependencyGraph(registry))
  const client = new pg.Client({ connectionString: options.databaseUrl })
  await client.connect()
  const writer = createBackupWriter(options.destination, { indent: options.indent ?? 2 })
  const exported = new Map<string, SparseBitset>()
  const summaries: ModelExportSummary[] = []
  try {
    // One snapshot for the whole export, so rows and the rows they point at agree.
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY')
    if (options.liveSchema) {
      // Read inside the export's snapshot, so the columns are those of the rows exported.
      registry = await readLiveRegistry(client, registry)
      order = sortDependencies(dependencyGraph(registry))
    }
    const allowlists = await exportAllowlists(client, registry, scope, options.filters ?? {})
    const models = order.map((name) => registry.get(name)!).filter((model) => model.scopes.some((s) => members.has(s)))
    // Counting costs a scan per table, so only a caller who shows progress pays for it.
    const totalRows = options.onProgress ? await countRows(client, models) : undefined
    let rows = 0
    const report = (model: string | undefined, done = false) =>
      options.onProgress?.({ step: 'export', model, rows, totalRows, modelsDone: summaries.length, modelsTotal: models.length, done })
    for (const model of models) {
      const name = model.name
      const pks = new SparseBitset()
      exported.set(name, pks)
      const summary = { model: name, rows: 0, droppedForeignKey: 0 }
      const select = selectStatement(model, allowlists.get(name), batchSize)
      let after = -Infinity
      for (;;) {
        const result = await client.query({ text: select.sql, values: [after === -Infinity ? null : after, ...select.params], rowMode: 'array' })
        for (const row of result.rows as unknown[][]) {
          const pk = Number(row[0])
          after = pk
          const fields = toFields(model, row, exported)
          if (!fields) {
            summary.droppedForeignKey += 1
            continue
          }
          pks.add(pk)
          summary.rows += 1
          await writer.write({ model: name, pk, fields })
        }
        rows += result.rows.length
        report(name)
        if (result.rows.length < batchSize) break
      }
      summaries.push(summary)
    }
    await client.query('COMMIT')
    report(undefined, true)
    const bytes = await writer.end()
    return {
      scope,
      models: summaries,
      rows: summaries.reduce((n, s) => n + s.rows, 0),
      bytes,
      durationMs: performance.now() - started,
    }
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {})
    if (isHarnessError(error)) throw error
    throw new HarnessError({
      code: 'EXPORT_FAILED',
      stage: 'export',
      message: `export failed: ${describeError(error)}`,
      hint: 'Check that the database has the application\'s schema (roundtrip migrate)',
      cause: error,
    })
  } finally {
    await client.end().catch(() => {})
  }
}

async function countRows(client: pg.ClientBase, models: readonly RegistryModel[]): Promise<number> {
  if (models.length === 0) return 0
  const counts = models.map((m) => `(SELECT count(*) FROM ${quoteIdentifier(m.table)})`).join(' + ')
  const result = await client.query<{ total: string }>(`SELECT ${counts} AS total`)
  return Number(result.rows[0]!.total)
}

interface SelectStatement {
  readonly sql: string
  readonly params: readonly unknown[]
}

/** Keyset-paged SELECT of one model: `$1` is the last pk seen (null for the first page). */
function selectStatement(model: RegistryModel, allow: ExportAllowlist | undefined, batchSize: number): SelectStatement {
  const pk = quoteIdentifier(model.pkColumn)
  const where = [`($1::bigint IS NULL OR ${pk} > $1::bigint)`]
  const params: unknown[] = []
  if (allow) {
    const column = allow.field === 'pk' ? model.pkColumn : model.fieldsByName.get(allow.field)!.column
    params.push([...allow.values].map(String))
    where.push(`${quoteIdentifier(column)}::text = ANY($${params.length + 1}::text[])`)
  }
  for (const [field, values] of Object.entries(model.rules.exportExclude ?? {})) {
    params.push(values.map(String))
    where.push(`${quoteIdentifier(model.fieldsByName.get(field)!.column)}::text <> ALL($${params.length + 1}::text[])`)
  }
  const columns = [pk, ...model.fields.map(selectExpression)]
  return {
    sql: `SELECT ${columns.join(', ')} FROM ${quoteIdentifier(model.table)} WHERE ${where.join(' AND ')} ORDER BY ${pk} LIMIT ${batchSize}`,
    params,
  }
}

/** The SQL that reads a column in the form the backup format wants, formatted by the server. */
function selectExpression(field: RegistryField): string {
  const column = quoteIdentifier(field.column)
  switch (field.type) {
    case 'datetime':
      // Always three millisecond digits and a Z, as Sentry writes them (spec §1.2).
      return field.nativeType === 'Date'
        ? `to_char(${column}, 'YYYY-MM-DD')`
        : `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`
    case 'json':
    case 'decimal':
      return `${column}::text`
    case 'bytes':
      return `encode(${column}, 'base64')`
    default:
      return column
  }
}

/**
 * The row's `fields` object, or undefined when a foreign key points at a row that was not
 * exported (spec §3 step 3: such rows are left out, even in a Global export).
 */
function toFields(
  model: RegistryModel,
  row: readonly unknown[],
  exported: ReadonlyMap<string, SparseBitset>,
): Record<string, unknown> | undefined {
  const fields: Record<string, unknown> = {}
  for (let i = 0; i < model.fields.length; i += 1) {
    const field = model.fields[i]!
    let value = row[i + 1]
    if (value !== null) {
      if (field.type === 'bigint') value = Number(value)
      else if (field.type === 'json') value = new RawJson(value as string)
      // A float column's value is a Python float: 2 is written 2.0, as Sentry writes it.
      else if (field.type === 'float') value = new PythonFloat(value as number)
    }
    const target = field.foreignKey
    if (target && value !== null && target.model !== model.name) {
      const targets = exported.get(target.model)
      if (!targets?.has(value as number) && !model.rules.nullIfTargetMissing?.includes(field.name)) return undefined
    }
    fields[field.name] = value
  }
  return fields
}
