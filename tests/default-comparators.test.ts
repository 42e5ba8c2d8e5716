/**
 * The default comparator map (spec §5.3, Sentry's test case #70): built from the reference
 * application's declared comparators plus the schema's datetime, e-mail and foreign-key fields,
 * it must equal Sentry's own snapshot for every model the reference application has.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  dateUpdated,
  datetimeEquality,
  defaultComparators,
  describeComparatorMap,
  hashObfuscating,
  ignored,
  userPasswordObfuscating,
  usesOrdinalOnlyInFindings,
} from '../comparators/index.ts'
import type { Application } from '../harness/application/load-application.ts'
import { buildModelRegistry } from '../harness/application/model-registry.ts'
import { readDmmf } from '../harness/application/prisma-dmmf.ts'
import {
  defineRelocation,
  type RelocationMetadata,
} from '../harness/application/relocation-metadata.ts'
import { HarnessError } from '../harness/errors.ts'
import { REPO_ROOT } from './support/processes.ts'
import { referenceApplication } from './support/reference-app.ts'

interface SnapshotEntry {
  readonly model_name: string
  readonly comparators: readonly { readonly class: string; readonly fields: readonly string[] }[]
}

const SNAPSHOT = path.join(REPO_ROOT, 'snapshots', 'sentry', 'derived', 'default-comparators.json')

let app: Application
beforeAll(async () => {
  app = await referenceApplication()
})

describe('the default comparator map', () => {
  it('holds only comparators that use the ordinal on findings alone, so keyed rows stream', () => {
    const list = [...defaultComparators(app.registry).values()].flat()
    expect(list.length).toBeGreaterThan(50)
    expect(list.filter((c) => !usesOrdinalOnlyInFindings(c)).map((c) => c.name)).toEqual([])
  })

  it('equals Sentry’s snapshot for every model of the reference application (#70)', () => {
    const sentry = JSON.parse(readFileSync(SNAPSHOT, 'utf8')) as SnapshotEntry[]
    const ours = describeComparatorMap(defaultComparators(app.registry))
    const models = new Set(app.registry.models.keys())
    expect(ours.map((entry) => entry.model_name)).toEqual([...models].sort())
    expect(ours).toEqual(sentry.filter((entry) => models.has(entry.model_name)))
  })

  it('adds datetime equality only where the model has explicit comparators (spec §4.6)', () => {
    const map = defaultComparators(app.registry)
    expect(map.get('sentry.option')!.map((c) => c.name)).toEqual(['ForeignKeyComparator'])
    expect(map.get('sentry.integration')!.map((c) => [c.name, c.fields])).toEqual([
      ['DateUpdatedComparator', ['date_updated']],
      ['DatetimeEqualityComparator', ['date_added']],
      ['ForeignKeyComparator', []],
    ])
  })

  it('leaves the declared comparators as they are when it merges fields into one', () => {
    const declared = datetimeEquality('date_added')
    const registry = shopRegistry({ 'shop.customer': { comparators: [declared] } })
    const built = defaultComparators(registry).get('shop.customer')!
    expect(built[0]!.fields).toEqual(['date_added', 'joined_at'])
    expect(declared.fields).toEqual(['date_added'])
  })

  it('puts extra registrations after the declared comparators and before the automatic ones', () => {
    const map = defaultComparators(app.registry, {
      extra: [{ model: 'sentry.integration', comparator: ignored('status') }],
    })
    expect(map.get('sentry.integration')!.map((c) => c.name)).toEqual([
      'DateUpdatedComparator',
      'IgnoredComparator',
      'DatetimeEqualityComparator',
      'ForeignKeyComparator',
    ])
  })

  it('never names a model in the comparator library or in validate', () => {
    const named: string[] = []
    for (const dir of ['comparators', path.join('harness', 'validate')]) {
      for (const file of readdirSync(path.join(REPO_ROOT, dir))) {
        const text = readFileSync(path.join(REPO_ROOT, dir, file), 'utf8')
        if (/sentry\.[a-z]/.test(text)) named.push(path.join(dir, file))
      }
    }
    expect(named).toEqual([])
  })
})

describe('comparator registration', () => {
  const failure = (fn: () => unknown): HarnessError => {
    try {
      fn()
    } catch (error) {
      if (error instanceof HarnessError) return error
      throw error
    }
    throw new Error('expected a HarnessError')
  }

  it.each([
    {
      name: 'a declared comparator over an unknown field',
      build: () => shopRegistry({ 'shop.customer': { comparators: [hashObfuscating('tokn')] } }),
      code: 'APPLICATION_INVALID',
      message:
        'relocation metadata invalid: comparators (HashObfuscatingComparator) names a field the model does not have (model shop.customer, field tokn)',
      model: 'shop.customer',
      field: 'tokn',
    },
    {
      name: 'a comparator that reads a field the model does not have',
      build: () => shopRegistry({ 'shop.customer': { comparators: [userPasswordObfuscating()] } }),
      code: 'APPLICATION_INVALID',
      message:
        'relocation metadata invalid: comparators (UserPasswordObfuscatingComparator) names a field the model does not have (model shop.customer, field password)',
      model: 'shop.customer',
      field: 'password',
    },
    {
      name: 'the same field twice for one comparator kind',
      build: () =>
        shopRegistry({
          'shop.customer': {
            comparators: [dateUpdated('joined_at'), dateUpdated('joined_at', 'date_added')],
          },
        }),
      code: 'COMPARATOR_CONFLICT',
      message:
        'comparator registration conflict: DateUpdatedComparator is registered twice for the same field (model shop.customer, field joined_at)',
      model: 'shop.customer',
      field: 'joined_at',
    },
    {
      name: 'an extra registration for an unknown model',
      build: () =>
        defaultComparators(shopRegistry({}), {
          extra: [{ model: 'shop.invoice', comparator: ignored('total') }],
        }),
      code: 'APPLICATION_INVALID',
      message:
        'comparator registration invalid: no model "shop.invoice" in the application (model shop.invoice)',
      model: 'shop.invoice',
      field: undefined,
    },
    {
      name: 'an extra registration over an unknown field',
      build: () =>
        defaultComparators(shopRegistry({}), {
          extra: [{ model: 'shop.order', comparator: ignored('total') }],
        }),
      code: 'APPLICATION_INVALID',
      message:
        'relocation metadata invalid: comparators (IgnoredComparator) names a field the model does not have (model shop.order, field total)',
      model: 'shop.order',
      field: 'total',
    },
    {
      name: 'an extra registration duplicating a declared one',
      build: () =>
        defaultComparators(shopRegistry({ 'shop.order': { comparators: [ignored('details')] } }), {
          extra: [{ model: 'shop.order', comparator: ignored('details') }],
        }),
      code: 'COMPARATOR_CONFLICT',
      message:
        'comparator registration conflict: IgnoredComparator is registered twice for the same field (model shop.order, field details)',
      model: 'shop.order',
      field: 'details',
    },
  ])(
    'refuses $name at start-up, naming the model and field',
    ({ build, code, message, model, field }) => {
      const error = failure(build)
      expect(error.code).toBe(code)
      expect(error.message.split('. ')[0]).toBe(message)
      expect(error.context.model).toBe(model)
      expect(error.context.field).toBe(field)
    },
  )
})

/** A small application that is not Sentry. */
const SHOP_SCHEMA = `
datasource db {
  provider = "postgresql"
}

model Customer {
  id         BigInt   @id @default(autoincrement())
  email      String   @unique @db.VarChar(120)
  joined_at  DateTime @db.Timestamptz(6)
  date_added DateTime @db.Timestamptz(6)
  orders     Order[]

  @@map("shop_customer")
}

model Order {
  id          BigInt   @id @default(autoincrement())
  customer    Customer @relation(fields: [customer_id], references: [id])
  customer_id BigInt
  details     Json?

  @@map("shop_order")
}
`

function shopRegistry(extra: Record<string, Partial<RelocationMetadata['models'][string]>>) {
  const relocation = defineRelocation({
    models: {
      'shop.customer': { scope: 'User', emailFields: ['email'], ...extra['shop.customer'] },
      'shop.order': { scope: 'Organization', ...extra['shop.order'] },
    },
  })
  return buildModelRegistry(readDmmf(SHOP_SCHEMA), relocation)
}
