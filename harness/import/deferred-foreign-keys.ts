import type pg from 'pg'
import type { RegistryModel } from '../application/model-registry.ts'
import { quoteIdentifier } from '../database/database-names.ts'
import { keyOf, type ParsedKey } from './import-errors.ts'

/** A foreign key constraint taken off a table for the load, to be put back as it was. */
interface DroppedConstraint {
  readonly name: string
  /** `pg_get_constraintdef`: `FOREIGN KEY (…) REFERENCES …`, with its actions and `NOT VALID`. */
  readonly definition: string
}

/** A row that a constraint put back refused: where it is, for the import's error. */
export interface ForeignKeyViolation {
  readonly model: RegistryModel
  /** The refusing row's pk (a Global import keeps the backup's pks), when it could be found. */
  readonly pk: number | undefined
  /** The key PostgreSQL's error names, when it names one. */
  readonly key: ParsedKey | undefined
  /** PostgreSQL's error. */
  readonly error: unknown
}

/**
 * Checks a big table's foreign keys once, after its rows are in, instead of row by row. A row
 * COPY'd into a table with foreign keys runs one `SELECT … FOR KEY SHARE` per key, which is about
 * half of what the server spends on a large import; putting the constraint back afterwards checks
 * every row with one join. Used only where the import keeps the backup's pks into emptied tables
 * (Global), so the constraints come back exactly as they were, inside the import's transaction: a
 * failed import rolls back the drop too, and nothing outside the transaction ever sees the table
 * without them.
 */
export class DeferredForeignKeys {
  readonly #dropped = new Map<RegistryModel, DroppedConstraint[]>()

  /** Whether the model's constraints are off (or it has none to take off). */
  has(model: RegistryModel): boolean {
    return this.#dropped.has(model)
  }

  /** Takes the model's table's foreign key constraints off until `restore`; once per model. */
  async defer(client: pg.ClientBase, model: RegistryModel): Promise<void> {
    const table = quoteIdentifier(model.table)
    // conparentid = 0: a partition's copy of its parent's constraint goes with the parent's.
    const result = await client.query<DroppedConstraint>(
      `SELECT conname AS name, pg_get_constraintdef(oid) AS definition
         FROM pg_constraint
        WHERE contype = 'f' AND conparentid = 0 AND conrelid = $1::regclass
        ORDER BY conname`,
      [table],
    )
    this.#dropped.set(model, result.rows)
    if (result.rows.length === 0) return
    const drops = result.rows.map((c) => `DROP CONSTRAINT ${quoteIdentifier(c.name)}`)
    await client.query(`ALTER TABLE ${table} ${drops.join(', ')}`)
  }

  /**
   * Puts every constraint back, each validated against the table's rows.
   * @returns the first row a constraint refuses, or undefined when every row passes
   */
  async restore(client: pg.ClientBase): Promise<ForeignKeyViolation | undefined> {
    for (const [model, constraints] of this.#dropped) {
      if (constraints.length === 0) continue
      const table = quoteIdentifier(model.table)
      const adds = constraints.map((c) => `ADD CONSTRAINT ${quoteIdentifier(c.name)} ${c.definition}`)
      // A savepoint, so that the refusing row can still be looked up after the failed statement.
      await client.query('SAVEPOINT roundtrip_foreign_keys')
      try {
        await client.query(`ALTER TABLE ${table} ${adds.join(', ')}`)
      } catch (error) {
        await client.query('ROLLBACK TO SAVEPOINT roundtrip_foreign_keys')
        const key = keyOf(error, model)
        return { model, key, pk: key ? await refusingRow(client, model, key) : undefined, error }
      }
      await client.query('RELEASE SAVEPOINT roundtrip_foreign_keys')
    }
    this.#dropped.clear()
    return undefined
  }
}

/** The lowest pk holding the key a constraint refused (`Key (user_id)=(7) is not present …`). */
async function refusingRow(
  client: pg.ClientBase,
  model: RegistryModel,
  key: ParsedKey,
): Promise<number | undefined> {
  const pk = quoteIdentifier(model.pkColumn)
  const where = key.columns.map((column, i) => `${quoteIdentifier(column)}::text = $${i + 1}`)
  const found = await client.query<{ pk: string }>(
    `SELECT ${pk}::text AS pk FROM ${quoteIdentifier(model.table)} WHERE ${where.join(' AND ')} ORDER BY ${pk} LIMIT 1`,
    key.values,
  )
  const row = found.rows[0]
  return row ? Number(row.pk) : undefined
}
