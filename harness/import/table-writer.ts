import type pg from 'pg'
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
 * Inserts many rows in one statement: one array parameter per column, unnested on the server.
 * The arrays are cast to the column's base type (not `varchar(n)`, whose cast would silently
 * truncate), so the assignment itself enforces lengths and types.
 */
export async function insertRows(
  client: pg.ClientBase,
  table: string,
  columns: readonly string[],
  types: ColumnTypes,
  rows: readonly (readonly (string | null)[])[],
): Promise<void> {
  if (rows.length === 0) return
  const arrays = columns.map((_, index) => rows.map((row) => row[index] ?? null))
  const casts = columns.map((column, index) => `$${index + 1}::${types.get(column)}[]`)
  const sql = `INSERT INTO ${quoteIdentifier(table)} (${columns.map(quoteIdentifier).join(', ')}) SELECT * FROM unnest(${casts.join(', ')})`
  await client.query(sql, arrays)
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
