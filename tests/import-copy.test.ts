import { describe, expect, it } from 'vitest'
import { HarnessError } from '../harness/errors.ts'
import { importBackup } from '../harness/import/import-backup.ts'
import { writeTempBackup } from './support/backup-io.ts'
import { databaseFingerprint, fixturePath, query, readFixture, type Entry } from './support/reference-app.ts'
import { cloneReferenceDatabase, useReferenceServer } from './support/shared-server.ts'

// Rows go into the database with COPY … FROM STDIN in text format, a few rows per statement here
// (batchSize), so that several COPYs run and each value crosses the escaping.

/** Texts that mean something in COPY's text format, or that are easy to get wrong. */
const TRICKY = [
  'tab\there',
  'line\nbreak',
  'carriage\rreturn',
  'crlf\r\n',
  'back\\slash',
  '\\N',
  '\\\\N',
  '\\.',
  '\\',
  'ends with a backslash\\',
  '\\t is not a tab',
  '\t\n\r\\',
  'quotes " and \' and `',
  'Zoë 名前 🚀 e\u0301 \u200fRTL',
  '\u0001\u001f\u007f\u0085\u2028',
  '',
  ' ',
  'NULL',
  // Longer than any buffer on the way, with the special characters all through it.
  `${'x\t\\\n'.repeat(250_000)}end`,
]

const JSON_VALUES: unknown[] = [
  { tab: 'a\tb', newline: 'a\nb', backslash: 'a\\b', nullText: '\\N', nested: ['\\', '🚀', { r: '\r' }], none: null },
  '\\N',
  'a JSON string with "quotes", a\ttab and a \\ backslash',
  12.5,
  [1, 'x', true, null],
  false,
  'Ωmega 名前',
]

const userrole = (pk: number, fields: Record<string, unknown>): Entry => ({
  model: 'sentry.userrole',
  pk,
  fields: { date_updated: '2023-06-22T23:00:00.123Z', date_added: '2023-06-22T22:54:27.960Z', name: `role-${pk}`, permissions: '[]', ...fields },
})

describe('import through COPY', () => {
  const shared = useReferenceServer()

  it('stores texts with tabs, newlines, backslashes, \\N, Unicode and a megabyte exactly', async () => {
    await using db = await cloneReferenceDatabase(shared.server)
    const file = await writeTempBackup(TRICKY.map((permissions, i) => userrole(i + 1, { permissions })))
    await importBackup({ application: shared.app, databaseUrl: db.url, source: file, batchSize: 4 })
    const rows = await query<{ id: string; permissions: string }>(db.url, 'SELECT id, permissions FROM sentry_userrole ORDER BY id')
    expect(rows.map((r) => r.permissions)).toEqual(TRICKY)
  })

  it('keeps NULL apart from the texts "\\N", "NULL" and ""', async () => {
    await using db = await cloneReferenceDatabase(shared.server)
    const keys = [null, '\\N', 'NULL', '', '\\\\N', null]
    const entries = keys.map((public_key, i) => ({
      model: 'sentry.relayusage',
      pk: i + 1,
      fields: { relay_id: `relay-${i}`, version: '1.0', first_seen: '2023-06-22T23:07:12.275Z', last_seen: '2023-06-27T21:27:32.702Z', public_key },
    }))
    await importBackup({ application: shared.app, databaseUrl: db.url, source: await writeTempBackup(entries), batchSize: 4 })
    const rows = await query<{ public_key: string | null }>(db.url, 'SELECT public_key FROM sentry_relayusage ORDER BY id')
    expect(rows.map((r) => r.public_key)).toEqual(keys)
  })

  it('stores json values as their JSON text, and fills left-out columns with their defaults', async () => {
    await using db = await cloneReferenceDatabase(shared.server)
    const entries = JSON_VALUES.map((value, i) => ({
      model: 'sentry.option',
      pk: i + 1,
      // Every other row leaves last_updated_by out: one batch then has two column sets.
      fields: { key: `tricky-${i}`, last_updated: '2023-06-27T21:40:01.305Z', ...(i % 2 === 0 ? {} : { last_updated_by: `by\t${i}` }), value },
    }))
    await importBackup({ application: shared.app, databaseUrl: db.url, source: await writeTempBackup(entries), batchSize: 3 })
    const rows = await query<{ value: string; last_updated_by: string }>(db.url, 'SELECT value::text AS value, last_updated_by FROM sentry_option ORDER BY id')
    expect(rows.map((r) => JSON.parse(r.value) as unknown)).toEqual(JSON_VALUES)
    expect(rows.map((r) => r.value)).toEqual(JSON_VALUES.map((v) => JSON.stringify(v)))
    expect(rows.map((r) => r.last_updated_by)).toEqual(JSON_VALUES.map((_, i) => (i % 2 === 0 ? 'unknown' : `by\t${i}`)))
  })

  it('suffixes a username that differs only in case from one in an earlier batch, and leaves no index behind', async () => {
    await using db = await cloneReferenceDatabase(shared.server)
    const user = (await readFixture('user-with-minimum-privileges.json')).find((e) => e.model === 'sentry.user')!
    const users = ['Case_User', 'other', 'case_user'].map((username, i) => ({ ...user, pk: i + 1, fields: { ...user.fields, username } }))
    await importBackup({ application: shared.app, databaseUrl: db.url, source: await writeTempBackup(users), batchSize: 1 })
    const names = (await query<{ username: string }>(db.url, 'SELECT username FROM auth_user ORDER BY id')).map((r) => r.username)
    expect(names.slice(0, 2)).toEqual(['Case_User', 'other'])
    expect(names[2]).toMatch(/^case_user-[a-z0-9]{2}$/)
    expect(await query(db.url, "SELECT indexname FROM pg_indexes WHERE indexname LIKE 'rt_import%'")).toEqual([])
  })

  describe('names the row and field of a value the database refuses, in any COPY of the import', () => {
    const cases: { name: string; entries: Entry[]; kind: string; message: RegExp; context: Record<string, unknown> }[] = [
      {
        name: 'a pk used twice, in the third COPY',
        entries: [1, 2, 3, 4, 3, 6].map((pk, i) => userrole(pk, { name: `role-${i}` })),
        kind: 'IntegrityError',
        message: /duplicate key value violates unique constraint .*Key \(id\)=\(3\) already exists.*model sentry\.userrole, ordinal 5, pk 3\)/,
        context: { model: 'sentry.userrole', ordinal: 5, pk: 3 },
      },
      {
        name: 'a date that only the shared.server knows is not one',
        entries: [1, 2, 3, 4, 5].map((pk) => userrole(pk, pk === 4 ? { date_added: '2023-02-30T00:00:00.000Z' } : {})),
        kind: 'DatabaseError',
        message: /date\/time field value out of range.*model sentry\.userrole, ordinal 4, pk 4, field date_added\)/,
        context: { model: 'sentry.userrole', ordinal: 4, pk: 4, field: 'date_added' },
      },
      {
        name: 'a failed COPY of earlier rows before a bad value found while it ran',
        entries: [1, 2, 1, 4, 5, 6].map((pk, i) => userrole(pk, { name: i === 4 ? 5 : `role-${i}` })),
        kind: 'IntegrityError',
        message: /Key \(id\)=\(1\) already exists.*model sentry\.userrole, ordinal 3, pk 1\)/,
        context: { model: 'sentry.userrole', ordinal: 3, pk: 1 },
      },
    ]
    it.each(cases)('$name', async ({ entries, kind, message, context }) => {
      await using db = await cloneReferenceDatabase(shared.server)
      await importBackup({ application: shared.app, databaseUrl: db.url, source: fixturePath('fresh-install.json') })
      const before = await databaseFingerprint(db.url)
      const file = await writeTempBackup(entries)
      const error = await importBackup({ application: shared.app, databaseUrl: db.url, source: file, batchSize: 2 }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(HarnessError)
      const harnessError = error as HarnessError
      expect(harnessError.context.kind).toBe(kind)
      expect(harnessError.message).toMatch(message)
      expect(harnessError.message).toContain(file)
      expect(harnessError.context).toMatchObject(context)
      expect(await databaseFingerprint(db.url)).toBe(before)
    })
  })
})
