import pg from 'pg'
import type { FieldType, ModelRegistry, RegistryField, RegistryModel } from '../application/model-registry.ts'
import type { FilterDeclarations, ModelRelocation } from '../application/relocation-metadata.ts'
import { HarnessError } from '../errors.ts'

/**
 * The model registry describes the application's latest schema. A database still at an older
 * migration (an old snapshot imported before the remaining migrations run, or exported as it
 * was) has other columns: fields added later are missing, fields renamed or dropped later are
 * still there under their old names. These functions read the live tables and adapt the registry
 * to them, so import and export speak the backup format of that older schema.
 */

/** One column of a table as the database has it now. */
export interface LiveColumn {
  readonly name: string
  /** The type's `pg_type` name (a domain's base type): `varchar`, `int8`, `timestamptz`, … */
  readonly baseType: string
  readonly isEnum: boolean
  /** `varchar(n)` and `char(n)` lengths. */
  readonly maxLength: number | undefined
  readonly nullable: boolean
  /** A default or an identity: the column may be left out of an insert. */
  readonly hasDefault: boolean
  /** The table that a single-column foreign-key constraint on this column references. */
  readonly references: string | undefined
}

/** Table name → its columns in table order, for the tables that exist. */
export type LiveTables = ReadonlyMap<string, readonly LiveColumn[]>

/** PostgreSQL base types → the registry's field types, with the native type Prisma would name. */
const LIVE_TYPES: Readonly<Record<string, { readonly type: FieldType; readonly nativeType: string }>> = {
  text: { type: 'string', nativeType: 'Text' },
  varchar: { type: 'string', nativeType: 'VarChar' },
  bpchar: { type: 'string', nativeType: 'Char' },
  char: { type: 'string', nativeType: 'Char' },
  citext: { type: 'string', nativeType: 'Citext' },
  int2: { type: 'int', nativeType: 'SmallInt' },
  int4: { type: 'int', nativeType: 'Integer' },
  int8: { type: 'bigint', nativeType: 'BigInt' },
  float4: { type: 'float', nativeType: 'Real' },
  float8: { type: 'float', nativeType: 'DoublePrecision' },
  numeric: { type: 'decimal', nativeType: 'Decimal' },
  bool: { type: 'boolean', nativeType: 'Boolean' },
  timestamp: { type: 'datetime', nativeType: 'Timestamp' },
  timestamptz: { type: 'datetime', nativeType: 'Timestamptz' },
  date: { type: 'datetime', nativeType: 'Date' },
  json: { type: 'json', nativeType: 'Json' },
  jsonb: { type: 'json', nativeType: 'JsonB' },
  bytea: { type: 'bytes', nativeType: 'ByteA' },
  uuid: { type: 'string', nativeType: 'Uuid' },
}

/** Reads the columns of those of `tables` that exist in the current schema, in table order. */
export async function readLiveTables(client: pg.ClientBase, tables: readonly string[]): Promise<Map<string, LiveColumn[]>> {
  const result = await client.query<{
    table_name: string
    column_name: string
    base_type: string
    is_enum: boolean
    type_modifier: number
    nullable: boolean
    has_default: boolean
    references: string | null
  }>(
    `SELECT c.relname AS table_name,
            a.attname AS column_name,
            bt.typname AS base_type,
            bt.typtype = 'e' AS is_enum,
            CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END AS type_modifier,
            NOT a.attnotnull AND NOT (t.typtype = 'd' AND t.typnotnull) AS nullable,
            a.atthasdef OR a.attidentity <> '' AS has_default,
            (SELECT target.relname
               FROM pg_constraint k
               JOIN pg_class target ON target.oid = k.confrelid
              WHERE k.conrelid = c.oid AND k.contype = 'f' AND k.conkey = ARRAY[a.attnum]::int2[]
              ORDER BY k.conname
              LIMIT 1) AS references
       FROM pg_attribute a
       JOIN pg_class c ON c.oid = a.attrelid AND c.relkind IN ('r', 'p')
       JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()
       JOIN pg_type t ON t.oid = a.atttypid
       JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
      WHERE c.relname = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
      ORDER BY c.relname, a.attnum`,
    [tables],
  )
  const live = new Map<string, LiveColumn[]>()
  for (const row of result.rows) {
    let columns = live.get(row.table_name)
    if (!columns) live.set(row.table_name, (columns = []))
    const sized = (row.base_type === 'varchar' || row.base_type === 'bpchar') && row.type_modifier > 4
    columns.push({
      name: row.column_name,
      baseType: row.base_type,
      isEnum: row.is_enum,
      // varchar(n) and char(n) store n + 4 (the varlena header) as the type modifier.
      maxLength: sized ? row.type_modifier - 4 : undefined,
      nullable: row.nullable,
      hasDefault: row.has_default,
      references: row.references ?? undefined,
    })
  }
  return live
}

/** The registry adapted to the database `client` is connected to (see `adaptRegistry`). */
export async function readLiveRegistry(client: pg.ClientBase, registry: ModelRegistry): Promise<ModelRegistry> {
  const tables = [...registry.models.values()].map((model) => model.table)
  return adaptRegistry(registry, await readLiveTables(client, tables))
}

/** `readLiveRegistry` on a connection of its own, for callers that have none open yet. */
export async function readLiveRegistryAt(databaseUrl: string, registry: ModelRegistry): Promise<ModelRegistry> {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    return await readLiveRegistry(client, registry)
  } finally {
    await client.end().catch(() => {})
  }
}

/**
 * The registry as the live tables say it is. Per model whose table exists: registry fields whose
 * column is missing are left out; the others take nullability, default and length from the live
 * column (an older schema may allow a null or lack a default the latest one has), and its type
 * when the type has changed since; live columns the registry does not know become fields, named
 * after the column, except that a column `<x>_id` with a foreign-key constraint becomes the
 * relation field `<x>` pointing at the model of the referenced table. Models whose table is
 * missing are left out. Renames are not applied where the old name is still a field, deleted
 * fields that are still columns are kept, and rules naming missing fields are left out.
 * @throws HarnessError `APPLICATION_INVALID` for a live column the backup format cannot hold
 */
export function adaptRegistry(registry: ModelRegistry, live: LiveTables): ModelRegistry {
  const present = [...registry.models.values()].filter((model) => live.has(model.table))
  const tables: Tables = {
    modelOfTable: new Map(present.map((model) => [model.table, model.name])),
    presentModels: new Set(present.map((model) => model.name)),
  }
  const models = new Map<string, RegistryModel>()
  for (const model of present) models.set(model.name, adaptModel(model, live.get(model.table)!, tables))
  return {
    models,
    deletedModels: registry.deletedModels,
    filters: adaptFilters(registry.filters, models),
    get: (name) => models.get(name),
  }
}

/** Which models the live database has, by table and by name. */
interface Tables {
  readonly modelOfTable: ReadonlyMap<string, string>
  readonly presentModels: ReadonlySet<string>
}

function adaptModel(model: RegistryModel, columns: readonly LiveColumn[], tables: Tables): RegistryModel {
  const { presentModels } = tables
  const liveByName = new Map(columns.map((column) => [column.name, column]))
  if (!liveByName.has(model.pkColumn)) {
    throw unsupported(model.name, undefined, `the table ${model.table} has no primary-key column ${model.pkColumn}`)
  }
  const fields: RegistryField[] = []
  for (const field of model.fields) {
    const column = liveByName.get(field.column)
    if (!column) continue
    const target = field.foreignKey
    // A plain foreign key may point at a model whose table a later migration created.
    const foreignKey = target && presentModels.has(target.model) ? { ...target, nullable: column.nullable } : undefined
    // A type the mapping does not know (a uuid-like native type, say) is the registry's to judge.
    const changed = liveTypeOf(column)
    const keep = changed === undefined || changed.type === field.type
    fields.push({
      ...field,
      type: keep ? field.type : changed.type,
      nativeType: keep ? field.nativeType : changed.nativeType,
      maxLength: column.maxLength,
      nullable: column.nullable,
      hasDefault: column.hasDefault,
      foreignKey,
    })
  }

  const known = new Set(model.fields.map((field) => field.column))
  const names = new Set(fields.map((field) => field.name))
  columns.forEach((column, index) => {
    if (column.name === model.pkColumn || known.has(column.name)) return
    const field = liveField(model, column, tables, names)
    if (names.has(field.name)) {
      throw unsupported(model.name, field.name, `the column ${model.table}.${column.name} would be a second field of this name`)
    }
    names.add(field.name)
    // Model-definition order is not in the database; the table's column order is the best
    // evidence of the old schema's, so an unknown column goes right after the live column before
    // it (`name` between `organization_id` and `date_added`, as the old export wrote it).
    let at = 0
    for (let before = index - 1; before >= 0; before -= 1) {
      const found = fields.findIndex((f) => f.column === columns[before]!.name)
      if (found !== -1) {
        at = found + 1
        break
      }
    }
    fields.splice(at, 0, field)
  })

  const has = (name: string) => names.has(name)
  const renamedFields = new Map([...model.renamedFields].filter(([oldName, newName]) => !has(oldName) && has(newName)))
  const rules: ModelRelocation = {
    ...model.rules,
    collisions: model.rules.collisions?.filter((rule) =>
      ('field' in rule ? [rule.field] : [...rule.fields, ...('alsoClear' in rule ? (rule.alsoClear ?? []) : [])]).every(has),
    ),
    exportExclude: Object.fromEntries(Object.entries(model.rules.exportExclude ?? {}).filter(([field]) => has(field))),
  }
  return {
    ...model,
    fields,
    // Unique sets are read from the registry only (validate() uses them, import and export do
    // not); sets over a missing field do not hold in this schema.
    uniques: model.uniques.filter((set) => set.every(has)),
    dependsOn: model.dependsOn.filter((name) => presentModels.has(name)),
    deletedFields: model.deletedFields.filter((name) => !has(name)),
    renamedFields,
    rules,
    fieldsByName: new Map(fields.map((field) => [field.name, field])),
  }
}

/** A field for a live column the registry does not know. */
function liveField(model: RegistryModel, column: LiveColumn, tables: Tables, taken: ReadonlySet<string>): RegistryField {
  const target = column.references === undefined ? undefined : tables.modelOfTable.get(column.references)
  const relationName = column.name.endsWith('_id') ? column.name.slice(0, -'_id'.length) : undefined
  const name = target !== undefined && relationName && !taken.has(relationName) ? relationName : column.name
  // The old name of a renamed field keeps what the application declared for the new one.
  const renamedTo = model.fieldsByName.get(model.renamedFields.get(name) ?? '')
  const liveType = liveTypeOf(column)
  if (!liveType) {
    throw unsupported(model.name, name, `the column ${model.table}.${column.name} has type ${column.baseType}, which the backup format cannot hold`)
  }
  return {
    name,
    column: column.name,
    type: liveType.type,
    nativeType: liveType.nativeType,
    maxLength: column.maxLength,
    nullable: column.nullable,
    hasDefault: column.hasDefault,
    isEmail: renamedTo?.isEmail ?? false,
    foreignKey:
      target !== undefined
        ? { model: target, kind: 'FlexibleForeignKey', nullable: column.nullable }
        : renamedTo?.foreignKey && tables.presentModels.has(renamedTo.foreignKey.model)
          ? { ...renamedTo.foreignKey, nullable: column.nullable }
          : undefined,
  }
}

/** The field type of a live column, or undefined for a type the backup format has no form for. */
function liveTypeOf(column: LiveColumn): { type: FieldType; nativeType: string | undefined } | undefined {
  if (column.isEnum) return { type: 'enum', nativeType: undefined }
  return Object.hasOwn(LIVE_TYPES, column.baseType) ? LIVE_TYPES[column.baseType] : undefined
}

/** The filter declarations, without the parts that name a model or field the schema lacks. */
function adaptFilters(
  filters: FilterDeclarations | undefined,
  models: ReadonlyMap<string, RegistryModel>,
): FilterDeclarations | undefined {
  const has = (model: string, field: string) => models.get(model)?.fieldsByName.has(field) ?? false
  if (!filters || !has(filters.users.model, filters.users.usernameField)) return undefined
  const users = filters.users.model
  const organizations = filters.organizations
  const privileged = filters.privilegedUsers
  return {
    users: filters.users,
    organizations:
      organizations &&
      has(organizations.model, organizations.slugField) &&
      has(organizations.members.model, organizations.members.organizationField) &&
      has(organizations.members.model, organizations.members.userField)
        ? organizations
        : undefined,
    followUsers: filters.followUsers?.filter((follow) => has(follow.model, follow.field) && has(users, follow.userField)),
    privilegedUsers: privileged && {
      flagFields: privileged.flagFields.filter((flag) => has(users, flag)),
      via: privileged.via.filter((via) => has(via.model, via.userField)),
    },
  }
}

function unsupported(model: string, field: string | undefined, why: string): HarnessError {
  return new HarnessError({
    code: 'APPLICATION_INVALID',
    stage: 'application',
    message: `live schema unsupported: ${why} (model ${model}${field ? `, field ${field}` : ''})`,
    hint: 'Import and export the database at a migration whose tables the backup format can describe',
    context: { model, ...(field ? { field } : {}) },
  })
}
