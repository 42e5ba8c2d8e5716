import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { writeTempBackup } from './support/backup-io.ts'
import { runCli } from './support/cli.ts'
import { fixturePath, readFixture, type Entry } from './support/reference-app.ts'
import { tempPath } from './support/temp.ts'

const tempFile = tempPath

/** fresh-install.json with one row's fields changed. */
async function freshInstallWith(
  model: string,
  pk: number,
  fields: Record<string, unknown>,
): Promise<string> {
  const entries = await readFixture('fresh-install.json')
  const changed = entries.map((e): Entry =>
    e.model === model && e.pk === pk ? { ...e, fields: { ...e.fields, ...fields } } : e,
  )
  return writeTempBackup(changed)
}

describe('roundtrip compare', () => {
  it('exits 0 and says so when the files agree', async () => {
    const findings = tempFile('findings.json')
    const file = fixturePath('fresh-install.json')
    const run = await runCli(['compare', file, file, '--findings-file', findings])
    expect(run.code, run.stderr).toBe(0)
    expect(run.stderr).toContain('Done, found 0 differences.')
    expect(run.stderr).toContain('compared 34 instance pairs of 19 models')
    expect(run.stdout).toBe('')
    expect(await readFile(findings, 'utf8')).toBe('[]')
  })

  it('exits 1 on a changed field, naming the model, ordinal and field', async () => {
    const findings = tempFile('findings.json')
    const right = await freshInstallWith('sentry.organizationmember', 2, { role: 'admin' })
    const run = await runCli([
      'compare',
      fixturePath('fresh-install.json'),
      right,
      '--findings-file',
      findings,
    ])
    expect(run.code, run.stderr).toBe(1)
    expect(run.stderr).toContain(
      "ComparatorFinding(\n    kind: UnequalJSON,\n    on: InstanceID(model: 'sentry.organizationmember', ordinal: 2),\n    left_pk: 2,\n    right_pk: 2,\n    reason: \n    --- \n",
    )
    expect(run.stderr).toContain('\n    -  "role": "member",\n    +  "role": "admin",\n')
    expect(run.stderr).toContain('Done, found 1 difference.')
    const written = JSON.parse(await readFile(findings, 'utf8')) as Record<string, unknown>[]
    expect(written).toHaveLength(1)
    expect(written[0]).toMatchObject({
      finding: 'ComparatorFinding',
      kind: 'UnequalJSON',
      on: { model: 'sentry.organizationmember', ordinal: 2 },
      left_pk: 2,
      right_pk: 2,
      changes: [{ path: ['role'], kind: 'changed', left: 'member', right: 'admin' }],
    })
  })

  it('shows a changed secret only shortened: a project key and a password', async () => {
    const original = await readFixture('fresh-install.json')
    const secret = original.find((e) => e.model === 'sentry.projectkey')!.fields
      .secret_key as string
    const password = original.find((e) => e.model === 'sentry.user' && e.pk === 1)!.fields
      .password as string
    const newSecret = 'e5e25e355f9f59899784227d8757d084'
    const newPassword =
      'pbkdf2_sha256$150000$iEvdIknqYjTr$+QsGn0tfIJ1FZLxQI37mVU1gL2KbL/wqjMtG/dFhsMB='
    const changed = original.map((e): Entry =>
      e.model === 'sentry.projectkey'
        ? { ...e, fields: { ...e.fields, secret_key: newSecret } }
        : e.model === 'sentry.user' && e.pk === 1
          ? { ...e, fields: { ...e.fields, password: newPassword } }
          : e,
    )
    const findings = tempFile('findings.json')
    const run = await runCli([
      'compare',
      fixturePath('fresh-install.json'),
      await writeTempBackup(changed),
      '--findings-file',
      findings,
    ])
    expect(run.code, run.stderr).toBe(1)
    expect(run.stderr).toContain('kind: HashObfuscatingComparator')
    expect(run.stderr).toContain(
      'the left value ("d4d...c93") of `secret_key` was not equal to the right value ("e5e...084")',
    )
    expect(run.stderr).toContain('kind: UserPasswordObfuscatingComparator')
    expect(run.stderr).toContain(
      'the left value ("pbkdf2...sMA=") of `password` was not equal to the right value ("pbkdf2...sMB=")',
    )
    expect(run.stderr).toContain('Done, found 2 differences.')
    const written = await readFile(findings, 'utf8')
    for (const full of [secret, newSecret, password, newPassword]) {
      expect(run.stdout).not.toContain(full)
      expect(run.stderr).not.toContain(full)
      expect(written).not.toContain(full)
    }
  })

  it('exits 2 on unreadable input, naming the side, line and column', async () => {
    const broken = await writeTempBackup(
      '[\n  {"model": "sentry.option", "pk": 1,\n   "fields": {"key": "a",, "value": 1}}\n]',
    )
    const run = await runCli([
      'compare',
      broken,
      fixturePath('single-option.json'),
      '--findings-file',
      tempFile('unused.json'),
    ])
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/^Invalid left JSON in \S+ at line 3, column 26: /m)
    const right = await runCli(['compare', fixturePath('single-option.json'), broken])
    expect(right.code).toBe(2)
    expect(right.stderr).toContain('Invalid right JSON in ')
  })

  it('exits 2 for a missing file or missing arguments', async () => {
    const missing = await runCli([
      'compare',
      '/no/such/left.json',
      fixturePath('single-option.json'),
    ])
    expect([missing.code, missing.stderr.trim()]).toEqual([
      2,
      'roundtrip: backup file not found: /no/such/left.json. Check the path',
    ])
    const usage = await runCli(['compare', fixturePath('single-option.json')])
    expect(usage.code).toBe(2)
    expect(usage.stderr).toContain("missing required argument 'right'")
  })
})
