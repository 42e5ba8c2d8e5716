/**
 * The reference application (prisma/schema.prisma + prisma/relocation.ts) against Sentry's own
 * description of these models (snapshots/sentry/model_dependencies/detailed.json) and the backup
 * fixtures. Pure: reads the schema's DMMF through @prisma/prisma-schema-wasm, no database.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'

import { get_dmmf } from '@prisma/prisma-schema-wasm'
import { describe, expect, it } from 'vitest'

import type { ForeignKeyKind, ModelRelocation } from '../harness/application/relocation-metadata.ts'
import { relocation } from '../prisma/relocation.ts'

const ROOT = path.resolve(import.meta.dirname, '..')
const SNAPSHOTS = path.join(ROOT, 'snapshots', 'sentry')
const SCHEMA_PATH = path.join(ROOT, 'prisma', 'schema.prisma')

// --- Inputs ----------------------------------------------------------------------------------

interface DmmfField {
  readonly name: string
  readonly kind: 'scalar' | 'object' | 'enum' | 'unsupported'
  readonly type: string
  readonly dbName?: string | null
  readonly isList: boolean
  readonly isRequired: boolean
  readonly isUnique: boolean
  readonly isId: boolean
  readonly relationFromFields?: readonly string[]
  readonly nativeType?: readonly [string, readonly string[]] | null
}

interface DmmfModel {
  readonly name: string
  readonly dbName: string | null
  readonly fields: readonly DmmfField[]
  readonly uniqueFields: readonly (readonly string[])[]
}

interface DetailedForeignKey {
  readonly kind: ForeignKeyKind
  readonly model: string
  readonly nullable: boolean
}

interface DetailedModel {
  readonly foreign_keys: Readonly<Record<string, DetailedForeignKey>>
  readonly relocation_dependencies: readonly string[]
  readonly relocation_scope: string
  readonly table_name: string
  readonly uniques: readonly (readonly string[])[]
}

interface FixtureRow {
  readonly model: string
  readonly pk: number
  readonly fields: Readonly<Record<string, unknown>>
}

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T
}

const dmmf = JSON.parse(
  get_dmmf(
    JSON.stringify({
      prismaSchema: [[SCHEMA_PATH, readFileSync(SCHEMA_PATH, 'utf8')]],
      noColor: true,
    }),
  ),
) as { datamodel: { models: DmmfModel[] } }
const prismaModels = new Map(dmmf.datamodel.models.map((model) => [model.name, model]))

const detailed = readJson<Record<string, DetailedModel>>(
  path.join(SNAPSHOTS, 'model_dependencies', 'detailed.json'),
)

const fixtureFiles = readdirSync(SNAPSHOTS)
  .filter((name) => name.endsWith('.json') && !name.endsWith('.expect.json'))
  .sort()
const fixtures = fixtureFiles.map((file) => ({
  file,
  rows: readJson<FixtureRow[]>(path.join(SNAPSHOTS, file)),
}))

const declaredModels = Object.entries(relocation.models) as [string, ModelRelocation][]
const deletedModels = new Set(relocation.deletedModels ?? [])

/** Fields that exist in fixtures on purpose although no model has them. */
const DELIBERATELY_INVALID: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> =
  {
    // The bad-input fixture: an unknown field the importer must reject (spec §2.8).
    'invalid-user.json': { 'sentry.user': ['doesnotexist'] },
  }

/**
 * Hand-written fixtures put `sentry.user.is_unclaimed` (added to Sentry in 2023) after
 * is_password_expired; Sentry declares it after is_active, as the one real export among them
 * shows. Those fixtures are not evidence of field order for that field.
 */
function orderedByHand(file: string, model: string): readonly string[] {
  return model === 'sentry.user' && file !== 'app-user-with-empty-email.json'
    ? ['is_unclaimed']
    : []
}

// --- Schema helpers --------------------------------------------------------------------------

function prismaModelFor(exportName: string): DmmfModel {
  const declared = relocation.models[exportName]
  const wanted = declared?.prismaModel
  const suffix = exportName.slice(exportName.indexOf('.') + 1)
  const model =
    wanted !== undefined
      ? prismaModels.get(wanted)
      : [...prismaModels.values()].find((candidate) => candidate.name.toLowerCase() === suffix)
  if (model === undefined) throw new Error(`no Prisma model for ${exportName}`)
  return model
}

function exportNameOf(prismaModelName: string): string {
  const entry = declaredModels.find(([name]) => prismaModelFor(name).name === prismaModelName)
  if (entry === undefined) throw new Error(`Prisma model ${prismaModelName} is not declared`)
  return entry[0]
}

/** Fields that are database columns (relation and back-relation fields are not). */
function columnFields(model: DmmfModel): DmmfField[] {
  return model.fields.filter((field) => field.kind !== 'object')
}

/** Relation fields that own a foreign key (back-relations have no `relationFromFields`). */
function foreignKeyRelations(model: DmmfModel): DmmfField[] {
  return model.fields.filter(
    (field) => field.kind === 'object' && (field.relationFromFields?.length ?? 0) > 0,
  )
}

/** The column an export field is stored in: a relation's scalar, or the scalar itself. */
function columnOf(model: DmmfModel, exportField: string): string | undefined {
  const field = model.fields.find((candidate) => candidate.name === exportField)
  if (field === undefined || field.isList) return undefined
  const scalarName = field.kind === 'object' ? field.relationFromFields?.[0] : field.name
  const scalar = model.fields.find((candidate) => candidate.name === scalarName)
  return scalar === undefined ? undefined : (scalar.dbName ?? scalar.name)
}

/** The export name of a column: the relation that owns it, else the field itself. */
function exportFieldOf(model: DmmfModel, prismaField: string): string {
  const owner = foreignKeyRelations(model).find((relation) =>
    relation.relationFromFields?.includes(prismaField),
  )
  return owner?.name ?? prismaField
}

/** The export field names of a model in schema order: relations by name, their scalars not. */
function exportFieldsOf(model: DmmfModel): string[] {
  const scalars = new Set(foreignKeyRelations(model).flatMap((r) => r.relationFromFields ?? []))
  return model.fields
    .filter((field) => !field.isId && !field.isList && !scalars.has(field.name))
    .map((field) => field.name)
}

function uniqueSetsOf(model: DmmfModel): string[][] {
  const single = model.fields
    .filter((field) => field.isUnique && !field.isId)
    .map((field) => [field.name])
  return [...single, ...model.uniqueFields.map((set) => [...set])].map((set) =>
    set.map((field) => exportFieldOf(model, field)).sort(),
  )
}

const bySetKey = (sets: readonly (readonly string[])[]): string[] =>
  sets.map((set) => [...set].sort().join(',')).sort()

// --- Tests -----------------------------------------------------------------------------------

describe('reference application schema', () => {
  it('declares relocation metadata for exactly the models of the Prisma schema', () => {
    const declared = declaredModels.map(([name]) => prismaModelFor(name).name).sort()
    expect(declared).toEqual([...prismaModels.keys()].sort())
  })

  it('has a model for every model in the fixtures, unless the model was deleted', () => {
    const inFixtures = new Set(fixtures.flatMap(({ rows }) => rows.map((row) => row.model)))
    const missing = [...inFixtures].filter(
      (model) => relocation.models[model] === undefined && !deletedModels.has(model),
    )
    expect(missing).toEqual([])
  })

  describe.each(fixtures)('$file', ({ file, rows }) => {
    it('has a column for every field of every row', () => {
      const unmapped: string[] = []
      for (const row of rows) {
        if (deletedModels.has(row.model)) continue
        const model = prismaModelFor(row.model)
        const ignored = new Set([
          ...(relocation.models[row.model]?.deletedFields ?? []),
          ...(DELIBERATELY_INVALID[file]?.[row.model] ?? []),
        ])
        for (const field of Object.keys(row.fields)) {
          if (!ignored.has(field) && columnOf(model, field) === undefined) {
            unmapped.push(`${row.model}#${row.pk}.${field}`)
          }
        }
      }
      expect(unmapped).toEqual([])
    })

    it('lists the fields of every row in the order of the schema', () => {
      const misordered: string[] = []
      for (const row of rows) {
        if (deletedModels.has(row.model)) continue
        const model = prismaModelFor(row.model)
        const skipped = new Set(orderedByHand(file, row.model))
        const inRow = Object.keys(row.fields).filter(
          (field) => !skipped.has(field) && columnOf(model, field) !== undefined,
        )
        const present = new Set(inRow)
        const inSchema = exportFieldsOf(model).filter((field) => present.has(field))
        if (inRow.join() !== inSchema.join()) misordered.push(`${row.model}#${row.pk}`)
      }
      expect(misordered).toEqual([])
    })
  })

  it('keeps no column for a field that imports drop', () => {
    const kept = declaredModels.flatMap(([name, declared]) =>
      (declared.deletedFields ?? [])
        .filter((field) => columnOf(prismaModelFor(name), field) !== undefined)
        .map((field) => `${name}.${field}`),
    )
    expect(kept).toEqual([])
  })

  it.each(declaredModels.map(([name]) => name))('maps %s to its Sentry table', (name) => {
    expect(prismaModelFor(name).dbName).toBe(detailed[name]?.table_name)
  })

  it.each(declaredModels.map(([name]) => name))(
    'gives %s exactly the unique sets Sentry declares, under the names renamedFields gives them',
    (name) => {
      const renamed = relocation.models[name]?.renamedFields ?? {}
      const sentrys = (detailed[name]?.uniques ?? []).map((set) =>
        set.map((field) => (Object.hasOwn(renamed, field) ? renamed[field]! : field)),
      )
      expect(bySetKey(uniqueSetsOf(prismaModelFor(name)))).toEqual(bySetKey(sentrys))
    },
  )

  it.each(declaredModels.map(([name]) => name))(
    'declares every foreign key of %s with Sentry’s target and kind, and no other',
    (name) => {
      const model = prismaModelFor(name)
      const declared = relocation.models[name] ?? { scope: 'Excluded' }
      const ours: Record<string, DetailedForeignKey> = {}
      for (const relation of foreignKeyRelations(model)) {
        ours[relation.name] = {
          model: exportNameOf(relation.type),
          kind: declared.relationKinds?.[relation.name] ?? 'FlexibleForeignKey',
          nullable: !relation.isRequired,
        }
      }
      for (const [field, plain] of Object.entries(declared.plainForeignKeys ?? {})) {
        const column = model.fields.find((candidate) => candidate.name === field)
        ours[field] = {
          model: plain.model,
          kind: plain.kind ?? 'HybridCloudForeignKey',
          nullable: column === undefined ? true : !column.isRequired,
        }
      }
      expect(ours).toEqual(detailed[name]?.foreign_keys)
    },
  )

  it('stores plain foreign keys in 64-bit integer columns', () => {
    const wrong = declaredModels.flatMap(([name, declared]) =>
      Object.keys(declared.plainForeignKeys ?? {})
        .filter((field) => {
          const column = prismaModelFor(name).fields.find((candidate) => candidate.name === field)
          return column?.kind !== 'scalar' || column.type !== 'BigInt'
        })
        .map((field) => `${name}.${field}`),
    )
    expect(wrong).toEqual([])
  })

  it.each(declaredModels.map(([name]) => name))(
    'takes the scope and relocation dependencies of %s from detailed.json',
    (name) => {
      const declared = relocation.models[name]
      expect(declared?.scope).toBe(detailed[name]?.relocation_scope)
      expect([...(declared?.dependsOn ?? [])].sort()).toEqual(
        [...(detailed[name]?.relocation_dependencies ?? [])].sort(),
      )
    },
  )

  it('names only existing columns as custom ordinals and e-mail fields', () => {
    const unknown = declaredModels.flatMap(([name, declared]) =>
      [...(declared.customOrdinal ?? []), ...(declared.emailFields ?? [])]
        .filter((field) => columnOf(prismaModelFor(name), field) === undefined)
        .map((field) => `${name}.${field}`),
    )
    expect(unknown).toEqual([])
  })

  it('marks the e-mail fields that Sentry obfuscates', () => {
    const emailFields = declaredModels
      .flatMap(([name, declared]) =>
        (declared.emailFields ?? []).map((field) => `${name}.${field}`),
      )
      .sort()
    expect(emailFields).toEqual([
      'sentry.email.email',
      'sentry.organizationmember.email',
      'sentry.user.email',
      'sentry.useremail.email',
    ])
  })

  it('uses auto-incrementing 64-bit primary keys', () => {
    const wrong = declaredModels
      .map(([name]) => prismaModelFor(name))
      .filter((model) => {
        const ids = model.fields.filter((field) => field.isId)
        return ids.length !== 1 || ids[0]?.name !== 'id' || ids[0].type !== 'BigInt'
      })
      .map((model) => model.name)
    expect(wrong).toEqual([])
  })

  it('stores datetimes as timestamptz with microseconds', () => {
    const wrong = declaredModels.flatMap(([name]) =>
      columnFields(prismaModelFor(name))
        .filter((field) => field.type === 'DateTime')
        .filter((field) => JSON.stringify(field.nativeType) !== '["Timestamptz",["6"]]')
        .map((field) => `${name}.${field.name}`),
    )
    expect(wrong).toEqual([])
  })
})
