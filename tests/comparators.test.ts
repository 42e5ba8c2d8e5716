/**
 * Sentry's comparator conformance cases (spec §7.5, `test_comparators.py`), one table per
 * comparator, run through the same helper comparator authors use. Case numbers are the spec's;
 * case 70, the default map, is in default-comparators.test.ts.
 */
import { describe, expect, it } from 'vitest'
import {
  autoSuffix,
  dateUpdated,
  datetimeEquality,
  emailObfuscating,
  equalOrRemoved,
  foreignKey,
  hashObfuscating,
  ignored,
  primaryKeyOrdinals,
  regexComparator,
  SCRUBBED,
  secretHex,
  subscriptionId,
  unorderedList,
  userPasswordObfuscating,
  uuid4,
  type ComparedRow,
} from '../comparators/index.ts'
import { tableTestComparator, type ComparatorCase } from '../comparators/testing.ts'
import { COMPARATOR_FINDING_KINDS } from '../harness/findings/comparator-findings.ts'

/** Sentry's `InstanceID("sentry.test", 0)`; rows have pk 1 on both sides. */
const ON = { model: 'sentry.test', ordinal: 0 }
const DATE = '2023-06-22T23:12:34.567Z'

describe('generic existence checks (#1–#6)', () => {
  const missing = (side: 'left' | 'right') => [
    { kind: 'DateUpdatedComparatorExistenceCheck' as const, reason: [side, 'my_date_field'] },
  ]
  tableTestComparator(
    dateUpdated('my_date_field'),
    [
      {
        name: '#1 both sides present: no finding',
        left: { my_date_field: DATE },
        right: { my_date_field: DATE },
        existence: [],
      },
      { name: '#2 both sides absent: no finding', left: {}, right: {}, existence: [] },
      {
        name: '#3 absent on the left: "left"',
        left: {},
        right: { my_date_field: DATE },
        existence: missing('left'),
      },
      {
        name: '#3 absent on the right: "right"',
        left: { my_date_field: DATE },
        right: {},
        existence: missing('right'),
      },
      {
        name: '#4 null on both sides: no finding',
        left: { my_date_field: null },
        right: { my_date_field: null },
        existence: [],
      },
      {
        name: '#5 null on the left: "left"',
        left: { my_date_field: null },
        right: { my_date_field: DATE },
        existence: missing('left'),
      },
      {
        name: '#5 null on the right: "right"',
        left: { my_date_field: DATE },
        right: { my_date_field: null },
        existence: missing('right'),
      },
      {
        name: '#6 null against absent: no finding',
        left: { my_date_field: null },
        right: {},
        existence: [],
      },
      {
        name: '#6 absent against null: no finding',
        left: {},
        right: { my_date_field: null },
        existence: [],
      },
    ],
    { on: ON, title: 'DateUpdatedComparator existence' },
  )
})

describe('AutoSuffixComparator (#7–#10)', () => {
  const left = { same: 'foo-bar', suffixed: 'foo-bar' }
  const right = { same: 'foo-bar', suffixed: 'foo-bar-baz' }
  tableTestComparator(
    autoSuffix('same', 'suffixed'),
    [
      { name: '#7 accepts an equal value and a dashed suffix', left, right, compare: [] },
      {
        name: '#8 reports an unequal value and a suffix without a dash, in field order',
        left,
        right: { same: 'unequal', suffixed: 'foo-barbaz' },
        compare: [
          { kind: 'AutoSuffixComparator', reason: ['`same`', 'foo-bar', 'unequal'] },
          { kind: 'AutoSuffixComparator', reason: ['`suffixed`', 'foo-bar', 'foo-barbaz'] },
        ],
      },
      {
        name: '#10 scrubs both fields with the marker',
        left,
        right,
        scrubbed: {
          left: {
            'AutoSuffixComparator::same': SCRUBBED,
            'AutoSuffixComparator::suffixed': SCRUBBED,
          },
          right: {
            'AutoSuffixComparator::same': SCRUBBED,
            'AutoSuffixComparator::suffixed': SCRUBBED,
          },
        },
      },
    ],
    { on: ON },
  )
  tableTestComparator(
    autoSuffix('auto_suffix_field'),
    [
      {
        name: '#9 reports a value missing on the left',
        left: {},
        right: { auto_suffix_field: 'foo' },
        existence: [
          { kind: 'AutoSuffixComparatorExistenceCheck', reason: ['left', '`auto_suffix_field`'] },
        ],
      },
    ],
    { on: ON, title: 'AutoSuffixComparator existence' },
  )
})

describe('DatetimeEqualityComparator and DateUpdatedComparator (#11–#14)', () => {
  tableTestComparator(
    datetimeEquality('my_date_field'),
    [
      {
        name: '#11 accepts the same instant',
        left: { my_date_field: '2023-06-22T23:00:00.123Z' },
        right: { my_date_field: '2023-06-22T23:00:00.123Z' },
        compare: [],
      },
      {
        name: '#12 reports different instants with both values',
        left: { my_date_field: '2023-06-22T00:00:00.000Z' },
        right: { my_date_field: '2023-06-22T00:00:00.123Z' },
        compare: [
          {
            kind: 'DatetimeEqualityComparator',
            reason: [
              '`my_date_field`',
              'left value (2023-06-22T00:00:00.000Z)',
              'right value (2023-06-22T00:00:00.123Z)',
            ],
          },
        ],
      },
      {
        name: 'accepts the same instant written without milliseconds (spec §4.6)',
        left: { my_date_field: '2023-06-22T00:00:00Z' },
        right: { my_date_field: '2023-06-22T00:00:00.000Z' },
        compare: [],
      },
    ],
    { on: ON },
  )
  tableTestComparator(
    dateUpdated('my_date_field'),
    [
      {
        name: '#13 accepts equal values',
        left: { my_date_field: DATE },
        right: { my_date_field: DATE },
        compare: [],
      },
      {
        name: '#14 reports a right value earlier than the left',
        left: { my_date_field: '2023-06-22T23:12:34.567Z' },
        right: { my_date_field: '2023-06-22T23:00:00.001Z' },
        compare: [
          {
            kind: 'DateUpdatedComparator',
            reason: [
              '`my_date_field`',
              'left value (2023-06-22T23:12:34.567Z)',
              'right value (2023-06-22T23:00:00.001Z)',
            ],
          },
        ],
      },
    ],
    { on: ON },
  )
})

describe('EmailObfuscatingComparator (#15–#18)', () => {
  const left = {
    one_email: 'alpha@example.com',
    many_emails: ['bravo@example.com', 'charlie@example.com'],
  }
  const right = {
    one_email: 'alice@testing.com',
    many_emails: ['brian@testing.com', 'charlie@example.com'],
  }
  tableTestComparator(
    emailObfuscating('one_email', 'many_emails'),
    [
      {
        name: '#15 accepts identical values',
        left: { one_email: 'a@example.com', many_emails: ['b@example.com', 'c@example.com'] },
        right: { one_email: 'a@example.com', many_emails: ['b@example.com', 'c@example.com'] },
        compare: [],
      },
      {
        name: '#16 reports differences with shortened first elements, in field order',
        left,
        right,
        compare: [
          {
            kind: 'EmailObfuscatingComparator',
            reason: ['`many_emails`', 'b...@...le.com', 'b...@...ng.com'],
          },
          {
            kind: 'EmailObfuscatingComparator',
            reason: ['`one_email`', 'a...@...le.com', 'a...@...ng.com'],
          },
        ],
      },
      {
        name: '#18 scrubs to the shortened values, as lists',
        left,
        right,
        scrubbed: {
          left: {
            'EmailObfuscatingComparator::one_email': ['a...@...le.com'],
            'EmailObfuscatingComparator::many_emails': ['b...@...le.com', 'c...@...le.com'],
          },
          right: {
            'EmailObfuscatingComparator::one_email': ['a...@...ng.com'],
            'EmailObfuscatingComparator::many_emails': ['b...@...ng.com', 'c...@...le.com'],
          },
        },
      },
    ],
    { on: ON },
  )
  tableTestComparator(
    emailObfuscating('email_obfuscating_field'),
    [
      {
        name: '#17 reports a value missing on the left',
        left: {},
        right: { email_obfuscating_field: 'foo@example.fake' },
        existence: [{ kind: 'EmailObfuscatingComparatorExistenceCheck', reason: ['left'] }],
      },
    ],
    { on: ON, title: 'EmailObfuscatingComparator existence' },
  )
})

describe('EqualOrRemovedComparator (#19–#26)', () => {
  const missingLeft = [
    { kind: 'EqualOrRemovedComparatorExistenceCheck' as const, reason: ['left', 'my_field'] },
  ]
  tableTestComparator(
    equalOrRemoved('my_field'),
    [
      {
        name: '#19 accepts equal values',
        left: { my_field: 'foo' },
        right: { my_field: 'foo' },
        existence: [],
        compare: [],
      },
      {
        name: '#20 reports unequal values',
        left: { my_field: 'foo' },
        right: { my_field: 'bar' },
        existence: [],
        compare: [{ kind: 'EqualOrRemovedComparator', reason: ['my_field', 'foo', 'bar'] }],
      },
      { name: '#21 accepts absence on both sides', left: {}, right: {}, existence: [] },
      {
        name: '#22 accepts a value removed on the right',
        left: { my_field: 'foo' },
        right: {},
        existence: [],
        compare: [],
      },
      {
        name: '#23 reports a value that appears on the right',
        left: {},
        right: { my_field: 'foo' },
        existence: missingLeft,
      },
      {
        name: '#24 accepts null on both sides',
        left: { my_field: null },
        right: { my_field: null },
        existence: [],
      },
      {
        name: '#25 accepts a value nulled on the right',
        left: { my_field: 'foo' },
        right: { my_field: null },
        existence: [],
        compare: [],
      },
      {
        name: '#26 reports a value that replaces null on the right',
        left: { my_field: null },
        right: { my_field: 'foo' },
        existence: missingLeft,
      },
    ],
    { on: ON },
  )
})

describe('HashObfuscatingComparator (#27–#30)', () => {
  const left = { one_hash: '1239fe0ab0afc39b', many_hashes: ['190dae4e', '1234'] }
  const right = { one_hash: '1249fe0ab0afc39c', many_hashes: ['290dae4f', '1234'] }
  tableTestComparator(
    hashObfuscating('one_hash', 'many_hashes'),
    [
      { name: '#27 accepts identical values', left, right: left, compare: [] },
      {
        name: '#28 reports differences with shortened first elements, in field order',
        left,
        right,
        compare: [
          { kind: 'HashObfuscatingComparator', reason: ['`many_hashes`', '1...e', '2...f'] },
          { kind: 'HashObfuscatingComparator', reason: ['`one_hash`', '123...39b', '124...39c'] },
        ],
      },
      {
        name: '#30 scrubs to the shortened values, as lists',
        left,
        right,
        scrubbed: {
          left: {
            'HashObfuscatingComparator::one_hash': ['123...39b'],
            'HashObfuscatingComparator::many_hashes': ['1...e', '...'],
          },
          right: {
            'HashObfuscatingComparator::one_hash': ['124...39c'],
            'HashObfuscatingComparator::many_hashes': ['2...f', '...'],
          },
        },
      },
    ],
    { on: ON },
  )
  tableTestComparator(
    hashObfuscating('hash_obfuscating_field'),
    [
      {
        name: '#29 reports a value missing on the left',
        left: {},
        right: { hash_obfuscating_field: 'foo' },
        existence: [{ kind: 'HashObfuscatingComparatorExistenceCheck', reason: ['left'] }],
      },
    ],
    { on: ON, title: 'HashObfuscatingComparator existence' },
  )
})

describe('ForeignKeyComparator (#31–#36)', () => {
  const userEmail = (user: number | undefined) => ({
    ...(user === undefined ? {} : { user }),
    email: 'testing@example.com',
    validation_hash: 'ABC123',
    date_hash_added: '2023-06-23T00:00:00.000Z',
    is_verified: true,
  })
  const maps = (left: Record<string, number>, right: Record<string, number>) => ({
    leftPks: primaryKeyOrdinals({ 'sentry.user': left }),
    rightPks: primaryKeyOrdinals({ 'sentry.user': right }),
  })
  tableTestComparator(
    foreignKey({ user: 'sentry.user' }),
    [
      {
        name: '#31 accepts different pks of the same instance',
        left: userEmail(12),
        right: userEmail(34),
        context: maps({ 12: 1 }, { 34: 1 }),
        compare: [],
      },
      {
        name: '#32 reports a foreign key missing on the left',
        left: userEmail(undefined),
        right: userEmail(12),
        existence: [{ kind: 'ForeignKeyComparatorExistenceCheck', reason: ['left', '`user`'] }],
      },
      {
        name: '#33 scrubs the foreign key with the marker',
        left: userEmail(12),
        right: userEmail(34),
        scrubbed: {
          left: { 'ForeignKeyComparator::user': SCRUBBED },
          right: { 'ForeignKeyComparator::user': SCRUBBED },
        },
      },
      {
        name: '#34 refuses to compare without the pk maps',
        left: userEmail(12),
        right: userEmail(34),
        compareThrows: 'compare was called without the primary-key maps',
      },
      {
        name: '#35 reports foreign keys to different instances',
        left: userEmail(12),
        right: userEmail(34),
        context: maps({ 12: 1 }, { 34: 2 }),
        compare: [
          {
            kind: 'ForeignKeyComparator',
            reason: ['`user`', 'left foreign key ordinal (1)', 'right foreign key ordinal (2)'],
          },
        ],
      },
      {
        name: '#36 reports both unresolvable foreign keys',
        left: userEmail(12),
        right: userEmail(34),
        context: maps({}, {}),
        compare: [
          { kind: 'ForeignKeyComparator', reason: ['left foreign key ordinal', 'pk `12`'] },
          { kind: 'ForeignKeyComparator', reason: ['right foreign key ordinal', 'pk `34`'] },
        ],
      },
    ],
    { on: { model: 'sentry.useremail', ordinal: 0 } },
  )
})

describe('IgnoredComparator (#37–#39)', () => {
  tableTestComparator(
    ignored('ignored_field'),
    [
      {
        name: '#37 compares nothing',
        left: { ignored_field: 'foo', other_field: 'bar' },
        right: { ignored_field: 'baz', other_field: 'bar' },
        compare: [],
      },
      {
        name: '#38 never reports a missing value',
        left: { other_field: 'bar' },
        right: { ignored_field: 'foo', other_field: 'bar' },
        existence: [],
      },
      {
        name: '#39 scrubs only its own field',
        left: { ignored_field: 'foo', other_field: 'bar' },
        right: { ignored_field: 'baz', other_field: 'bar' },
        scrubbed: {
          left: { 'IgnoredComparator::ignored_field': SCRUBBED },
          right: { 'IgnoredComparator::ignored_field': SCRUBBED },
        },
      },
    ],
    { on: ON },
  )
})

describe('SecretHexComparator (#40–#42)', () => {
  tableTestComparator(
    secretHex(8, 'equal', 'unequal'),
    [
      {
        name: '#40 accepts well-formed values, equal or not',
        left: { equal: '3e04f551c7219550', unequal: '3e04f551c7219550' },
        right: { equal: '3e04f551c7219550', unequal: '50a7e2c7e3ca35fc' },
        compare: [],
      },
    ],
    { on: ON },
  )
  tableTestComparator(
    secretHex(8, 'same', 'invalid_left', 'invalid_right'),
    [
      {
        name: '#41 reports malformed values on each side, in field order',
        left: { same: '3e04f551c7219550', invalid_left: 'foo', invalid_right: '50a7e2c7e3ca35fc' },
        right: { same: '3e04f551c7219550', invalid_left: '50a7e2c7e3ca35fc', invalid_right: 'bar' },
        compare: [
          { kind: 'SecretHexComparator', reason: ['`invalid_left`', 'left', 'regex', 'foo'] },
          { kind: 'SecretHexComparator', reason: ['`invalid_right`', 'right', 'regex', 'bar'] },
        ],
      },
    ],
    { on: ON, title: 'SecretHexComparator malformed values' },
  )
  tableTestComparator(
    secretHex(8, 'secret_hex_field'),
    [
      {
        name: '#42 scrubs with the marker',
        left: { secret_hex_field: '3e04f551c7219550' },
        right: { secret_hex_field: '50a7e2c7e3ca35fc' },
        scrubbed: {
          left: { 'SecretHexComparator::secret_hex_field': SCRUBBED },
          right: { 'SecretHexComparator::secret_hex_field': SCRUBBED },
        },
      },
    ],
    { on: ON, title: 'SecretHexComparator scrub' },
  )
})

describe('SubscriptionIDComparator (#43–#46)', () => {
  const id = '0/12363aae153911eeac590242ac130004'
  tableTestComparator(
    subscriptionId('subscription_id_field'),
    [
      {
        name: '#43 accepts two different well-formed ids',
        left: { subscription_id_field: id },
        right: { subscription_id_field: '0/45663aae153911eeac590242acabc123' },
        compare: [],
      },
      {
        name: '#45 reports a value missing on the left',
        left: {},
        right: { subscription_id_field: id },
        existence: [{ kind: 'SubscriptionIDComparatorExistenceCheck', reason: ['left'] }],
      },
      {
        name: '#46 scrubs with the marker',
        left: { subscription_id_field: id },
        right: { subscription_id_field: '0/45663aae153911eeac590242acabc123' },
        scrubbed: {
          left: { 'SubscriptionIDComparator::subscription_id_field': SCRUBBED },
          right: { 'SubscriptionIDComparator::subscription_id_field': SCRUBBED },
        },
      },
    ],
    { on: ON },
  )
  tableTestComparator(
    subscriptionId('same', 'invalid_left', 'invalid_right'),
    [
      {
        name: '#44 reports an unchanged id first, then malformed ids',
        left: { same: id, invalid_left: '12363aae153911eeac590242ac130004', invalid_right: id },
        right: { same: id, invalid_left: id, invalid_right: '0/foobar' },
        compare: [
          { kind: 'SubscriptionIDComparator', reason: ['`same`', 'equal', id] },
          {
            kind: 'SubscriptionIDComparator',
            reason: ['`invalid_left`', 'left', 'regex', '12363aae153911eeac590242ac130004'],
          },
          {
            kind: 'SubscriptionIDComparator',
            reason: ['`invalid_right`', 'right', 'regex', '0/foobar'],
          },
        ],
      },
    ],
    { on: ON, title: 'SubscriptionIDComparator failures' },
  )
})

describe('UnorderedListComparator (#47–#50)', () => {
  tableTestComparator(
    unorderedList('ordered', 'unordered'),
    [
      {
        name: '#47 accepts the same items in any order',
        left: { ordered: ['a', 'b', 'c'], unordered: ['b', 'a', 'c'] },
        right: { ordered: ['a', 'b', 'c'], unordered: ['c', 'b', 'a'] },
        compare: [],
      },
    ],
    { on: ON },
  )
  tableTestComparator(
    unorderedList('unequal'),
    [
      {
        name: '#48 reports different items, in Python list notation',
        left: { unequal: ['b', 'a'] },
        right: { unequal: ['a', 'b', 'c'] },
        compare: [
          {
            kind: 'UnorderedListComparator',
            reason: ['`unequal`', 'not equal', "['b', 'a']", "['a', 'b', 'c']"],
          },
        ],
      },
      {
        name: '#49 reports a value missing on the left',
        left: {},
        right: { unequal: ['a'] },
        existence: [{ kind: 'UnorderedListComparatorExistenceCheck', reason: ['left'] }],
      },
      {
        name: '#50 scrubs with the marker',
        left: { unequal: ['b', 'a'] },
        right: { unequal: ['a', 'b'] },
        scrubbed: {
          left: { 'UnorderedListComparator::unequal': SCRUBBED },
          right: { 'UnorderedListComparator::unequal': SCRUBBED },
        },
      },
    ],
    { on: ON, title: 'UnorderedListComparator failures' },
  )
})

describe('UUID4Comparator (#51–#53)', () => {
  const uuid = '4c79eea3-8a71-4b99-b291-1f6a906fbb47'
  tableTestComparator(
    uuid4('guid_field'),
    [
      {
        name: '#51 accepts two different v4 UUIDs',
        left: { guid_field: uuid },
        right: { guid_field: 'bb41a040-b413-4b89-aa03-179470d9ee05' },
        compare: [],
      },
      {
        name: '#53 scrubs with the marker',
        left: { guid_field: uuid },
        right: { guid_field: 'bb41a040-b413-4b89-aa03-179470d9ee05' },
        scrubbed: {
          left: { 'UUID4Comparator::guid_field': SCRUBBED },
          right: { 'UUID4Comparator::guid_field': SCRUBBED },
        },
      },
    ],
    { on: ON },
  )
  tableTestComparator(
    uuid4('same', 'invalid_left', 'invalid_right'),
    [
      {
        name: '#52 reports an unchanged UUID first, then malformed ones',
        left: { same: uuid, invalid_left: 'foo', invalid_right: uuid },
        right: { same: uuid, invalid_left: uuid, invalid_right: 'bar' },
        compare: [
          { kind: 'UUID4Comparator', reason: ['`same`', 'equal', uuid] },
          { kind: 'UUID4Comparator', reason: ['`invalid_left`', 'left', 'regex', 'foo'] },
          { kind: 'UUID4Comparator', reason: ['`invalid_right`', 'right', 'regex', 'bar'] },
        ],
      },
    ],
    { on: ON, title: 'UUID4Comparator failures' },
  )
})

describe('UserPasswordObfuscatingComparator (#54–#69)', () => {
  const P1 =
    'pbkdf2_sha256$260000$3v4Cyy3TAhp14YCB8Zh7Gq$SjB35BELrwwfOCaiz8O/SdbvhXq+l02BRpKtwxOCTiw='
  const P2 =
    'pbkdf2_sha256$260000$HabqnqSUf1q5nKLC24gRMF$tEH6ZbeBSx21Pk8DJO2w5+/NiEI77N2MS3D6QF+Qayg='
  const P1_SHORT = 'pbkdf2_sha25...OCTiw='
  const P2_SHORT = 'pbkdf2_sha25...+Qayg='
  const JUNE = '2023-06-23T00:00:00.000Z'
  const JULY = '2023-07-23T00:00:00.000Z'
  const user = (fields: Record<string, unknown>) => ({
    password: P1,
    last_password_change: null,
    is_unclaimed: false,
    is_password_expired: false,
    ...fields,
  })
  const claimedExpired = user({ is_password_expired: true })
  const claimedBare = { password: P1, is_unclaimed: false }
  const NAME = 'UserPasswordObfuscatingComparator' as const
  const cases: ComparatorCase[] = [
    {
      name: '#54 accepts a claimed user compared with itself',
      left: user({}),
      right: user({}),
      compare: [],
    },
    ...[
      [claimedExpired, claimedBare],
      [claimedBare, claimedExpired],
      [claimedExpired, claimedExpired],
      [claimedBare, claimedBare],
    ].map(([left, right], index) => ({
      name: `#55 accepts a claimed user with or without null and expiry keys (pairing ${index + 1})`,
      left: left!,
      right: right!,
      compare: [],
    })),
    {
      name: '#56 accepts a claimed user who became unclaimed with a new password',
      left: user({ last_password_change: JUNE, is_password_expired: true }),
      right: user({ password: P2, is_unclaimed: true, last_password_change: JULY }),
      compare: [],
    },
    {
      name: '#57 accepts the same with no previous password change',
      left: user({ is_password_expired: true }),
      right: user({ password: P2, is_unclaimed: true, last_password_change: JULY }),
      compare: [],
    },
    {
      name: '#58 accepts an unclaimed user whose password was rotated',
      left: user({ is_unclaimed: true, last_password_change: JUNE }),
      right: user({ password: P2, is_unclaimed: true, last_password_change: JUNE }),
      compare: [],
    },
    {
      name: '#59 reports a changed password of a claimed user, shortened',
      left: user({}),
      right: { password: P2, last_password_change: null, is_password_expired: false },
      compare: [{ kind: NAME, reason: ['`password`', P1_SHORT, P2_SHORT] }],
    },
    {
      name: '#60 reports a password kept for a user who became unclaimed',
      left: { password: P1, last_password_change: null, is_password_expired: false },
      right: user({ is_unclaimed: true }),
      compare: [{ kind: NAME, reason: ['`password`', P1_SHORT, P1_SHORT] }],
    },
    {
      name: '#61 reports a password kept for an unclaimed user',
      left: user({ is_unclaimed: true }),
      right: user({ is_unclaimed: true }),
      compare: [{ kind: NAME, reason: [P1_SHORT, P1_SHORT] }],
    },
    {
      name: '#62 reports a user who was claimed by the import, and nothing else',
      left: user({ is_unclaimed: true }),
      right: user({ is_unclaimed: false }),
      compare: [{ kind: NAME, reason: ['`is_unclaimed`', 'cannot claim'] }],
    },
    {
      name: '#63 reports a password change date that went back',
      left: user({ is_unclaimed: true, last_password_change: JUNE }),
      right: user({ password: P2, is_unclaimed: true, last_password_change: null }),
      compare: [{ kind: NAME, reason: ['`last_password_change`', 'less than'] }],
    },
    {
      name: '#64 reports an unclaimed user whose password expired',
      left: user({ is_unclaimed: true }),
      right: user({ password: P2, is_unclaimed: true, is_password_expired: true }),
      compare: [{ kind: NAME, reason: ['`is_password_expired`'] }],
    },
    {
      name: '#65 reports an expired password of an unclaimed user even when it was expired before',
      left: user({ is_unclaimed: true, is_password_expired: true }),
      right: user({ password: P2, is_unclaimed: true, is_password_expired: true }),
      compare: [{ kind: NAME, reason: ['`is_password_expired`', 'False'] }],
    },
    {
      name: '#66 reports a password missing on the left',
      left: {},
      right: { password: P1 },
      existence: [
        { kind: 'UserPasswordObfuscatingComparatorExistenceCheck', reason: ['left', '`password`'] },
      ],
    },
    {
      name: '#67 scrubs long hashes to their prefix and six last characters',
      left: { password: P1 },
      right: { password: P2 },
      scrubbed: {
        left: { [`${NAME}::password`]: [P1_SHORT] },
        right: { [`${NAME}::password`]: [P2_SHORT] },
      },
    },
    {
      name: '#68 scrubs medium hashes to six and four characters',
      left: { password: 'sha1$abc123$a0aac0d9559f1e7f4b6931f3918e72ad8ec01c04' },
      right: { password: 'sha1$abc123$1e3c01a9c0b08c3579b50eaf19bf144fa4324d4d' },
      scrubbed: {
        left: { [`${NAME}::password`]: ['sha1$a...1c04'] },
        right: { [`${NAME}::password`]: ['sha1$a...4d4d'] },
      },
    },
    {
      name: '#69 scrubs short hashes to nothing',
      left: { password: 'md5$abc$d2315d2c3883695e40598e56792847ab' },
      right: { password: 'md5$abc$a2315d2c3883695e40598e56792847ab' },
      scrubbed: {
        left: { [`${NAME}::password`]: ['...'] },
        right: { [`${NAME}::password`]: ['...'] },
      },
    },
  ]
  tableTestComparator(userPasswordObfuscating(), cases, { on: ON })

  it('never shows a password in full, in any finding', () => {
    const comparator = userPasswordObfuscating()
    const row = (fields: Readonly<Record<string, unknown>>, pk: number): ComparedRow => ({
      model: 'sentry.user',
      pk,
      ordinal: 1,
      fields: { ...fields },
      scrubbed: {},
    })
    const texts = cases.flatMap(({ left, right }) => {
      const pair = [row(left, 1), row(right, 2)] as const
      return [...comparator.existence(ON, ...pair), ...comparator.compare(ON, ...pair)].map(
        (f) => f.reason,
      )
    })
    expect(texts.length).toBeGreaterThan(5)
    for (const text of texts) {
      expect(text).not.toContain(P1)
      expect(text).not.toContain(P2)
    }
  })
})

describe('finding kinds', () => {
  it('lists Sentry’s 30 kinds, each built-in comparator with its existence check but Ignored', () => {
    expect(COMPARATOR_FINDING_KINDS).toHaveLength(30)
    expect(COMPARATOR_FINDING_KINDS.slice(0, 5)).toEqual([
      'Unknown',
      'UnorderedInput',
      'DuplicateCustomOrdinal',
      'UnequalCounts',
      'UnequalJSON',
    ])
    expect(COMPARATOR_FINDING_KINDS).not.toContain('IgnoredComparatorExistenceCheck')
  })
})

describe('regex checks of equal values', () => {
  const row = (value: unknown): ComparedRow => ({
    model: 'sentry.test',
    pk: 1,
    ordinal: 1,
    fields: { key: value },
    scrubbed: {},
  })
  const reasons = (pattern: RegExp, left: unknown, right: unknown) =>
    regexComparator({ name: 'SecretHexComparator', fields: ['key'], pattern })
      .compare(ON, row(left), row(right))
      .map((f) => f.reason.split(' value')[0])

  it('judges the right value on its own even where it equals the left one', () => {
    expect(reasons(/^[0-9a-f]{4}$/, 'beef', 'beef')).toEqual([])
    expect(reasons(/^[0-9a-f]{4}$/, 'nope', 'nope')).toEqual(['the left', 'the right'])
    expect(reasons(/^[0-9a-f]{4}$/, 'beef', 'nope')).toEqual(['the right'])
    // A pattern with state (`g`) answers differently the second time: the right side is tested
    // again, as a check of each value alone would.
    const stateful = /^[0-9a-f]{4}$/g
    const alone = [stateful.test('beef'), stateful.test('beef')]
    expect(alone).toEqual([true, false])
    expect(reasons(/^[0-9a-f]{4}$/g, 'beef', 'beef')).toEqual(['the right'])
  })
})
