import type { Comparator } from '../../comparators/comparator.ts'
import { HarnessError } from '../errors.ts'
import type { Dmmf, DmmfField, DmmfModel } from './prisma-dmmf.ts'
import type {
  FilterDeclarations,
  ForeignKeyKind,
  ModelRelocation,
  RelocationMetadata,
  RelocationScope,
} from './relocation-metadata.ts'

/** The value type of a field, as the backup format and the comparators see it. */
export type FieldType =
  | 'string'
  | 'int'
  | 'bigint'
  | 'float'
  | 'decimal'
  | 'boolean'
  | 'datetime'
  | 'json'
  | 'bytes'
  | 'enum'

export interface ForeignKeyTarget {
  /** Export name of the target model. */
  readonly model: string
  readonly kind: ForeignKeyKind
  readonly nullable: boolean
}

/** One field of a row in a backup, and where it lives in the database. */
export interface RegistryField {
  /** The key in a backup row's `fields`: `user` for a relation, `user_id` for a plain column. */
  readonly name: string
  /** The database column. */
  readonly column: string
  readonly type: FieldType
  /** The database type as Prisma declares it (`VarChar`, `Timestamptz`, `JsonB`, …), if any. */
  readonly nativeType: string | undefined
  /** `VarChar(n)` and `Char(n)` lengths. */
  readonly maxLength: number | undefined
  readonly nullable: boolean
  readonly hasDefault: boolean
  readonly isEmail: boolean
  readonly foreignKey: ForeignKeyTarget | undefined
}

/** Everything the harness knows about one model that travels in backups. */
export interface RegistryModel {
  /** The model's name in backups, e.g. `sentry.user`. */
  readonly name: string
  readonly prismaModel: string
  readonly table: string
  readonly pkColumn: string
  /** The exported fields in model-definition order; the primary key is not among them. */
  readonly fields: readonly RegistryField[]
  /** Unique field sets (export names), each sorted, like Sentry's `detailed.json`. */
  readonly uniques: readonly (readonly string[])[]
  readonly scopes: readonly RelocationScope[]
  readonly customOrdinal: readonly string[]
  /** Extra ordering dependencies (export model names). */
  readonly dependsOn: readonly string[]
  /** Fields older backups carry that this model no longer has; dropped on import. */
  readonly deletedFields: readonly string[]
  /**
   * Fields older backups carry under an earlier name: old export name → current export name. A
   * map, not the declared record, so that a field called `constructor` is not found on the
   * prototype.
   */
  readonly renamedFields: ReadonlyMap<string, string>
  /** The comparators declared for this model, checked against its fields (spec §5.3). */
  readonly comparators: readonly Comparator[]
  /** The application's declared rules for this model (collisions, hooks, export exclusions). */
  readonly rules: ModelRelocation
  /** The fields by export name. */
  readonly fieldsByName: ReadonlyMap<string, RegistryField>
}

/** The one source of model knowledge that every later stage reads. */
export interface ModelRegistry {
  /** Models keyed by export name, sorted by name. */
  readonly models: ReadonlyMap<string, RegistryModel>
  /** Models older backups carry that the application no longer has. */
  readonly deletedModels: ReadonlySet<string>
  /** The application's filter semantics, checked against the models. */
  readonly filters: FilterDeclarations | undefined
  /** The model with export name `name`, or undefined. */
  get(name: string): RegistryModel | undefined
}

const PRISMA_TYPES: Readonly<Record<string, FieldType>> = {
  String: 'string',
  Int: 'int',
  BigInt: 'bigint',
  Float: 'float',
  Decimal: 'decimal',
  Boolean: 'boolean',
  DateTime: 'datetime',
  Json: 'json',
  Bytes: 'bytes',
}

/**
 * Builds the registry from the Prisma schema and the application's relocation metadata, and
 * refuses metadata that does not match the schema, naming the model and the field.
 */
export function buildModelRegistry(dmmf: Dmmf, relocation: RelocationMetadata): ModelRegistry {
  const prismaModels = new Map(dmmf.datamodel.models.map((model) => [model.name, model]))
  const exportNameOf = new Map<string, string>()
  for (const [name, meta] of Object.entries(relocation.models)) {
    const prismaModel = resolvePrismaModel(name, meta, prismaModels)
    if (exportNameOf.has(prismaModel.name)) {
      throw invalid(name, undefined, `Prisma model ${prismaModel.name} is already declared as ${exportNameOf.get(prismaModel.name)}`)
    }
    exportNameOf.set(prismaModel.name, name)
  }
  const undeclared = [...prismaModels.keys()].filter((name) => !exportNameOf.has(name))
  if (undeclared.length > 0) {
    throw new HarnessError({
      code: 'APPLICATION_INVALID',
      stage: 'application',
      message: `relocation metadata incomplete: Prisma models ${undeclared.join(', ')} are not declared`,
      hint: 'Declare every model in the relocation metadata; give models that never travel the scope Excluded',
      context: { model: undeclared[0] },
    })
  }

  const models = new Map<string, RegistryModel>()
  for (const name of Object.keys(relocation.models).sort()) {
    const meta = relocation.models[name]!
    const prismaModel = resolvePrismaModel(name, meta, prismaModels)
    models.set(name, buildModel(name, meta, prismaModel, exportNameOf))
  }
  for (const model of models.values()) checkReferences(model, models, relocation)
  const deletedModels = new Set(relocation.deletedModels ?? [])
  if (relocation.filters) checkFilters(relocation.filters, models)
  return { models, deletedModels, filters: relocation.filters, get: (name) => models.get(name) }
}

function resolvePrismaModel(
  name: string,
  meta: ModelRelocation,
  prismaModels: ReadonlyMap<string, DmmfModel>,
): DmmfModel {
  if (!/^[a-z0-9_]+\.[a-z0-9_]+$/.test(name)) {
    throw invalid(name, undefined, 'a model name must look like "<app>.<model>" in lower case')
  }
  const wanted = meta.prismaModel ?? name.split('.')[1]!
  const model =
    prismaModels.get(wanted) ??
    [...prismaModels.values()].find((candidate) => candidate.name.toLowerCase() === wanted)
  if (!model) {
    throw invalid(name, undefined, `no Prisma model ${meta.prismaModel ? `named ${wanted}` : `whose lower-cased name is "${wanted}"`}`)
  }
  return model
}

function buildModel(
  name: string,
  meta: ModelRelocation,
  model: DmmfModel,
  exportNameOf: ReadonlyMap<string, string>,
): RegistryModel {
  const idFields = model.primaryKey?.fields ?? model.fields.filter((f) => f.isId).map((f) => f.name)
  if (idFields.length !== 1) {
    throw invalid(name, undefined, 'the model needs exactly one primary-key field (composite keys are not supported)')
  }
  const pkField = model.fields.find((f) => f.name === idFields[0])!
  const relationScalars = new Map<string, DmmfField>()
  for (const field of model.fields) {
    if (field.kind !== 'object' || !field.relationFromFields?.length) continue
    if (field.relationFromFields.length !== 1) {
      throw invalid(name, field.name, 'relations over several columns are not supported')
    }
    relationScalars.set(field.relationFromFields[0]!, field)
  }
  const scalarsByName = new Map(model.fields.map((f) => [f.name, f]))
  const plainForeignKeys = meta.plainForeignKeys ?? {}
  const emailFields = new Set(meta.emailFields ?? [])

  const fields: RegistryField[] = []
  for (const field of model.fields) {
    if (field === pkField || relationScalars.has(field.name)) continue
    if (field.kind === 'object') {
      if (!field.relationFromFields?.length) continue // the other side of a relation: no column
      const scalar = scalarsByName.get(field.relationFromFields[0]!)!
      const target = exportNameOf.get(field.type)!
      fields.push({
        ...describeScalar(scalar, name),
        name: field.name,
        isEmail: emailFields.has(field.name),
        foreignKey: {
          model: target,
          kind: meta.relationKinds?.[field.name] ?? 'FlexibleForeignKey',
          nullable: !scalar.isRequired,
        },
      })
      continue
    }
    const plain = plainForeignKeys[field.name]
    fields.push({
      ...describeScalar(field, name),
      name: field.name,
      isEmail: emailFields.has(field.name),
      foreignKey: plain
        ? { model: plain.model, kind: plain.kind ?? 'HybridCloudForeignKey', nullable: !field.isRequired }
        : undefined,
    })
  }

  const exportNameOfColumnField = (prismaField: string) => relationScalars.get(prismaField)?.name ?? prismaField
  const uniqueSets = [
    ...model.uniqueFields.map((set) => [...set]),
    ...model.fields.filter((f) => f.isUnique && !f.isId).map((f) => [f.name]),
  ].map((set) => set.map(exportNameOfColumnField).sort())

  const fieldNames = new Set(fields.map((f) => f.name))
  const checkField = (field: string, what: string) => {
    if (!fieldNames.has(field)) throw invalid(name, field, `${what} names a field the model does not have`)
  }
  for (const field of Object.keys(plainForeignKeys)) {
    checkField(field, 'plainForeignKeys')
    if (relationScalars.has(field)) throw invalid(name, field, 'plainForeignKeys names a column that already backs a Prisma relation')
  }
  for (const field of Object.keys(meta.relationKinds ?? {})) {
    checkField(field, 'relationKinds')
    if (!fields.find((f) => f.name === field)?.foreignKey || plainForeignKeys[field]) {
      throw invalid(name, field, 'relationKinds names a field that is not a Prisma relation')
    }
  }
  for (const field of emailFields) checkField(field, 'emailFields')
  for (const field of meta.customOrdinal ?? []) checkField(field, 'customOrdinal')
  if ((meta.customOrdinalWhen || meta.duplicateOrdinal) && !meta.customOrdinal?.length) {
    throw invalid(name, undefined, 'customOrdinalWhen and duplicateOrdinal need a customOrdinal')
  }
  for (const field of meta.deletedFields ?? []) {
    if (fieldNames.has(field)) throw invalid(name, field, 'deletedFields names a field the model still has')
  }
  const renamedFields = new Map(Object.entries(meta.renamedFields ?? {}))
  const renamedTo = new Map<string, string>()
  for (const [oldName, newName] of renamedFields) {
    if (!fieldNames.has(newName)) throw invalid(name, newName, `renamedFields renames "${oldName}" to a field the model does not have`)
    if (fieldNames.has(oldName)) throw invalid(name, oldName, 'renamedFields renames a field the model still has')
    if (meta.deletedFields?.includes(oldName)) throw invalid(name, oldName, 'renamedFields renames a field that deletedFields drops')
    // Two old names for one field would leave a backup that carries both with two values.
    const earlier = renamedTo.get(newName)
    if (earlier !== undefined) throw invalid(name, newName, `renamedFields renames both "${earlier}" and "${oldName}" to this field`)
    renamedTo.set(newName, oldName)
  }
  for (const field of [...(meta.nullIfTargetMissing ?? []), ...(meta.skipIfTargetReused ?? [])]) {
    checkField(field, 'nullIfTargetMissing/skipIfTargetReused')
    if (!fields.find((f) => f.name === field)?.foreignKey && !plainForeignKeys[field]) {
      throw invalid(name, field, 'nullIfTargetMissing/skipIfTargetReused names a field that is not a foreign key')
    }
  }
  for (const rule of meta.collisions ?? []) {
    const named = 'field' in rule ? [rule.field] : [...rule.fields, ...('alsoClear' in rule ? (rule.alsoClear ?? []) : [])]
    for (const field of named) checkField(field, `collisions (${rule.kind})`)
  }
  for (const field of Object.keys(meta.exportExclude ?? {})) checkField(field, 'exportExclude')

  const built: RegistryModel = {
    name,
    prismaModel: model.name,
    table: model.dbName ?? model.name,
    pkColumn: pkField.dbName ?? pkField.name,
    fields,
    uniques: uniqueSets,
    scopes: typeof meta.scope === 'string' ? [meta.scope] : [...meta.scope],
    customOrdinal: [...(meta.customOrdinal ?? [])],
    dependsOn: [...(meta.dependsOn ?? [])],
    deletedFields: [...(meta.deletedFields ?? [])],
    renamedFields,
    comparators: [...(meta.comparators ?? [])],
    rules: meta,
    fieldsByName: new Map(fields.map((f) => [f.name, f])),
  }
  checkComparatorRegistrations(built, built.comparators)
  return built
}

/**
 * Refuses comparators that cannot work on `model`: a named or read field the model does not have,
 * or a field named twice by comparators of the same name (their findings and scrub records would
 * collide). `comparators` is the model's whole explicit list, declared and added.
 * @throws HarnessError `APPLICATION_INVALID` for an unknown field, `COMPARATOR_CONFLICT` for a duplicate
 */
export function checkComparatorRegistrations(model: RegistryModel, comparators: readonly Comparator[]): void {
  const seen = new Set<string>()
  for (const comparator of comparators) {
    if (typeof comparator?.compare !== 'function' || !Array.isArray(comparator.fields)) {
      throw invalid(model.name, undefined, 'comparators lists something that is not a comparator (build one with defineComparator)')
    }
    for (const field of [...comparator.fields, ...(comparator.reads ?? [])]) {
      if (!model.fieldsByName.has(field)) {
        throw invalid(model.name, field, `comparators (${comparator.name}) names a field the model does not have`)
      }
    }
    for (const field of comparator.fields) {
      const key = `${comparator.name}::${field}`
      if (seen.has(key)) {
        throw new HarnessError({
          code: 'COMPARATOR_CONFLICT',
          stage: 'application',
          message: `comparator registration conflict: ${comparator.name} is registered twice for the same field (model ${model.name}, field ${field})`,
          hint: 'Name each field once per comparator kind: merge the two registrations into one',
          context: { model: model.name, field, comparator: comparator.name },
        })
      }
      seen.add(key)
    }
  }
}

function describeScalar(field: DmmfField, model: string): Omit<RegistryField, 'name' | 'isEmail' | 'foreignKey'> {
  const type = field.kind === 'enum' ? 'enum' : PRISMA_TYPES[field.type]
  if (!type || field.isList) {
    throw invalid(model, field.name, `fields of type ${field.type}${field.isList ? '[]' : ''} are not supported`)
  }
  const [nativeType, nativeArgs] = field.nativeType ?? [undefined, []]
  const length = nativeType === 'VarChar' || nativeType === 'Char' ? Number(nativeArgs[0]) : undefined
  return {
    column: field.dbName ?? field.name,
    type,
    nativeType,
    maxLength: Number.isInteger(length) ? length : undefined,
    nullable: !field.isRequired,
    hasDefault: field.hasDefaultValue,
  }
}

function checkReferences(
  model: RegistryModel,
  models: ReadonlyMap<string, RegistryModel>,
  relocation: RelocationMetadata,
) {
  for (const field of model.fields) {
    if (field.foreignKey && !models.has(field.foreignKey.model)) {
      throw invalid(model.name, field.name, `the foreign key points at "${field.foreignKey.model}", which is not a declared model`)
    }
  }
  for (const dependency of model.dependsOn) {
    if (!models.has(dependency)) throw invalid(model.name, undefined, `dependsOn names "${dependency}", which is not a declared model`)
  }
  for (const deleted of relocation.deletedModels ?? []) {
    if (models.has(deleted)) throw invalid(deleted, undefined, 'deletedModels names a model the schema still has')
  }
}

function checkFilters(filters: FilterDeclarations, models: ReadonlyMap<string, RegistryModel>) {
  const need = (model: string, field: string) => {
    const found = models.get(model)
    if (!found) throw invalid(model, undefined, 'filters name a model that is not declared')
    if (!found.fieldsByName.has(field)) throw invalid(model, field, 'filters name a field the model does not have')
  }
  need(filters.users.model, filters.users.usernameField)
  if (filters.organizations) {
    const { model, slugField, members } = filters.organizations
    need(model, slugField)
    need(members.model, members.organizationField)
    need(members.model, members.userField)
  }
  for (const flag of filters.privilegedUsers?.flagFields ?? []) need(filters.users.model, flag)
  for (const via of filters.privilegedUsers?.via ?? []) need(via.model, via.userField)
  for (const follow of filters.followUsers ?? []) {
    need(follow.model, follow.field)
    need(filters.users.model, follow.userField)
  }
}

function invalid(model: string, field: string | undefined, why: string): HarnessError {
  return new HarnessError({
    code: 'APPLICATION_INVALID',
    stage: 'application',
    message: `relocation metadata invalid: ${why} (model ${model}${field ? `, field ${field}` : ''})`,
    hint: 'Fix the declaration in the application\'s relocation metadata so it matches the Prisma schema',
    context: { model, ...(field ? { field } : {}) },
  })
}
