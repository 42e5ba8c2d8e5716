import type { RegistryModel } from '../application/model-registry.ts'
import { describeError, HarnessError } from '../errors.ts'
import type { PreparedRow } from './collisions.ts'
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

/**
 * Turns a database error from a bulk insert into an `IntegrityError` (or `DatabaseError`) that
 * names the offending row: PostgreSQL names the key in its detail ("Key (username)=(x) …"), and
 * the row of the batch holding that value is the one reported.
 */
export function integrityError(
  error: unknown,
  file: string,
  model: RegistryModel,
  rows: readonly (PreparedRow & { pk: number })[],
): HarnessError {
  const pgError = error as { code?: string; detail?: string; constraint?: string }
  const integrity = pgError.code?.startsWith('23') ?? false
  const reason = [describeError(error), pgError.detail].filter(Boolean).join(': ')
  const culprit = integrity ? findCulprit(pgError.detail ?? '', model, rows) : undefined
  const place: ImportErrorPlace = culprit
    ? { file, model: model.name, ordinal: culprit.row.ordinal, pk: culprit.row.sourcePk, ...(culprit.field ? { field: culprit.field } : {}) }
    : { file, model: model.name, ordinal: rows[0]?.ordinal }
  return importError(integrity ? 'IntegrityError' : 'DatabaseError', place, reason, error)
}

function findCulprit(detail: string, model: RegistryModel, rows: readonly (PreparedRow & { pk: number })[]) {
  const match = /^Key \((.+?)\)=\((.*)\) (already exists|is not present)/.exec(detail)
  if (!match) return undefined
  const columns = match[1]!.split(', ').map((c) => c.replace(/^"|"$/g, ''))
  const values = match[2]!.split(', ')
  const fields = columns.map((column) => (column === model.pkColumn ? 'pk' : model.fields.find((f) => f.column === column)?.name))
  const matches = (row: PreparedRow & { pk: number }) =>
    fields.every((field, i) => (field === 'pk' ? String(row.pk) === values[i] : field !== undefined && row.values.get(field) === values[i]))
  // A duplicate inside the batch: the second occurrence is the offender.
  const hits = rows.filter(matches)
  const row = hits[1] ?? hits[0]
  if (!row) return undefined
  const field = fields.find((f) => f !== undefined && f !== 'pk')
  return { row, field }
}
