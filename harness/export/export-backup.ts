import pg from 'pg'
import { to as copyTo, type CopyToStreamQuery } from 'pg-copy-streams'
import type { Application } from '../application/load-application.ts'
import type { RegistryModel } from '../application/model-registry.ts'
import type { RelocationScope } from '../application/relocation-metadata.ts'
import { quoteIdentifier } from '../database/database-names.ts'
import { describeError, HarnessError, isHarnessError } from '../errors.ts'
import { dependencyGraph, sortDependencies } from '../graph/sorted-dependencies.ts'
import type { FilterRequest } from '../import/import-filters.ts'
import { SCOPE_MEMBERS, type BackupScope } from '../import/import-types.ts'
import { readLiveRegistry } from '../import/live-schema.ts'
import { SparseBitset } from '../import/pk-map.ts'
import type { ProgressListener } from '../progress/progress-events.ts'
import { AsciiOutput } from './ascii-output.ts'
import { CopyBinaryReader } from './copy-binary.ts'
import { BackupArray, EntryWriter } from './entry-writer.ts'
import { exportAllowlists } from './export-filters.ts'
import { exportQuery } from './export-query.ts'

const COPY_READ_AHEAD = 1 << 20

/** Rows between progress reports. */
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
  /**
   * Rows between progress reports (rows are streamed, so this bounds nothing else; the output
   * does not depend on it). Default: `DEFAULT_EXPORT_BATCH_SIZE` (2 000).
   */
  readonly batchSize?: number
  /**
   * Export the tables as the database has them, not as the application's latest schema says: for
   * a database at an older migration, which exports fields that later migrations renamed or
   * dropped and leaves out those they added (see `adaptRegistry` in `live-schema.ts`).
   * Default: false.
   */
  readonly liveSchema?: boolean
  /** Told every `batchSize` rows and after every model how far the export is. Default: nobody. */
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
 * datetimes as `YYYY-MM-DDTHH:MM:SS.mmmZ`, laid out exactly as Python's `json.dumps` would.
 *
 * Each model is one `COPY (SELECT …) TO STDOUT (FORMAT binary)` (see `export-query.ts`), whose
 * bytes are turned into the entries' bytes without building a JavaScript value per row
 * (`entry-writer.ts`). The COPY is read only as fast as the destination takes the output, so
 * memory does not grow with the number of rows.
 */
export async function exportBackup(options: ExportBackupOptions): Promise<ExportSummary> {
  const started = performance.now()
  let registry = options.application.registry
  const scope = options.scope ?? 'Global'
  const members = new Set<RelocationScope>(SCOPE_MEMBERS[scope])
  const batchSize = options.batchSize ?? DEFAULT_EXPORT_BATCH_SIZE
  const indent = options.indent ?? 2
  if (!(Number.isInteger(indent) && indent >= 0)) throw new RangeError(`indent must be a non-negative integer, not ${indent}`)
  let order = sortDependencies(dependencyGraph(registry))
  const client = new pg.Client({ connectionString: options.databaseUrl })
  await client.connect()
  const output = new AsciiOutput(options.destination)
  const array = new BackupArray(output, indent)
  const exported = new Map<string, SparseBitset>()
  const summaries: ModelExportSummary[] = []
  // A COPY still streaming when the export fails: the connection is unusable until it ends.
  let copying: CopyToStreamQuery | undefined
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
      const query = exportQuery(model, allowlists.get(name), indent)
      const entries = new EntryWriter(query, array, exported, pks)
      const reader = new CopyBinaryReader(query.columns)
      // A megabyte of read-ahead lets the server go on producing while a chunk is formatted.
      copying = client.query(copyTo(query.sql, { highWaterMark: COPY_READ_AHEAD }))
      let reported = 0
      // Reading a chunk only after the output has drained is what bounds memory: the COPY
      // stream stops reading the socket, and the server waits.
      for await (const chunk of copying as AsyncIterable<Buffer>) {
        reader.push(chunk, entries)
        if (reader.rows - reported >= batchSize) {
          rows += reader.rows - reported
          reported = reader.rows
          report(name)
        }
        await output.drain()
      }
      copying = undefined
      reader.end()
      rows += reader.rows - reported
      summaries.push({ model: name, rows: entries.written, droppedForeignKey: entries.dropped })
      report(name)
    }
    await client.query('COMMIT')
    report(undefined, true)
    array.close()
    const bytes = await output.close()
    return {
      scope,
      models: summaries,
      rows: summaries.reduce((n, s) => n + s.rows, 0),
      bytes,
      durationMs: performance.now() - started,
    }
  } catch (error) {
    if (copying) {
      // The server is still sending rows nobody will read: drop the connection instead of
      // waiting for them (the server rolls the transaction back).
      copying.destroy()
      closeConnection(client)
    } else {
      await client.query('ROLLBACK').catch(() => {})
    }
    if (isHarnessError(error)) throw error
    throw new HarnessError({
      code: 'EXPORT_FAILED',
      stage: 'export',
      message: `export failed: ${describeError(error)}`,
      hint: 'Check that the database has the application\'s schema (roundtrip migrate)',
      cause: error,
    })
  } finally {
    output.release()
    await client.end().catch(() => {})
  }
}

/** Closes the client's socket at once, whatever it is in the middle of. */
function closeConnection(client: pg.Client): void {
  ;(client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy()
}

async function countRows(client: pg.ClientBase, models: readonly RegistryModel[]): Promise<number> {
  if (models.length === 0) return 0
  const counts = models.map((m) => `(SELECT count(*) FROM ${quoteIdentifier(m.table)})`).join(' + ')
  const result = await client.query<{ total: string }>(`SELECT ${counts} AS total`)
  return Number(result.rows[0]!.total)
}
