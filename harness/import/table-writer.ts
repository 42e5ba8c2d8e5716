import type pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'
import { quoteIdentifier } from '../database/database-names.ts'

/** Column name → its type without length or precision, e.g. `character varying`, `json`. */
export type ColumnTypes = ReadonlyMap<string, string>

/** The base types of every column of `tables`, read once per import. */
export async function readColumnTypes(client: pg.ClientBase, tables: readonly string[]): Promise<Map<string, ColumnTypes>> {
  const result = await client.query<{ table_name: string; column_name: string; base_type: string }>(
    `SELECT c.relname AS table_name, a.attname AS column_name, format_type(a.atttypid, NULL) AS base_type
       FROM pg_attribute a
       JOIN pg_class c ON c.oid = a.attrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()
      WHERE c.relname = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped`,
    [tables],
  )
  const types = new Map<string, Map<string, string>>()
  for (const row of result.rows) {
    let columns = types.get(row.table_name)
    if (!columns) types.set(row.table_name, (columns = new Map()))
    columns.set(row.column_name, row.base_type)
  }
  return types
}

/**
 * Runs `COPY table (columns) FROM STDIN` with `data` (COPY text, see `copy-writer.ts`); the promise
 * resolves when the server has stored every row, or rejects with its error. The caller may prepare
 * the next rows meanwhile, but must await it before it sends the client anything else: a lookup
 * must see these rows, and pg queues a query sent to a busy client only with a warning. Columns are
 * named, so one left out takes its default; the server parses each text as the column's type and
 * enforces lengths and constraints as an INSERT would (a too-long text fails, it is not cut).
 */
export function copyInto(client: pg.ClientBase, table: string, columns: readonly string[], data: string): Promise<void> {
  const stream = client.query(copyFrom(`COPY ${quoteIdentifier(table)} (${columns.map(quoteIdentifier).join(', ')}) FROM STDIN`))
  const done = new Promise<void>((resolve, reject) => {
    stream.once('finish', resolve)
    stream.once('error', reject)
  })
  stream.end(data)
  return done
}

/** Updates existing rows in place, by pk (an overwritten config row keeps its pk). */
export async function updateRow(
  client: pg.ClientBase,
  table: string,
  pkColumn: string,
  pk: number,
  columns: readonly string[],
  types: ColumnTypes,
  values: readonly (string | null)[],
): Promise<void> {
  if (columns.length === 0) return
  const assignments = columns.map((column, index) => `${quoteIdentifier(column)} = $${index + 2}::${types.get(column)}`)
  await client.query(`UPDATE ${quoteIdentifier(table)} SET ${assignments.join(', ')} WHERE ${quoteIdentifier(pkColumn)} = $1`, [pk, ...values])
}

/** Takes `count` fresh pks from the table's sequence in one round trip. */
export async function reservePks(client: pg.ClientBase, table: string, pkColumn: string, count: number): Promise<number[]> {
  if (count === 0) return []
  const result = await client.query<{ id: string }>(
    `SELECT nextval(pg_get_serial_sequence($1, $2)) AS id FROM generate_series(1, $3)`,
    [quoteIdentifier(table), pkColumn, count],
  )
  return result.rows.map((row) => Number(row.id))
}

/** Moves the table's pk sequence past the highest pk, so later inserts do not collide. */
export async function advanceSequence(client: pg.ClientBase, table: string, pkColumn: string): Promise<void> {
  const t = quoteIdentifier(table)
  const c = quoteIdentifier(pkColumn)
  await client.query(
    `SELECT setval(pg_get_serial_sequence($1, $2), GREATEST(max(${c}), 1), max(${c}) IS NOT NULL) FROM ${t}`,
    [t, pkColumn],
  )
}
