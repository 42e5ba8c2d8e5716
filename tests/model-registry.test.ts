import { describe, expect, it } from 'vitest'
import { buildModelRegistry } from '../harness/application/model-registry.ts'
import { readDmmf } from '../harness/application/prisma-dmmf.ts'
import { defineRelocation, type RelocationMetadata } from '../harness/application/relocation-metadata.ts'
import { HarnessError } from '../harness/errors.ts'

/** A small application that is not Sentry: the registry must work for any schema. */
const SHOP_SCHEMA = `
datasource db {
  provider = "postgresql"
}

model Customer {
  id         BigInt   @id @default(autoincrement())
  email      String   @unique @db.VarChar(120)
  joined_at  DateTime @db.Timestamptz(6)
  referrer_id BigInt?
  orders     Order[]

  @@map("shop_customer")
}

model Order {
  id          BigInt   @id @default(autoincrement())
  customer    Customer @relation(fields: [customer_id], references: [id])
  customer_id BigInt
  number      String   @map("order_number") @db.VarChar(20)
  details     Json?

  @@unique([customer_id, number])
  @@map("shop_order")
}
`

const SHOP_RELOCATION = defineRelocation({
  models: {
    'shop.customer': {
      scope: 'User',
      customOrdinal: ['email'],
      emailFields: ['email'],
      plainForeignKeys: { referrer_id: { model: 'shop.customer' } },
    },
    'shop.order': { scope: 'Organization', dependsOn: ['shop.customer'] },
  },
})

const build = (relocation: RelocationMetadata, schema = SHOP_SCHEMA) => buildModelRegistry(readDmmf(schema), relocation)

function failure(fn: () => unknown): HarnessError {
  try {
    fn()
  } catch (error) {
    if (error instanceof HarnessError) return error
    throw error
  }
  throw new Error('expected a HarnessError')
}

describe('the model registry', () => {
  it('maps export fields to columns for any schema', () => {
    const registry = build(SHOP_RELOCATION)
    expect([...registry.models.keys()]).toEqual(['shop.customer', 'shop.order'])
    const order = registry.get('shop.order')!
    expect(order).toMatchObject({ prismaModel: 'Order', table: 'shop_order', pkColumn: 'id', scopes: ['Organization'] })
    expect(order.fields.map((f) => [f.name, f.column, f.type])).toEqual([
      ['customer', 'customer_id', 'bigint'],
      ['number', 'order_number', 'string'],
      ['details', 'details', 'json'],
    ])
    expect(order.fields[0]!.foreignKey).toEqual({ model: 'shop.customer', kind: 'FlexibleForeignKey', nullable: false })
    expect(order.uniques).toEqual([['customer', 'number']])
  })

  it('reads types, lengths, e-mail tags and plain foreign keys', () => {
    const customer = build(SHOP_RELOCATION).get('shop.customer')!
    expect(customer.fields.map((f) => f.name)).toEqual(['email', 'joined_at', 'referrer_id'])
    expect(customer.fields[0]).toMatchObject({ type: 'string', maxLength: 120, isEmail: true, nullable: false })
    expect(customer.fields[1]).toMatchObject({ type: 'datetime', nativeType: 'Timestamptz' })
    expect(customer.fields[2]!.foreignKey).toEqual({ model: 'shop.customer', kind: 'HybridCloudForeignKey', nullable: true })
    expect(customer.uniques).toEqual([['email']])
  })

  const cases: { name: string; relocation: RelocationMetadata; message: string; model: string; field?: string }[] = [
    {
      name: 'a foreign key to a model that does not exist',
      relocation: { models: { ...SHOP_RELOCATION.models, 'shop.customer': { scope: 'User', plainForeignKeys: { referrer_id: { model: 'shop.partner' } } } } },
      message: 'relocation metadata invalid: the foreign key points at "shop.partner", which is not a declared model (model shop.customer, field referrer_id)',
      model: 'shop.customer',
      field: 'referrer_id',
    },
    {
      name: 'a plain foreign key that is not a column',
      relocation: { models: { ...SHOP_RELOCATION.models, 'shop.order': { scope: 'Organization', plainForeignKeys: { coupon_id: { model: 'shop.customer' } } } } },
      message: 'relocation metadata invalid: plainForeignKeys names a field the model does not have (model shop.order, field coupon_id)',
      model: 'shop.order',
      field: 'coupon_id',
    },
    {
      name: 'a custom ordinal over an unknown field',
      relocation: { models: { ...SHOP_RELOCATION.models, 'shop.order': { scope: 'Organization', customOrdinal: ['nope'] } } },
      message: 'relocation metadata invalid: customOrdinal names a field the model does not have (model shop.order, field nope)',
      model: 'shop.order',
      field: 'nope',
    },
    {
      name: 'a model the Prisma schema does not have',
      relocation: { models: { ...SHOP_RELOCATION.models, 'shop.invoice': { scope: 'Organization' } } },
      message: 'relocation metadata invalid: no Prisma model whose lower-cased name is "invoice" (model shop.invoice)',
      model: 'shop.invoice',
    },
    {
      name: 'a Prisma model left undeclared',
      relocation: { models: { 'shop.customer': SHOP_RELOCATION.models['shop.customer']! } },
      message: 'relocation metadata incomplete: Prisma models Order are not declared',
      model: 'Order',
    },
    {
      name: 'a deleted field the model still has',
      relocation: { models: { ...SHOP_RELOCATION.models, 'shop.order': { scope: 'Organization', deletedFields: ['details'] } } },
      message: 'relocation metadata invalid: deletedFields names a field the model still has (model shop.order, field details)',
      model: 'shop.order',
      field: 'details',
    },
    {
      name: 'an ordering dependency on an unknown model',
      relocation: { models: { ...SHOP_RELOCATION.models, 'shop.order': { scope: 'Organization', dependsOn: ['shop.cart'] } } },
      message: 'relocation metadata invalid: dependsOn names "shop.cart", which is not a declared model (model shop.order)',
      model: 'shop.order',
    },
  ]

  it.each(cases)('refuses $name, naming the model and field', ({ relocation, message, model, field }) => {
    const error = failure(() => build(relocation))
    expect(error.code).toBe('APPLICATION_INVALID')
    expect(error.message.split('. ')[0]).toBe(message)
    expect(error.context.model).toBe(model)
    expect(error.context.field).toBe(field)
  })

  it('refuses an invalid Prisma schema with Prisma\'s reason', () => {
    const error = failure(() => build(SHOP_RELOCATION, 'model Broken { id BigInt @id @nonsense }'))
    expect(error.code).toBe('APPLICATION_INVALID')
    expect(error.message).toMatch(/^prisma schema invalid: .*nonsense/)
  })
})
