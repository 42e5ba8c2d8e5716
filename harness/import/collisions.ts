import { createHash } from 'node:crypto'
import type pg from 'pg'
import type { RegistryModel } from '../application/model-registry.ts'
import type { CollisionRule, ImportFlags } from '../application/relocation-metadata.ts'
import { quoteIdentifier } from '../database/database-names.ts'
import type { ImportKind } from './pk-map.ts'
import { suffixCandidates } from './suffix.ts'
import type { ColumnTypes } from './table-writer.ts'

/** A row ready to be written: its column texts, plus where it came from. */
export interface PreparedRow {
  readonly ordinal: number
  readonly sourcePk: number
  /**
   * The text of each field, at the field's index in `model.fields` (an array, not a map keyed by
   * name: it is built for every row); undefined for a field the row leaves to its column default.
   */
  readonly values: (string | null | undefined)[]
  /** The pk the row is written under: set when it is written. */
  pk?: number
  /** Set by collision handling: the existing row this one becomes, and how. */
  target?: { readonly pk: number; readonly kind: Exclude<ImportKind, 'Inserted'> }
}

/**
 * Resolves the model's declared collision rules for one batch, against rows already in the
 * database (inserted earlier in this import or there before) and against earlier rows of the
 * batch. Changes `values` in place (suffixes, regenerated or cleared values) or sets `target`.
 */
export async function resolveCollisions(
  client: pg.ClientBase,
  model: RegistryModel,
  types: ColumnTypes,
  rows: PreparedRow[],
  flags: ImportFlags,
  indexes: LookupIndexes,
): Promise<void> {
  for (const rule of model.rules.collisions ?? []) {
    const pending = rows.filter((row) => row.target === undefined)
    if (pending.length === 0) return
    if (rule.kind === 'suffix') await resolveSuffix(client, model, types, pending, rule, flags, indexes)
    else await resolveByKey(client, model, types, pending, rule, flags, indexes)
  }
}

type SuffixRule = Extract<CollisionRule, { kind: 'suffix' }>

/**
 * The indexes behind an import's lookups. A lookup that scans the table costs a whole scan per
 * batch, quadratic in the rows of the model (minutes at a million rows), so keys are probed one by
 * one where an index allows it. The application's indexes serve most keys; a case-insensitive
 * key (`lower(username)`) gets an index made inside the import's transaction and dropped in it, so
 * nobody else ever sees it, and a failed import rolls it back with everything else.
 */
export class LookupIndexes {
  /** Index name by `table.column`; null where making one failed (the lookups then scan). */
  readonly #made = new Map<string, string | null>()
  /** The leading column of each btree or hash index of a table (null for an expression). */
  readonly #leading = new Map<string, (string | null)[]>()

  /** True when an index of the table starts with one of `columns`, so a probe per key is cheap. */
  async hasIndexOn(client: pg.ClientBase, table: string, columns: readonly string[]): Promise<boolean> {
    let leading = this.#leading.get(table)
    if (!leading) {
      const result = await client.query<{ column: string | null }>(
        `SELECT a.attname::text AS column
           FROM pg_index i
           JOIN pg_class c ON c.oid = i.indrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()
           JOIN pg_class ic ON ic.oid = i.indexrelid
           JOIN pg_am am ON am.oid = ic.relam AND am.amname IN ('btree', 'hash')
           LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0]
          WHERE c.relname = $1 AND i.indpred IS NULL AND i.indisvalid`,
        [table],
      )
      leading = result.rows.map((row) => row.column)
      this.#leading.set(table, leading)
    }
    return leading.some((column) => column !== null && columns.includes(column))
  }

  /** Makes an index on `lower(column)` unless made already; returns whether there is one. */
  async ensureLowerCase(client: pg.ClientBase, table: string, column: string): Promise<boolean> {
    const key = `${table}.${column}`
    if (this.#made.has(key)) return this.#made.get(key) !== null
    const name = `rt_import_${createHash('sha1').update(key).digest('hex').slice(0, 16)}`
    // A savepoint, so that a refusal (say, a role that does not own the table) costs only speed.
    await client.query('SAVEPOINT rt_lookup_index')
    try {
      await client.query(`CREATE INDEX ${quoteIdentifier(name)} ON ${quoteIdentifier(table)} (lower(${quoteIdentifier(column)}))`)
      await client.query('RELEASE SAVEPOINT rt_lookup_index')
      this.#made.set(key, name)
      return true
    } catch {
      await client.query('ROLLBACK TO SAVEPOINT rt_lookup_index')
      await client.query('RELEASE SAVEPOINT rt_lookup_index')
      this.#made.set(key, null)
      return false
    }
  }

  /** Drops the indexes made, leaving the schema as the import found it. */
  async dropAll(client: pg.ClientBase): Promise<void> {
    for (const name of this.#made.values()) if (name) await client.query(`DROP INDEX ${quoteIdentifier(name)}`)
    this.#made.clear()
  }
}

async function resolveSuffix(
  client: pg.ClientBase,
  model: RegistryModel,
  types: ColumnTypes,
  rows: PreparedRow[],
  rule: SuffixRule,
  flags: ImportFlags,
  indexes: LookupIndexes,
) {
  const column = model.fieldsByName.get(rule.field)!.column
  const index = fieldIndex(model, rule.field)
  const perKey = rule.ignoreCase
    ? await indexes.ensureLowerCase(client, model.table, column)
    : await indexes.hasIndexOn(client, model.table, [column])
  // Keys as `lookup` returns them: the JSON of the (lower-cased when ignoring case) values.
  const norm = (value: string) => JSON.stringify([rule.ignoreCase ? value.toLowerCase() : value])
  const wanted = rows.map((row) => row.values[index]).filter((v): v is string => typeof v === 'string')
  const existing = await lookup(client, model, types, [column], wanted.map((v) => [v]), rule.ignoreCase ?? false, perKey)
  // Values in use → the pk of the existing row (undefined for values taken earlier in this batch).
  const taken = new Map<string, number | undefined>(existing)
  const reuse = rule.reuseWhen !== undefined && flags[rule.reuseWhen]
  for (const row of rows) {
    const value = row.values[index]
    if (typeof value !== 'string') continue
    const key = norm(value)
    const collides = taken.has(key) || (rule.suffixAllDigits === true && /^\d+$/.test(value))
    if (collides && reuse && taken.get(key) !== undefined) {
      row.target = { pk: taken.get(key)!, kind: 'Existing' }
      continue
    }
    if (collides) {
      const fresh = await firstFree(client, model, types, column, value, rule, taken, norm)
      row.values[index] = fresh
      taken.set(norm(fresh), undefined)
    } else {
      taken.set(key, undefined)
    }
  }
}

async function firstFree(
  client: pg.ClientBase,
  model: RegistryModel,
  types: ColumnTypes,
  column: string,
  value: string,
  rule: SuffixRule,
  taken: ReadonlyMap<string, number | undefined>,
  norm: (value: string) => string,
): Promise<string> {
  let last = value
  for (const candidate of suffixCandidates(value, rule.maxLength)) {
    last = candidate
    if (taken.has(norm(candidate))) continue
    const inDatabase = await lookup(client, model, types, [column], [[candidate]], rule.ignoreCase ?? false, true)
    if (inDatabase.size === 0) return candidate
  }
  // Sentry gives up the same way: the last candidate goes in and the database has the final word.
  return last
}

async function resolveByKey(
  client: pg.ClientBase,
  model: RegistryModel,
  types: ColumnTypes,
  rows: PreparedRow[],
  rule: Exclude<CollisionRule, SuffixRule>,
  flags: ImportFlags,
  indexes: LookupIndexes,
) {
  const fields = rule.kind === 'regenerate' ? [rule.field] : [...rule.fields]
  const columns = fields.map((f) => model.fieldsByName.get(f)!.column)
  const indices = fields.map((f) => fieldIndex(model, f))
  const keyOf = (row: PreparedRow) => indices.map((i) => row.values[i] ?? null)
  // A unique set with a null member never collides in PostgreSQL.
  const keyed = rows.filter((row) => keyOf(row).every((v) => v !== null))
  const perKey = await indexes.hasIndexOn(client, model.table, columns)
  const existing = await lookup(client, model, types, columns, keyed.map(keyOf) as string[][], false, perKey)
  const seen = new Map<string, PreparedRow>()
  for (const row of keyed) {
    const key = JSON.stringify(keyOf(row))
    const existingPk = existing.get(key)
    const earlier = seen.get(key)
    if (existingPk === undefined && earlier === undefined) {
      seen.set(key, row)
      continue
    }
    switch (rule.kind) {
      case 'reuse':
        row.target = existingPk !== undefined ? { pk: existingPk, kind: 'Existing' } : sameAs(earlier!)
        break
      case 'config':
        row.target = existingPk !== undefined
          ? { pk: existingPk, kind: flags.overwriteConfigs ? 'Overwrite' : 'Existing' }
          : sameAs(earlier!)
        break
      case 'regenerate':
        row.values[indices[0]!] = rule.generate()
        break
      case 'clear':
        for (const field of [...rule.fields, ...(rule.alsoClear ?? [])]) row.values[fieldIndex(model, field)] = null
        break
    }
  }
}

/** The index of the field named `name` in `model.fields` (and so in `PreparedRow.values`). */
export function fieldIndex(model: RegistryModel, name: string): number {
  return model.fields.indexOf(model.fieldsByName.get(name)!)
}

/**
 * A duplicate of a row earlier in the same batch. That row has no pk yet; the importer resolves
 * `pk: -1` markers after inserting, through `duplicateOf`.
 */
function sameAs(earlier: PreparedRow): { pk: number; kind: 'Existing' } {
  return { pk: -earlier.sourcePk - 1, kind: 'Existing' }
}

/** Decodes a `sameAs` marker back into the backup pk of the earlier row, or undefined. */
export function duplicateOf(target: { pk: number }): number | undefined {
  return target.pk < 0 ? -target.pk - 1 : undefined
}

/**
 * Existing rows whose `columns` equal one of `keys`: JSON key of the values → pk.
 * @param perKey look each key up on its own (an index probe per key) instead of joining. Mid-import
 *   the planner's statistics are stale or missing (the rows are not committed, an expression index
 *   has none), and it would rather hash or sort the whole table, every batch, than probe an index.
 */
async function lookup(
  client: pg.ClientBase,
  model: RegistryModel,
  types: ColumnTypes,
  columns: readonly string[],
  keys: readonly (readonly (string | null)[])[],
  ignoreCase: boolean,
  perKey = false,
): Promise<Map<string, number>> {
  const found = new Map<string, number>()
  if (keys.length === 0) return found
  const wrap = (sql: string) => (ignoreCase ? `lower(${sql})` : sql)
  const left = columns.map((c) => wrap(`t.${quoteIdentifier(c)}`)).join(', ')
  const right = columns.map((c, i) => wrap(`k.c${i}`)).join(', ')
  const arrays = columns.map((c, i) => `$${i + 1}::${types.get(c)}[]`).join(', ')
  const aliases = columns.map((_, i) => `c${i}`).join(', ')
  const pk = quoteIdentifier(model.pkColumn)
  const select = `SELECT t.${pk} AS pk, ${columns.map((c, i) => `t.${quoteIdentifier(c)}::text AS v${i}`).join(', ')}`
  const sql = perKey
    ? // OFFSET 0 keeps the subquery from being flattened into a join: it runs once per key.
      `SELECT t.* FROM unnest(${arrays}) AS k(${aliases})
        CROSS JOIN LATERAL (${select} FROM ${quoteIdentifier(model.table)} t WHERE (${left}) = (${right}) OFFSET 0) t`
    : `${select}
      FROM ${quoteIdentifier(model.table)} t
      JOIN unnest(${arrays}) AS k(${aliases}) ON (${left}) = (${right})`
  const result = await client.query(sql, columns.map((_, i) => keys.map((k) => k[i])))
  for (const row of result.rows as Record<string, unknown>[]) {
    const values = columns.map((_, i) => {
      const text = row[`v${i}`] as string | null
      return ignoreCase && text !== null ? text.toLowerCase() : text
    })
    found.set(JSON.stringify(values), Number(row.pk))
  }
  return found
}
