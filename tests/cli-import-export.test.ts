import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DatabaseServer } from '../harness/database/database-server.ts'
import { importBackup } from '../harness/import/import-backup.ts'
import { exportToString, writeTempBackup } from './support/backup-io.ts'
import { runCli, runCliOnTerminal } from './support/cli.ts'
import { databaseFingerprint, fixturePath, readFixture, referenceApplication, rowCounts } from './support/reference-app.ts'
import { cloneReferenceDatabase, connectSharedServer } from './support/shared-server.ts'
import { tempPath } from './support/temp.ts'

const tempFile = tempPath

describe('roundtrip import', () => {
  let server: DatabaseServer
  beforeAll(async () => {
    server = await connectSharedServer()
  })
  afterAll(() => server.dispose())

  it('imports, prints a per-model summary and writes [] as findings', async () => {
    await using db = await cloneReferenceDatabase(server)
    const findings = tempFile('findings.json')
    const run = await runCli(['import', fixturePath('fresh-install.json'), '--database-url', db.url, '--findings-file', findings])
    expect(run.code, run.stderr).toBe(0)
    expect(run.stderr).toMatch(/^sentry\.organization\s+1\s+1\s+0\s+0\s+0$/m)
    expect(run.stderr).toContain('imported 34 of 34 rows (Global scope)')
    expect(await readFile(findings, 'utf8')).toBe('[]')
  })

  it('exits 1 on an invalid field and writes the error as the one finding', async () => {
    await using db = await cloneReferenceDatabase(server)
    const option = (await readFixture('single-option.json'))[0]!
    const file = await writeTempBackup([{ ...option, fields: { ...option.fields, invalid_field: 1 } }])
    const findings = tempFile('findings.json')
    const run = await runCli(['import', file, '--database-url', db.url, '--findings-file', findings, '--no-prompt'])
    expect(run.code).toBe(1)
    const written = JSON.parse(await readFile(findings, 'utf8')) as Record<string, unknown>[]
    expect(written).toEqual([
      {
        finding: 'RpcImportError',
        kind: 'DeserializationFailed',
        left_pk: 1,
        on: { model: 'sentry.option', ordinal: 1 },
        reason: 'the field `invalid_field` is not a field of `sentry.option`',
        right_pk: null,
      },
    ])
    expect(run.stderr).toContain("RpcImportError(\n    kind: DeserializationFailed,\n    on: InstanceID(model: 'sentry.option', ordinal: 1),\n    left_pk: 1,")
  })

  it('prints the hint on an integrity error and exits 1', async () => {
    await using db = await cloneReferenceDatabase(server)
    const fresh = await readFixture('fresh-install.json')
    const projectOption = fresh.find((e) => e.model === 'sentry.projectoption')!
    const index = fresh.indexOf(projectOption)
    const file = await writeTempBackup([...fresh.slice(0, index + 1), { ...projectOption, pk: 999 }, ...fresh.slice(index + 1)])
    const run = await runCli(['import', file, '--database-url', db.url, '--no-prompt'])
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('IntegrityError')
    expect(run.stderr).toContain('Are you importing a backup of the same schema version into a clean database?')
  })

  it('exits 2 for a missing file, a missing URL, a bad scope or an unknown flag', async () => {
    const missing = await runCli(['import', '/no/such/file.json', '--database-url', 'postgres://x@127.0.0.1:1/x'])
    expect([missing.code, missing.stderr.trim()]).toEqual([2, 'roundtrip: backup file not found: /no/such/file.json. Check the path'])
    const noUrl = await runCli(['import', fixturePath('single-option.json')])
    expect(noUrl.code).toBe(2)
    expect(noUrl.stderr).toContain('import needs --database-url')
    const badScope = await runCli(['import', fixturePath('single-option.json'), '--scope', 'everything'])
    expect(badScope.code).toBe(2)
    expect(badScope.stderr).toContain("argument 'everything' is invalid. Allowed choices are user, organization, config, global")
    const unknown = await runCli(['import', fixturePath('single-option.json'), '--wipe-everything'])
    expect(unknown.code).toBe(2)
  })

  it('refuses to empty a database with data when no terminal can confirm', async () => {
    await using db = await cloneReferenceDatabase(server)
    await importBackup({ application: await referenceApplication(), databaseUrl: db.url, source: fixturePath('fresh-install.json') })
    const before = await databaseFingerprint(db.url)
    const run = await runCli(['import', fixturePath('single-option.json'), '--database-url', db.url])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('there is no terminal to confirm it on. Pass --no-prompt to confirm in advance')
    expect(await databaseFingerprint(db.url)).toBe(before)
  })

  it('asks on a terminal; declining imports nothing, says so and exits 0', async () => {
    await using db = await cloneReferenceDatabase(server)
    await importBackup({ application: await referenceApplication(), databaseUrl: db.url, source: fixturePath('fresh-install.json') })
    const before = await databaseFingerprint(db.url)
    const declined = await runCliOnTerminal(['import', fixturePath('single-option.json'), '--database-url', db.url], 'n\r')
    expect(declined.code).toBe(0)
    expect(declined.output).toContain('irrecoverably delete all existing data')
    expect(declined.output).toContain('Import cancelled.')
    expect(await databaseFingerprint(db.url)).toBe(before)

    const silent = await runCliOnTerminal(['import', fixturePath('single-option.json'), '--database-url', db.url, '--silent'], 'n\r')
    expect(silent.code).toBe(0)
    expect(silent.output).not.toContain('irrecoverably')
    expect(silent.output).not.toContain('Import cancelled.')
    expect(await databaseFingerprint(db.url)).toBe(before)

    const accepted = await runCliOnTerminal(['import', fixturePath('single-option.json'), '--database-url', db.url], 'y\r')
    expect(accepted.code).toBe(0)
    expect((await rowCounts(db.url))['sentry.user']).toBe(0)
    expect((await rowCounts(db.url))['sentry.option']).toBe(1)
  })
})

describe('roundtrip export', () => {
  let server: DatabaseServer
  beforeAll(async () => {
    server = await connectSharedServer()
  })
  afterAll(() => server.dispose())

  it('writes the same bytes as the library to standard output and to a file', async () => {
    await using db = await cloneReferenceDatabase(server)
    const app = await referenceApplication()
    await importBackup({ application: app, databaseUrl: db.url, source: fixturePath('fresh-install.json') })
    const expected = (await exportToString({ application: app, databaseUrl: db.url })).text
    const toStdout = await runCli(['export', '--database-url', db.url])
    expect(toStdout.code, toStdout.stderr).toBe(0)
    expect(toStdout.stdout).toBe(expected)
    const file = tempFile('export.json')
    const toFile = await runCli(['export', file, '--database-url', db.url, '--indent', '4'])
    expect(toFile.code).toBe(0)
    expect(toFile.stderr).toMatch(/^exported 30 rows of 18 models/)
    expect(await readFile(file, 'utf8')).toBe(JSON.stringify(JSON.parse(expected), null, 4).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`))
  })

  it('exits 2 for a bad indent', async () => {
    const run = await runCli(['export', '--database-url', 'postgres://x@127.0.0.1:1/x', '--indent', 'wide'])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('--indent must be a whole number')
  })
})
