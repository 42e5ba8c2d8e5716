/**
 * Sentry's end-to-end `validate()` cases (spec §7.6, `test_validate.py`) with the default
 * comparators of the reference application, then what we add: structured changes, counts,
 * secrets kept shortened, streaming and errors.
 */
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { defineComparator } from '../comparators/index.ts'
import type { Application } from '../harness/application/load-application.ts'
import type { BackupEntry } from '../harness/backup/backup-entry.ts'
import { HarnessError } from '../harness/errors.ts'
import type { ComparatorFinding, FindingKind } from '../harness/findings/comparator-findings.ts'
import { validate, validateBackups } from '../harness/validate/index.ts'
import { readFixture, referenceApplication, type Entry } from './support/reference-app.ts'
import { tempDir } from './support/temp.ts'

let app: Application
let integration: Entry
let option: Entry
beforeAll(async () => {
  app = await referenceApplication()
  integration = (await readFixture('single-integration.json'))[0]!
  option = (await readFixture('single-option.json'))[0]!
})

const entry = (model: string, pk: number, fields: Record<string, unknown>): BackupEntry => ({
  model: `sentry.${model}`,
  pk,
  fields,
})
const withPk = (base: Entry, pk: number, fields: Record<string, unknown> = {}): BackupEntry => ({
  ...base,
  pk,
  fields: { ...base.fields, ...fields },
})
const run = (left: BackupEntry[], right: BackupEntry[]) =>
  validate(left, right, { registry: app.registry }).findings

interface Expected {
  readonly kind: FindingKind
  readonly on: { readonly model: string; readonly ordinal: number | null }
  readonly left_pk: number | null
  readonly right_pk: number | null
  readonly reason?: readonly string[]
}

/** Asserts kinds, `on`, both pks and reason substrings of every finding, in order. */
function expectFindings(found: readonly ComparatorFinding[], expected: readonly Expected[]): void {
  expect(found.map(({ kind, on, left_pk, right_pk }) => ({ kind, on, left_pk, right_pk }))).toEqual(
    expected.map(({ kind, on, left_pk, right_pk }) => ({ kind, on, left_pk, right_pk })),
  )
  expected.forEach((want, index) => {
    for (const text of want.reason ?? []) expect(found[index]!.reason).toContain(text)
  })
}

const userRole = (fields: Record<string, unknown>) =>
  entry('userrole', 1, {
    date_updated: '2023-06-22T23:00:00.123Z',
    date_added: '2023-06-22T22:54:27.000Z',
    name: 'Super Admin',
    permissions: "['users.admin']",
    ...fields,
  })
const user = (pk: number, username: string) =>
  entry('user', pk, {
    password: 'pbkdf2_sha256$150000$iEvdIknqYjTr$+QsGn0tfIJ1FZLxQI37mVU1gL2KbL/wqjMtG/dFhsMA=',
    last_login: null,
    username,
    name: '',
    email: username,
    is_staff: false,
    is_active: true,
    is_superuser: false,
    is_managed: false,
    is_sentry_app: null,
    is_password_expired: false,
    is_unclaimed: false,
    last_password_change: '2023-06-22T22:59:57.023Z',
    flags: '0',
    session_nonce: null,
    date_joined: '2023-06-22T22:59:55.488Z',
    last_active: '2023-06-22T22:59:55.489Z',
    avatar_type: 0,
    avatar_url: null,
  })
const email = (pk: number, address: string) =>
  entry('email', pk, { email: address, date_added: '2023-06-22T22:59:55.531Z' })
const userEmail = (
  pk: number,
  userPk: number,
  address: string,
  fields: Record<string, unknown> = {},
) =>
  entry('useremail', pk, {
    user: userPk,
    email: address,
    validation_hash: 'ABC123',
    date_hash_added: '2023-06-22T22:59:55.521Z',
    is_verified: false,
    ...fields,
  })
const userOption = (pk: number, key: string, value: string) =>
  entry('useroption', pk, { user: 1, project_id: null, organization_id: null, key, value })

describe('validate: Sentry’s cases (spec §7.6)', () => {
  it('#1 good_ignore_differing_pks: finds nothing for equal rows', () => {
    expect(run([withPk(integration, 2)], [withPk(integration, 2)])).toEqual([])
  })

  it('#2 bad_duplicate_entry: reports the repeated pk on each side', () => {
    const rows = [withPk(integration, 1), withPk(integration, 1)]
    expectFindings(run(rows, rows), [
      {
        kind: 'UnorderedInput',
        on: { model: 'sentry.integration', ordinal: 2 },
        left_pk: 1,
        right_pk: null,
        reason: ['`pk` 1 is less than or equal to 1'],
      },
      {
        kind: 'UnorderedInput',
        on: { model: 'sentry.integration', ordinal: 2 },
        left_pk: null,
        right_pk: 1,
      },
    ])
  })

  it('#3 bad_out_of_order_entry: reports the pk out of order on each side', () => {
    const rows = [withPk(integration, 1), withPk(integration, 3), withPk(integration, 2)]
    expectFindings(run(rows, rows), [
      {
        kind: 'UnorderedInput',
        on: { model: 'sentry.integration', ordinal: 3 },
        left_pk: 2,
        right_pk: null,
        reason: ['`pk` 2 is less than or equal to 3'],
      },
      {
        kind: 'UnorderedInput',
        on: { model: 'sentry.integration', ordinal: 3 },
        left_pk: null,
        right_pk: 2,
      },
    ])
  })

  it('#4 bad_extra_left_entry: reports unequal counts and stops', () => {
    expectFindings(
      run([withPk(integration, 1), withPk(integration, 2)], [withPk(integration, 1)]),
      [
        {
          kind: 'UnequalCounts',
          on: { model: 'sentry.integration', ordinal: null },
          left_pk: null,
          right_pk: null,
          reason: ['2 left', '1 right'],
        },
      ],
    )
  })

  it('#5 bad_extra_right_entry: reports unequal counts and stops', () => {
    expectFindings(
      run([withPk(integration, 1)], [withPk(integration, 1), withPk(integration, 2)]),
      [
        {
          kind: 'UnequalCounts',
          on: { model: 'sentry.integration', ordinal: null },
          left_pk: null,
          right_pk: null,
          reason: ['1 left', '2 right'],
        },
      ],
    )
  })

  it('#6 bad_failing_comparator_field: reports a date_updated that went back', () => {
    const found = run(
      [option, userRole({ date_updated: '2023-06-22T23:00:00.456Z' })],
      [option, userRole({ date_updated: '2023-06-22T23:00:00.123Z' })],
    )
    expectFindings(found, [
      {
        kind: 'DateUpdatedComparator',
        on: { model: 'sentry.userrole', ordinal: 1 },
        left_pk: 1,
        right_pk: 1,
        reason: ['`date_updated`'],
      },
    ])
  })

  it('#7 good_both_sides_comparator_field_missing: finds nothing', () => {
    const role = userRole({})
    delete (role.fields as Record<string, unknown>).date_updated
    expect(run([role], [structuredClone(role)])).toEqual([])
  })

  it('#8 bad_left_side_comparator_field_missing: reports the left side', () => {
    const role = userRole({})
    delete (role.fields as Record<string, unknown>).date_updated
    expectFindings(run([role], [userRole({})]), [
      {
        kind: 'DateUpdatedComparatorExistenceCheck',
        on: { model: 'sentry.userrole', ordinal: 1 },
        left_pk: 1,
        right_pk: 1,
        reason: ['left `date_updated`'],
      },
    ])
  })

  it('#9 bad_right_side_comparator_field_missing: reports the right side', () => {
    const role = userRole({})
    delete (role.fields as Record<string, unknown>).date_updated
    expectFindings(run([userRole({})], [role]), [
      {
        kind: 'DateUpdatedComparatorExistenceCheck',
        on: { model: 'sentry.userrole', ordinal: 1 },
        left_pk: 1,
        right_pk: 1,
        reason: ['right `date_updated`'],
      },
    ])
  })

  it('#10 auto_assign_email_obfuscating: reports a changed address shortened, and no JSON diff', () => {
    expectFindings(run([email(1, 'testing@example.com')], [email(1, 'foo@example.fake')]), [
      {
        kind: 'EmailObfuscatingComparator',
        on: { model: 'sentry.email', ordinal: 1 },
        left_pk: 1,
        right_pk: 1,
        reason: ['`email`', 'left value ("t...@...le.com")', 'right value ("f...@...e.fake")'],
      },
    ])
  })

  it('#11 auto_assign_date_updated: accepts .000Z against Z and a later date_updated', () => {
    const found = run(
      [userRole({ date_added: '2023-06-22T22:54:27Z', date_updated: '2023-06-22T23:00:00.123Z' })],
      [
        userRole({
          date_added: '2023-06-22T22:54:27.000Z',
          date_updated: '2023-06-22T23:00:00.456Z',
        }),
      ],
    )
    expect(found).toEqual([])
  })

  it('#12 auto_assign_foreign_key: pairs foreign keys by what they point at', () => {
    const found = run(
      [user(12, 'testing@example.com'), userEmail(56, 12, 'testing@example.com')],
      [user(34, 'testing@example.com'), userEmail(78, 34, 'testing@example.com')],
    )
    expect(found).toEqual([])
  })

  it('#13 auto_assign_ignored: ignores a new validation hash and verification', () => {
    const found = run(
      [user(1, 'testing@example.com'), userEmail(1, 1, 'testing@example.com')],
      [
        user(1, 'testing@example.com'),
        userEmail(1, 1, 'testing@example.com', {
          validation_hash: 'DEF456',
          is_verified: true,
          date_hash_added: '2023-06-23T00:00:00.000Z',
        }),
      ],
    )
    expect(found).toEqual([])
  })

  it('#14 bad_missing_custom_ordinal: pairs e-mails by address, whatever their pks', () => {
    const found = run(
      [email(1, 'a@example.com'), email(2, 'b@example.com')],
      [email(1, 'c@example.com'), email(2, 'a@example.com')],
    )
    expectFindings(found, [
      {
        kind: 'EmailObfuscatingComparator',
        on: { model: 'sentry.email', ordinal: 2 },
        left_pk: 2,
        right_pk: 1,
        reason: ['b...@...le.com', 'c...@...le.com'],
      },
    ])
  })

  it('#15 bad_unequal_custom_ordinal: reports a changed value as a JSON diff', () => {
    const found = run(
      [withPk(option, 1, { value: '"1.2.3"' })],
      [withPk(option, 1, { value: '"4.5.6"' })],
    )
    expectFindings(found, [
      {
        kind: 'UnequalJSON',
        on: { model: 'sentry.option', ordinal: 1 },
        left_pk: 1,
        right_pk: 1,
        reason: ['-  "value": "\\"1.2.3\\""', '+  "value": "\\"4.5.6\\""'],
      },
    ])
  })

  it('#16 bad_duplicate_custom_ordinal: reports the repeated key on each side', () => {
    const rows = [withPk(option, 1), withPk(option, 2)]
    expectFindings(run(rows, rows), [
      {
        kind: 'DuplicateCustomOrdinal',
        on: { model: 'sentry.option', ordinal: null },
        left_pk: 2,
        right_pk: null,
        reason: ["custom ordinal value `('sentry:latest_version',)` appears multiple times"],
      },
      {
        kind: 'DuplicateCustomOrdinal',
        on: { model: 'sentry.option', ordinal: null },
        left_pk: null,
        right_pk: 2,
      },
    ])
  })

  it('#17 good_option_custom_ordinal: pairs options by key, whatever their pks', () => {
    const found = run(
      [withPk(option, 1, { key: 'foo' }), withPk(option, 2, { key: 'bar' })],
      [withPk(option, 1, { key: 'bar' }), withPk(option, 2, { key: 'foo' })],
    )
    expect(found).toEqual([])
  })

  it('#18 good_user_custom_ordinal: looks through user foreign keys to usernames', () => {
    const left = [
      user(12, 'someuser'),
      user(34, 'otheruser'),
      email(1, 'someuser'),
      email(2, 'otheruser'),
      userEmail(1, 12, 'someuser'),
      userEmail(2, 34, 'otheruser'),
    ]
    const right = [
      user(12, 'otheruser'),
      user(34, 'someuser'),
      email(1, 'otheruser'),
      email(2, 'someuser'),
      userEmail(1, 12, 'otheruser'),
      userEmail(2, 34, 'someuser'),
    ]
    expect(run(left, right)).toEqual([])
  })

  it('#19 good_user_option_custom_ordinal: pairs global user options by user and key', () => {
    const left = [user(1, 'someuser'), userOption(1, 'foo', '"a"'), userOption(2, 'bar', '"b"')]
    const right = [user(1, 'someuser'), userOption(2, 'bar', '"b"'), userOption(1, 'foo', '"a"')]
    expect(run(left, right)).toEqual([])
  })

  it('#20 good_user_option_duplicate_globals: the later duplicate wins, silently', () => {
    const left = [
      user(1, 'someuser'),
      userOption(3, 'foo', '"1"'),
      userOption(5, 'foo', '"2"'),
      userOption(8, 'bar', '"4"'),
    ]
    const right = [
      user(1, 'someuser'),
      userOption(11, 'foo', '"2"'),
      userOption(21, 'bar', '"3"'),
      userOption(22, 'bar', '"4"'),
    ]
    const result = validate(left, right, { registry: app.registry })
    expect(result.findings).toEqual([])
    expect(result.counts.models.find((m) => m.model === 'sentry.useroption')).toMatchObject({
      leftInstances: 2,
      rightInstances: 2,
    })
  })
})

describe('validate: beyond Sentry', () => {
  it('keeps custom ordinal keys apart that print alike: null, "null", a NUL-led string, 1 and "1"', () => {
    const keys = [null, 'null', '\u0000null', '\u0000', '', 1, '1', ['null'], { null: 1 }]
    const rows = (pkOf: (i: number) => number, changed: number) =>
      keys.map((key, i) => withPk(option, pkOf(i), { key, value: i === changed ? '"b"' : '"a"' }))
    // The right side lists the same keys under other pks; one value differs, on the key "null".
    const found = run(rows((i) => i + 1, -1), rows((i) => 20 - i, 1))
    expect(found.map(({ kind, left_pk, right_pk }) => ({ kind, left_pk, right_pk }))).toEqual([
      { kind: 'UnequalJSON', left_pk: 2, right_pk: 19 },
    ])
  })

  it('numbers custom ordinal keys by code point, as Python sorts them, astral characters last', () => {
    // By UTF-16 unit, as JavaScript's `<` orders, an astral character comes before U+FF61.
    const keys = ['\u{1F600}', 'b', '\uFF61', 'a\u{1F600}', 'a\uFF61', 'a']
    const rows = (changed: string | undefined) =>
      keys.map((key, i) => withPk(option, i + 1, { key, value: key === changed ? '"b"' : '"a"' }))
    const ordinalOf = (changed: string) =>
      run(rows(undefined), rows(changed)).map((f) => `${f.kind} ${f.on.ordinal}`)
    expect(ordinalOf('a')).toEqual(['UnequalJSON 1'])
    expect(ordinalOf('a\uFF61')).toEqual(['UnequalJSON 2'])
    expect(ordinalOf('a\u{1F600}')).toEqual(['UnequalJSON 3'])
    expect(ordinalOf('\uFF61')).toEqual(['UnequalJSON 5'])
    expect(ordinalOf('\u{1F600}')).toEqual(['UnequalJSON 6'])
  })

  it('looks through users listed in any pk order, or with a pk given twice', () => {
    const emails = (pkOf: (username: string) => number) =>
      ['ann', 'bob', 'cy'].map((name, i) => userEmail(i + 1, pkOf(name), name))
    const pkOf = (users: BackupEntry[]) => (name: string) =>
      users.findLast((u) => u.fields.username === name)!.pk
    const ascending = [user(1, 'ann'), user(2, 'bob'), user(3, 'cy')]
    const unordered = [user(3, 'cy'), user(1, 'ann'), user(2, 'bob')]
    expect(run([...ascending, ...emails(pkOf(ascending))], [...unordered, ...emails(pkOf(unordered))])).toEqual([])
    const repeated = [user(1, 'ann'), user(2, 'zed'), user(3, 'cy'), user(2, 'bob')]
    expect(run([...repeated, ...emails(pkOf(repeated))], [...repeated, ...emails(pkOf(repeated))])).toEqual([])
    // Bob's e-mail pointing at cy instead is seen, whatever the order the users came in.
    for (const users of [ascending, unordered, repeated]) {
      const right = emails(pkOf(users)).map((e, i) => (i === 1 ? { ...e, fields: { ...e.fields, user: pkOf(users)('cy') } } : e))
      const found = run([...users, ...emails(pkOf(users))], [...users, ...right])
      expect(found.map((f) => f.on.model)).toContain('sentry.useremail')
    }
  })

  it('lists structural findings in the order of the rows that gave them, duplicates found at close included', async () => {
    const rows = [
      withPk(option, 1, { key: 'a' }),
      withPk(integration, 1),
      withPk(option, 2, { key: 'a' }),
      withPk(integration, 3),
      withPk(integration, 2),
      withPk(option, 3, { key: 'b' }),
      withPk(option, 4, { key: 'a' }),
    ]
    const sideOf = (pks: readonly [number, number, number], side: 'left' | 'right') =>
      pks.map((pk, i) => ({
        kind: i === 1 ? 'UnorderedInput' : 'DuplicateCustomOrdinal',
        pk,
        side,
      }))
    const expected = [...sideOf([2, 2, 4], 'left'), ...sideOf([2, 2, 4], 'right')]
    const shape = (found: readonly ComparatorFinding[]) =>
      found.map(({ kind, left_pk, right_pk }) => ({
        kind,
        pk: left_pk ?? right_pk,
        side: left_pk === null ? 'right' : 'left',
      }))
    expect(shape(run(rows, rows))).toEqual(expected)
    const dir = await tempDir('rt-validate-order-')
    const file = path.join(dir, 'rows.json')
    await writeFile(file, JSON.stringify(rows, null, 2))
    const streamed = await validateBackups(file, file, { registry: app.registry })
    expect(shape(streamed.findings)).toEqual(expected)
  })

  it('reports datetime-millis.json against its export as one UnequalJSON on option 2 (spec §7.2)', async () => {
    const left = await readFixture('datetime-millis.json')
    const right = left.map((e) => ({
      ...e,
      fields: { ...e.fields, last_updated: '2023-06-22T00:00:00.000Z' },
    }))
    const found = run(left, right)
    expectFindings(found, [
      {
        kind: 'UnequalJSON',
        on: { model: 'sentry.option', ordinal: 2 },
        left_pk: 2,
        right_pk: 2,
        reason: [
          '-  "last_updated": "2023-06-22T00:00:00Z",',
          '+  "last_updated": "2023-06-22T00:00:00.000Z",',
        ],
      },
    ])
    expect(found[0]!.reason).toBe(
      [
        '',
        '--- \n',
        '+++ \n',
        '@@ -1,6 +1,6 @@\n',
        ' {',
        '   "key": "sentry:option-with-zeroed-millis",',
        '-  "last_updated": "2023-06-22T00:00:00Z",',
        '+  "last_updated": "2023-06-22T00:00:00.000Z",',
        '   "last_updated_by": "unknown",',
        '   "value": "\\"23.6.1\\""',
        ' }',
      ].join('\n    '),
    )
    expect(found[0]!.changes).toEqual([
      {
        path: ['last_updated'],
        kind: 'changed',
        left: '2023-06-22T00:00:00Z',
        right: '2023-06-22T00:00:00.000Z',
      },
    ])
  })

  it('gives UnequalJSON structured changes by path, nested values included, after scrubbing', () => {
    const key = (data: unknown, label: string) =>
      entry('projectkey', 1, {
        project: 1,
        label,
        public_key: 'c1373be35a7944808c8bcfede8097df1',
        secret_key: 'd4d14d244f8e48788673116ca7646c93',
        data,
      })
    const organization = entry('organization', 1, { name: 'o', slug: 'o' })
    const project = entry('project', 1, { name: 'p', organization: 1 })
    const found = run(
      [organization, project, key({ options: { hasReplay: true, list: [1, 2] } }, 'Default')],
      [
        organization,
        project,
        key({ options: { hasReplay: false, list: [1, 2, 3] }, extra: 1 }, 'Renamed'),
      ],
    )
    expect(found.map((f) => f.kind)).toEqual(['UnequalJSON'])
    expect(found[0]!.changes).toEqual([
      { path: ['data', 'extra'], kind: 'added', right: 1 },
      { path: ['data', 'options', 'hasReplay'], kind: 'changed', left: true, right: false },
      { path: ['data', 'options', 'list', 2], kind: 'added', right: 3 },
      { path: ['label'], kind: 'changed', left: 'Default', right: 'Renamed' },
    ])
  })

  it('counts instances, fields and scrubs per comparator, so ignored fields stay visible', () => {
    const result = validate([withPk(integration, 1)], [withPk(integration, 1)], {
      registry: app.registry,
    })
    expect(result.counts.models).toEqual([
      {
        model: 'sentry.integration',
        leftInstances: 1,
        rightInstances: 1,
        comparedInstances: 1,
        comparedFields: 6,
      },
    ])
    expect(result.counts.scrubbed).toEqual([
      {
        model: 'sentry.integration',
        comparator: 'DateUpdatedComparator',
        field: 'date_updated',
        instances: 1,
      },
      {
        model: 'sentry.integration',
        comparator: 'DatetimeEqualityComparator',
        field: 'date_added',
        instances: 1,
      },
    ])
  })

  it('shows a duplicated secret custom ordinal shortened (Sentry prints it in full)', () => {
    const relay = (pk: number) =>
      entry('relay', pk, {
        relay_id: '0123456789abcdef0123456789abcdef',
        public_key: 'key',
        first_seen: null,
        last_seen: null,
        is_internal: true,
      })
    const found = run([relay(1), relay(2)], [relay(1)])
    expect(found[0]!.reason).toBe("custom ordinal value `('012...def',)` appears multiple times")
    expect(JSON.stringify(found)).not.toContain('0123456789abcdef0123456789abcdef')
  })

  it('keeps secrets shortened in every finding: a key missing on one side, a malformed key', () => {
    const secret = 'd4d14d244f8e48788673116ca7646c93'
    const malformed = 'NOT-A-HEX-SECRET-d4d14d244f8e4878'
    const organization = entry('organization', 1, { name: 'o', slug: 'o' })
    const project = entry('project', 1, { name: 'p', organization: 1 })
    const key = (secretKey: string | null) =>
      entry('projectkey', 1, {
        project: 1,
        label: 'Default',
        public_key: 'c1373be35a7944808c8bcfede8097df1',
        secret_key: secretKey,
      })
    const missing = run([organization, project, key(secret)], [organization, project, key(null)])
    expect(missing.map((f) => [f.kind, f.reason])).toEqual([
      ['HashObfuscatingComparatorExistenceCheck', 'the right `secret_key` value was missing'],
      ['SecretHexComparatorExistenceCheck', 'the right `secret_key` value was missing'],
    ])
    const wrong = run([organization, project, key(secret)], [organization, project, key(malformed)])
    expect(wrong.map((f) => [f.kind, f.reason])).toEqual([
      [
        'HashObfuscatingComparator',
        'the left value ("d4d...c93") of `secret_key` was not equal to the right value ("NOT...878")',
      ],
      [
        'SecretHexComparator',
        'the right value ("NOT...878") of `secret_key` was not matched by this regex: ^[0-9a-f]{32}$',
      ],
    ])
    for (const text of [JSON.stringify(missing), JSON.stringify(wrong)]) {
      expect(text).not.toContain(secret)
      expect(text).not.toContain(malformed)
    }
  })

  it('ignores rows of deleted models and refuses unknown models', () => {
    const actor = { model: 'sentry.actor', pk: 1, fields: { type: 0 } }
    expect(run([actor, withPk(integration, 1)], [withPk(integration, 1)])).toEqual([])
    const error = (() => {
      try {
        run([{ model: 'sentry.nosuchmodel', pk: 7, fields: {} }], [])
      } catch (thrown) {
        return thrown as HarnessError
      }
    })()
    expect(error).toBeInstanceOf(HarnessError)
    expect(error!.code).toBe('BACKUP_INVALID')
    expect(error!.message).toBe(
      'left backup invalid: unknown model "sentry.nosuchmodel": the application has no such model (model sentry.nosuchmodel, pk 7). Compare backups of this application, or declare models it has removed in deletedModels',
    )
  })

  it('reports a comparator that throws as a bug, with model and ordinal', () => {
    const broken = defineComparator({
      name: 'BrokenComparator',
      fields: ['name'],
      compare: () => {
        throw new Error('boom')
      },
    })
    const comparators = new Map([['sentry.integration', [broken]]])
    const call = () =>
      validate([withPk(integration, 1)], [withPk(integration, 1)], {
        registry: app.registry,
        comparators,
      })
    expect(call).toThrow(HarnessError)
    expect(call).toThrow(
      'comparator failed: BrokenComparator.compare threw: boom (model sentry.integration, ordinal 1)',
    )
  })

  it('does not change its inputs', () => {
    const left = [user(1, 'a'), userEmail(1, 1, 'a')]
    const copy = structuredClone(left)
    run(left, structuredClone(left))
    expect(left).toEqual(copy)
  })

  it('streams files and names the side and position of broken JSON', async () => {
    const dir = await tempDir('rt-validate-')
    const good = path.join(dir, 'good.json')
    const bad = path.join(dir, 'bad.json')
    await writeFile(good, JSON.stringify([integration], null, 2))
    await writeFile(bad, '[\n  {"model": "sentry.integration", "pk": 1, "fields": {]}\n]')
    const result = await validateBackups(good, good, { registry: app.registry })
    expect(result.findings).toEqual([])
    await expect(validateBackups(good, bad, { registry: app.registry })).rejects.toMatchObject({
      code: 'BACKUP_INVALID',
      context: { side: 'right', line: 2, column: 55 },
    })
  })
})
