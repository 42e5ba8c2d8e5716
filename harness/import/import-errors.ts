import type { RegistryModel } from '../application/model-registry.ts'
import { describeError, HarnessError } from '../errors.ts'
import type { PreparedRow } from './collisions.ts'
import { copyErrorPlace } from './copy-writer.ts'
import type { ImportErrorKind } from './import-types.ts'

/** Where in the backup an error is: as much of it as is known. */
export interface ImportErrorPlace {
  readonly file: string
  readonly model?: string
  /** 1-based position of the row among its model's rows (Sentry's ordinal). */
  readonly ordinal?: number
  readonly pk?: number
  readonly field?: string
  readonly line?: number
}

const HINTS: Readonly<Record<ImportErrorKind, string>> = {
  UnknownModel: 'The application has no such model: import a backup of this application, or declare the model in deletedModels if it was removed',
  DeserializationFailed: 'Remove the field from the backup, or declare it in the model\'s deletedFields if the application dropped it',
  ValidationError: 'Fix the value in the backup; nothing was imported',
  IntegrityError:
    'Are you importing a backup of the same schema version into a clean database? If both are true, the backup breaks a constraint of the schema; nothing was imported',
  DatabaseError: 'Nothing was imported; run with DEBUG=roundtrip:* for the statement that failed',
  NonContiguousModel: 'Keep all rows of a model together, in dependency order, as an export writes them',
  SchemaNotReady: 'Run `roundtrip migrate` against the database first',
}

/** A failed import: code `IMPORT_FAILED`, with Sentry's error kind and the place in the backup. */
export function importError(kind: ImportErrorKind, place: ImportErrorPlace, reason: string, cause?: unknown): HarnessError {
  const at = [
    place.file,
    place.model && `model ${place.model}`,
    place.ordinal !== undefined && `ordinal ${place.ordinal}`,
    place.pk !== undefined && `pk ${place.pk}`,
    place.field && `field ${place.field}`,
    place.line !== undefined && `line ${place.line}`,
  ].filter(Boolean)
  return new HarnessError({
    code: 'IMPORT_FAILED',
    stage: 'import',
    message: `import failed: ${kind}: ${reason} (${at.join(', ')})`,
    hint: HINTS[kind],
    context: { kind, reason, ...place },
    cause,
  })
}

/** A row as the database got it: the pk it was written under, besides the prepared texts. */
export type WrittenRow = PreparedRow & { readonly pk: number }

/**
 * Turns a database error from a bulk write into an `IntegrityError` (constraint violations) or a
 * `DatabaseError` (anything else, e.g. a text the column type refuses) that names the offending
 * row and, where it can, the field. `rows` are the statement's rows in the order they were sent.
 * A COPY names the row itself (`COPY table, line N`), and for bad data the column; a foreign key is
 * checked when the statement ends, without a line, and then the row of the batch that holds the
 * key of PostgreSQL's detail ("Key (user_id)=(7) is not present …") is the one reported.
 */
export function integrityError(error: unknown, file: string, model: RegistryModel, rows: readonly WrittenRow[]): HarnessError {
  const pgError = error as { code?: string; detail?: string; column?: string }
  const integrity = pgError.code?.startsWith('23') ?? false
  const reason = databaseReason(error)
  const key = integrity ? keyOf(error, model) : undefined
  const copied = copyErrorPlace(error)
  const row = copied ? rows[copied.line - 1] : key ? findByKey(key, pgError.code === '23505', rows) : undefined
  const column = copied?.column ?? pgError.column
  const field = column !== undefined ? fieldOfColumn(model, column) : key?.fields.find((f) => f !== undefined && f !== 'pk')
  const place: ImportErrorPlace = row
    ? { file, model: model.name, ordinal: row.ordinal, pk: row.sourcePk, ...(field ? { field } : {}) }
    : { file, model: model.name, ordinal: rows[0]?.ordinal }
  return importError(integrity ? 'IntegrityError' : 'DatabaseError', place, reason, error)
}

/**
 * An `IntegrityError` for a key refused after the load, when a foreign key constraint was put back
 * (see `deferred-foreign-keys.ts`): the row is named by its pk, found afterwards, as no statement
 * line points at it.
 */
export function refusedKeyError(
  error: unknown,
  file: string,
  model: RegistryModel,
  key: ParsedKey | undefined,
  pk: number | undefined,
): HarnessError {
  const field = key?.fields.find((f) => f !== undefined && f !== 'pk')
  const place: ImportErrorPlace = { file, model: model.name, ...(pk !== undefined ? { pk } : {}), ...(field ? { field } : {}) }
  return importError('IntegrityError', place, databaseReason(error), error)
}

/** PostgreSQL's message and its detail (which holds the key). */
function databaseReason(error: unknown): string {
  return [describeError(error), (error as { detail?: unknown }).detail].filter(Boolean).join(': ')
}

/** The key that PostgreSQL's error names in its detail, if it names one. */
export function keyOf(error: unknown, model: RegistryModel): ParsedKey | undefined {
  const detail = (error as { detail?: unknown }).detail
  return typeof detail === 'string' ? parseKey(detail, model) : undefined
}

/** A key as PostgreSQL's detail gives it: its columns, their field names (`pk` for the pk), texts. */
export type ParsedKey = NonNullable<ReturnType<typeof parseKey>>

/** The key of a detail like `Key (a, b)=(1, x) already exists`. */
function parseKey(detail: string, model: RegistryModel) {
  const match = /^Key \((.+?)\)=\((.*)\) (already exists|is not present)/.exec(detail)
  if (!match) return undefined
  const columns = match[1]!.split(', ').map((c) => c.replace(/^"|"$/g, ''))
  const values = match[2]!.split(', ')
  const fields = columns.map((column) => (column === model.pkColumn ? 'pk' : fieldOfColumn(model, column)))
  const indices = fields.map((field) => (field === undefined || field === 'pk' ? -1 : model.fields.findIndex((f) => f.name === field)))
  return { columns, fields, values, indices }
}

function findByKey(key: ParsedKey, duplicate: boolean, rows: readonly WrittenRow[]) {
  const matches = (row: WrittenRow) =>
    key.fields.every((field, i) => (field === 'pk' ? String(row.pk) === key.values[i] : field !== undefined && row.values[key.indices[i]!] === key.values[i]))
  const hits = rows.filter(matches)
  // A duplicate inside the batch: the second occurrence is the offender. A missing target: the first.
  return duplicate ? (hits[1] ?? hits[0]) : hits[0]
}

function fieldOfColumn(model: RegistryModel, column: string): string | undefined {
  return column === model.pkColumn ? undefined : model.fields.find((f) => f.column === column)?.name
}
