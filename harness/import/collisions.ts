import type pg from 'pg'
import type { RegistryModel } from '../application/model-registry.ts'
import type { CollisionRule, ImportFlags } from '../application/relocation-metadata.ts'
import { quoteIdentifier } from '../database/database-names.ts'
import type { ImportKind } from './pk-map.ts'
import { suffixCandidates } from './suffix.ts'
import type { ColumnTypes } from './table-writer.ts'

/** A row ready to be written: column texts by export field name, plus where it came from. */
export interface PreparedRow {
  readonly ordinal: number
  readonly sourcePk: number
  readonly values: Map<string, string | null>
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
): Promise<void> {
  for (const rule of model.rules.collisions ?? []) {
    const pending = rows.filter((row) => row.target === undefined)
    if (pending.length === 0) return
    if (rule.kind === 'suffix') await resolveSuffix(client, model, types, pending, rule, flags)
    else await resolveByKey(client, model, types, pending, rule, flags)
  }
}

type SuffixRule = Extract<CollisionRule, { kind: 'suffix' }>

async function resolveSuffix(
  client: pg.ClientBase,
  model: RegistryModel,
  types: ColumnTypes,
  rows: PreparedRow[],
  rule: SuffixRule,
  flags: ImportFlags,
) {
  const column = model.fieldsByName.get(rule.field)!.column
  // Keys as `lookup` returns them: the JSON of the (lower-cased when ignoring case) values.
  const norm = (value: string) => JSON.stringify([rule.ignoreCase ? value.toLowerCase() : value])
  const wanted = rows.map((row) => row.values.get(rule.field)).filter((v): v is string => typeof v === 'string')
  const existing = await lookup(client, model, types, [column], wanted.map((v) => [v]), rule.ignoreCase ?? false)
  // Values in use → the pk of the existing row (undefined for values taken earlier in this batch).
  const taken = new Map<string, number | undefined>(existing)
  const reuse = rule.reuseWhen !== undefined && flags[rule.reuseWhen]
  for (const row of rows) {
    const value = row.values.get(rule.field)
    if (typeof value !== 'string') continue
    const key = norm(value)
    const collides = taken.has(key) || (rule.suffixAllDigits === true && /^\d+$/.test(value))
    if (collides && reuse && taken.get(key) !== undefined) {
      row.target = { pk: taken.get(key)!, kind: 'Existing' }
      continue
    }
    if (collides) {
      const fresh = await firstFree(client, model, types, column, value, rule, taken, norm)
      row.values.set(rule.field, fresh)
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
    const inDatabase = await lookup(client, model, types, [column], [[candidate]], rule.ignoreCase ?? false)
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
) {
  const fields = rule.kind === 'regenerate' ? [rule.field] : [...rule.fields]
  const columns = fields.map((f) => model.fieldsByName.get(f)!.column)
  const keyOf = (row: PreparedRow) => fields.map((f) => row.values.get(f) ?? null)
  // A unique set with a null member never collides in PostgreSQL.
  const keyed = rows.filter((row) => keyOf(row).every((v) => v !== null))
  const existing = await lookup(client, model, types, columns, keyed.map(keyOf) as string[][], false)
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
        row.values.set(rule.field, rule.generate())
        break
      case 'clear':
        for (const field of [...rule.fields, ...(rule.alsoClear ?? [])]) row.values.set(field, null)
        break
    }
  }
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

/** Existing rows whose `columns` equal one of `keys`: JSON key of the values → pk. */
async function lookup(
  client: pg.ClientBase,
  model: RegistryModel,
  types: ColumnTypes,
  columns: readonly string[],
  keys: readonly (readonly (string | null)[])[],
  ignoreCase: boolean,
): Promise<Map<string, number>> {
  const found = new Map<string, number>()
  if (keys.length === 0) return found
  const wrap = (sql: string) => (ignoreCase ? `lower(${sql})` : sql)
  const left = columns.map((c) => wrap(`t.${quoteIdentifier(c)}`)).join(', ')
  const right = columns.map((c, i) => wrap(`k.c${i}`)).join(', ')
  const arrays = columns.map((c, i) => `$${i + 1}::${types.get(c)}[]`).join(', ')
  const aliases = columns.map((_, i) => `c${i}`).join(', ')
  const pk = quoteIdentifier(model.pkColumn)
  const sql = `SELECT t.${pk} AS pk, ${columns.map((c, i) => `t.${quoteIdentifier(c)}::text AS v${i}`).join(', ')}
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
