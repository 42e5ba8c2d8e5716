import type { RegistryField, RegistryModel } from '../application/model-registry.ts'
import { quotePythonJsonString } from '../backup/write-backup.ts'
import { quoteIdentifier } from '../database/database-names.ts'
import type { ExportAllowlist } from './export-filters.ts'

/**
 * How a field's value travels in the export query. PostgreSQL formats what is cheap for it and
 * needs no escaping (integers, booleans, dates) and splices it, with the keys, separators and
 * indentation, into a few finished pieces of the entry ("segments"), so JavaScript copies those
 * in one go. The rest arrives raw between the segments ("holes"), because formatting it in
 * PostgreSQL (`to_json`, `to_char`) costs the server several times what sending it raw does, and
 * JavaScript formats it on another core: text to escape, timestamptz (binary), JSON columns (to
 * re-lay out as Python would) and floats (Python's `repr`).
 */
export const ColumnKind = {
  /** Text to write as a JSON string (binary COPY sends text types as raw UTF-8). */
  String: 1,
  /** A timestamptz in binary: microseconds since 2000-01-01 UTC. */
  Timestamptz: 2,
  /** JSON text from a json or jsonb column. */
  JsonColumn: 3,
  /** A float as text. */
  Float: 4,
} as const
export type ColumnKind = (typeof ColumnKind)[keyof typeof ColumnKind]

/**
 * The COPY statement that reads one model for export. Its columns: the pk as text; the foreign
 * keys to check (`checks`) as text; then the entry, segments and holes alternating
 * (`segment, hole, segment, …, segment`). The entry starts at its `{` and ends at its `}`.
 */
export interface ExportQuery {
  /** `COPY (SELECT …) TO STDOUT (FORMAT binary)`, rows by ascending pk. */
  readonly sql: string
  /** Fields whose target row must have been exported, in column order after the pk. */
  readonly checks: readonly RegistryField[]
  /** The kind of each hole, in order; there is one more segment than there are holes. */
  readonly holes: readonly ColumnKind[]
  /** Per segment: true when it may hold non-ASCII text, which must be escaped on the way out. */
  readonly segmentsNeedEscaping: readonly boolean[]
  /** Columns per row. */
  readonly columns: number
}

// Text types whose binary form is exactly their text output (char(n) keeps its padding, which a
// cast to text would strip). Others (uuid, inet, …) are formatted by their output function.
const RAW_TEXT_TYPES = new Set([undefined, 'Text', 'VarChar', 'Char', 'Citext'])

/**
 * The export query of `model` as an entry at level 1 of the backup array, laid out with `indent`
 * spaces per level, filtered by the model's allowlist and `exportExclude` rules.
 */
export function exportQuery(model: RegistryModel, allow: ExportAllowlist | undefined, indent: number): ExportQuery {
  const newline = (level: number) => '\n' + ' '.repeat(indent * level)
  const pk = quoteIdentifier(model.pkColumn)
  const table = quoteIdentifier(model.table)
  const segments: string[][] = [[]]
  const segmentsNeedEscaping = [false]
  const holes: ColumnKind[] = []
  const holeColumns: string[] = []
  const constant = (text: string) => segments.at(-1)!.push(sqlLiteral(text))
  const empty = model.fields.length === 0
  constant(`{${newline(2)}"model": ${quotePythonJsonString(model.name)},${newline(2)}"pk": `)
  segments.at(-1)!.push(`${pk}::text`)
  constant(`,${newline(2)}"fields": ${empty ? '{}' : '{'}`)
  model.fields.forEach((field, k) => {
    constant(`${k === 0 ? '' : ','}${newline(3)}${quotePythonJsonString(field.name)}: `)
    const value = valueOf(field)
    if ('hole' in value) {
      holes.push(value.hole)
      holeColumns.push(value.sql)
      segments.push([])
      segmentsNeedEscaping.push(false)
    } else {
      segments.at(-1)!.push(`COALESCE(${value.sql}, 'null')`)
      if (value.mayBeNonAscii) segmentsNeedEscaping[segmentsNeedEscaping.length - 1] = true
    }
  })
  constant(`${empty ? '' : newline(2) + '}'}${newline(1)}}`)

  const checks = model.fields.filter(
    // Self references are not checked: the row pointed at may come later in the same table.
    (f) => f.foreignKey && f.foreignKey.model !== model.name && !model.rules.nullIfTargetMissing?.includes(f.name),
  )
  const columns = [`${pk}::text`, ...checks.map((f) => `${quoteIdentifier(f.column)}::text`)]
  segments.forEach((pieces, k) => {
    columns.push(pieces.join(' || '))
    if (k < holeColumns.length) columns.push(holeColumns[k]!)
  })
  const where = filterConditions(model, allow)
  const select =
    `SELECT ${columns.join(', ')} FROM ${table}` +
    // Qualified: a bare name could mean an output column.
    `${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${table}.${pk}`
  return { sql: `COPY (${select}) TO STDOUT (FORMAT binary)`, checks, holes, segmentsNeedEscaping, columns: columns.length }
}

type FieldValue = { readonly hole: ColumnKind; readonly sql: string } | { readonly sql: string; readonly mayBeNonAscii: boolean }

/** A hole, or the SQL that writes the value as JSON text (NULL for null). */
function valueOf(field: RegistryField): FieldValue {
  const column = quoteIdentifier(field.column)
  switch (field.type) {
    case 'string':
      return RAW_TEXT_TYPES.has(field.nativeType)
        ? { hole: ColumnKind.String, sql: column }
        : { sql: `to_json(${column})::text`, mayBeNonAscii: true }
    case 'enum':
      return { hole: ColumnKind.String, sql: `${column}::text` }
    case 'int':
    case 'bigint':
    case 'boolean':
      // Integers keep every digit (Python's ints have no limit); booleans print true/false.
      return { sql: `${column}::text`, mayBeNonAscii: false }
    case 'float':
      return { hole: ColumnKind.Float, sql: `${column}::text` }
    case 'json':
      return { hole: ColumnKind.JsonColumn, sql: `${column}::text` }
    case 'datetime':
      if (field.nativeType === 'Timestamptz') return { hole: ColumnKind.Timestamptz, sql: column }
      // Always three millisecond digits and a Z, as Sentry writes them (spec §1.2).
      return {
        sql:
          field.nativeType === 'Date'
            ? `'"' || to_char(${column}, 'YYYY-MM-DD') || '"'`
            : `'"' || to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || '"'`,
        mayBeNonAscii: false,
      }
    case 'decimal':
      // Sentry writes a Decimal as a string; its digits need no escaping.
      return { sql: `'"' || ${column}::text || '"'`, mayBeNonAscii: false }
    case 'bytes':
      // Base64 as PostgreSQL encodes it, line breaks included.
      return { hole: ColumnKind.String, sql: `encode(${column}, 'base64')` }
  }
}

/** The allowlist and the model's `exportExclude` rules as SQL conditions (COPY takes no parameters). */
function filterConditions(model: RegistryModel, allow: ExportAllowlist | undefined): string[] {
  const where: string[] = []
  if (allow) {
    const column = allow.field === 'pk' ? model.pkColumn : model.fieldsByName.get(allow.field)!.column
    where.push(`${quoteIdentifier(column)}::text = ANY(${textArray([...allow.values].map(String))})`)
  }
  for (const [field, values] of Object.entries(model.rules.exportExclude ?? {})) {
    where.push(`${quoteIdentifier(model.fieldsByName.get(field)!.column)}::text <> ALL(${textArray(values.map(String))})`)
  }
  return where
}

function textArray(values: readonly string[]): string {
  return `ARRAY[${values.map(sqlLiteral).join(', ')}]::text[]`
}

/** A string constant that means the same whatever `standard_conforming_strings` says. */
export function sqlLiteral(value: string): string {
  if (value.includes('\0')) throw new Error('a PostgreSQL string constant cannot contain a NUL character')
  const quoted = value.replaceAll("'", "''")
  return value.includes('\\') ? `E'${quoted.replaceAll('\\', '\\\\')}'` : `'${quoted}'`
}
