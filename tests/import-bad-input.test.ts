import { describe, expect, it } from 'vitest'
import { HarnessError } from '../harness/errors.ts'
import { importBackup } from '../harness/import/import-backup.ts'
import { readFile } from 'node:fs/promises'
import { writeTempBackup } from './support/backup-io.ts'
import { runCli } from './support/cli.ts'
import { databaseFingerprint, fixturePath, readFixture, type Entry } from './support/reference-app.ts'
import { cloneReferenceDatabase, useReferenceServer } from './support/shared-server.ts'

interface BadInput {
  readonly name: string
  /** The backup: entries, raw text, or a fixture name. */
  readonly backup: () => Promise<Entry[] | string>
  readonly code: 'IMPORT_FAILED' | 'BACKUP_INVALID'
  readonly kind?: string
  readonly message: RegExp
  readonly context?: Record<string, unknown>
}

const user = async () => (await readFixture('user-with-minimum-privileges.json')).find((e) => e.model === 'sentry.user')!
const option = async () => (await readFixture('single-option.json'))[0]!

const CASES: BadInput[] = [
  {
    name: 'malformed JSON, with line and column',
    backup: async () => '[\n  {"model": "sentry.option", "pk": 1,\n   "fields": {"key": "a" "value": 1}}\n]',
    code: 'BACKUP_INVALID',
    message: /^invalid JSON in .*backup\.json at line 3, column 26: /,
  },
  {
    name: 'an entry without fields',
    backup: async () => [{ model: 'sentry.option', pk: 1 } as unknown as Entry],
    code: 'IMPORT_FAILED',
    kind: 'DeserializationFailed',
    message: /the entry has no `fields` object \(entry 1 at line 2\)/,
  },
  {
    name: 'an unknown model',
    backup: async () => [{ model: 'sentry.nosuchmodel', pk: 7, fields: {} }],
    code: 'IMPORT_FAILED',
    kind: 'UnknownModel',
    message: /the model `sentry\.nosuchmodel` could not be found .*model sentry\.nosuchmodel, pk 7/,
    context: { model: 'sentry.nosuchmodel', pk: 7 },
  },
  {
    name: 'an unknown field (single-option.json with "invalid_field")',
    backup: async () => {
      const o = await option()
      return [{ ...o, fields: { ...o.fields, invalid_field: 'x' } }]
    },
    code: 'IMPORT_FAILED',
    kind: 'DeserializationFailed',
    message: /the field `invalid_field` is not a field of `sentry\.option` .*model sentry\.option, ordinal 1, pk 1, field invalid_field/,
    context: { model: 'sentry.option', ordinal: 1, pk: 1, field: 'invalid_field' },
  },
  {
    name: 'invalid-user.json (no username, an unknown field)',
    backup: async () => readFixture('invalid-user.json'),
    code: 'IMPORT_FAILED',
    kind: 'DeserializationFailed',
    message: /the field `doesnotexist` is not a field of `sentry\.user`/,
    context: { model: 'sentry.user', ordinal: 1, field: 'doesnotexist' },
  },
  {
    name: 'a value of the wrong type',
    backup: async () => {
      const u = await user()
      return [{ ...u, fields: { ...u.fields, is_staff: 'yes' } }]
    },
    code: 'IMPORT_FAILED',
    kind: 'ValidationError',
    message: /`is_staff` must be true or false, not "yes"/,
    context: { model: 'sentry.user', ordinal: 1, pk: 2, field: 'is_staff' },
  },
  {
    name: 'a value that is too long',
    backup: async () => {
      const u = await user()
      return [{ ...u, fields: { ...u.fields, username: 'x'.repeat(129) } }]
    },
    code: 'IMPORT_FAILED',
    kind: 'ValidationError',
    message: /`username` has 129 characters, more than the 128 allowed/,
    context: { model: 'sentry.user', field: 'username' },
  },
  {
    name: 'a null in a field that may not be null',
    backup: async () => {
      const o = await option()
      return [{ ...o, fields: { ...o.fields, key: null } }]
    },
    code: 'IMPORT_FAILED',
    kind: 'ValidationError',
    message: /`key` may not be null/,
    context: { model: 'sentry.option', field: 'key' },
  },
  {
    name: 'a unique violation',
    backup: async () => {
      const fresh = await readFixture('fresh-install.json')
      const projectOption = fresh.find((e) => e.model === 'sentry.projectoption')!
      const index = fresh.indexOf(projectOption)
      return [...fresh.slice(0, index + 1), { ...projectOption, pk: 999 }, ...fresh.slice(index + 1)]
    },
    code: 'IMPORT_FAILED',
    kind: 'IntegrityError',
    message: /duplicate key value violates unique constraint .*model sentry\.projectoption, ordinal 2, pk 999/,
    context: { model: 'sentry.projectoption', ordinal: 2, pk: 999 },
  },
  {
    name: 'a model whose rows are not contiguous',
    backup: async () => {
      const o = await option()
      const u = await user()
      return [o, u, { ...o, pk: 2, fields: { ...o.fields, key: 'other' } }]
    },
    code: 'IMPORT_FAILED',
    kind: 'NonContiguousModel',
    message: /rows of `sentry\.option` appear again at line \d+, after rows of other models/,
    context: { model: 'sentry.option', pk: 2 },
  },
]

describe('bad input is refused with a clear error, and the database is left as it was', () => {
  const shared = useReferenceServer()

  it.concurrent.each(CASES)('$name', async ({ backup, code, kind, message, context }) => {
    await using db = await cloneReferenceDatabase(shared.server)
    await importBackup({ application: shared.app, databaseUrl: db.url, source: fixturePath('fresh-install.json') })
    const before = await databaseFingerprint(db.url)
    const file = await writeTempBackup(await backup())
    // A Global import would empty the tables first: the rollback must undo that too.
    const error = await importBackup({ application: shared.app, databaseUrl: db.url, source: file }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(HarnessError)
    const harnessError = error as HarnessError
    expect(harnessError.code).toBe(code)
    if (kind) expect(harnessError.context.kind).toBe(kind)
    expect(harnessError.message).toMatch(message)
    expect(harnessError.message).toContain(file)
    if (context) expect(harnessError.context).toMatchObject(context)
    expect(await databaseFingerprint(db.url)).toBe(before)

    // The same through the CLI: exit 1, the error as the one finding, the database unchanged.
    const findings = `${file}.findings.json`
    const run = await runCli(['import', file, '--database-url', db.url, '--no-prompt', '--findings-file', findings])
    expect(run.code, run.stderr).toBe(1)
    const [finding] = JSON.parse(await readFile(findings, 'utf8')) as { finding: string; kind: string; on: { model: string } }[]
    expect(finding!.finding).toBe('RpcImportError')
    expect(finding!.kind).toBe(kind ?? 'DeserializationFailed')
    if (context?.model) expect(finding!.on.model).toBe(context.model)
    expect(await databaseFingerprint(db.url)).toBe(before)
  })

  it('refuses a database whose schema lacks the migrations, naming them', async () => {
    await using db = await shared.server.createDatabase()
    const error = (await importBackup({ application: shared.app, databaseUrl: db.url, source: fixturePath('single-option.json') }).catch((e: unknown) => e)) as HarnessError
    expect(error.code).toBe('IMPORT_FAILED')
    expect(error.context.kind).toBe('SchemaNotReady')
    expect(error.message).toMatch(/^import refused: the database schema is not the application's \(missing migrations \d{14}_init, \d{14}_environment_display_name\)/)
    expect(error.message).toContain('roundtrip migrate')
  })
})
