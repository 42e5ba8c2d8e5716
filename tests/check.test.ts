import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { Application } from '../harness/application/load-application.ts'
import { check, type CheckOptions } from '../harness/check/check.ts'
import { findObsoleteBaselines } from '../harness/check/obsolete-baselines.ts'
import type { DatabaseServer } from '../harness/database/database-server.ts'
import { HarnessError } from '../harness/errors.ts'
import { runCli } from './support/cli.ts'
import { REPO_ROOT } from './support/processes.ts'
import { fixturePath, referenceApplication } from './support/reference-app.ts'
import { connectSharedServer } from './support/shared-server.ts'
import { tempDir, tempPath } from './support/temp.ts'

const SNAPSHOT = path.join(REPO_ROOT, 'snapshots', 'fresh_install.json')
const TRANSFORMS = path.join(REPO_ROOT, 'tests', 'fixtures', 'transforms')
const NO_EXPECTATIONS = path.join(REPO_ROOT, 'tests', 'fixtures', 'no-such.expect.json')

describe('roundtrip check', () => {
  let server: DatabaseServer
  let app: Application
  const run = (options: Omit<CheckOptions, 'application' | 'server'>) => check({ application: app, server, ...options })
  const single = async (options: Omit<CheckOptions, 'application' | 'server'>) => (await run(options)).checks[0]!
  beforeAll(async () => {
    server = await connectSharedServer()
    app = await referenceApplication()
  })
  afterAll(() => server.dispose())

  it('passes snapshots/fresh_install.json with no expectations', async () => {
    const outcome = await single({ snapshots: [SNAPSHOT] })
    expect(outcome).toMatchObject({ passed: true, findings: [], stale: [], expectationsFile: undefined })
    expect(outcome.rows).toEqual({ snapshot: 30, exported: 30 })
  })

  it("reports datetime-millis.json as Sentry does: one UnequalJSON on option ordinal 2", async () => {
    const outcome = await single({ snapshots: [fixturePath('datetime-millis.json')], expectations: NO_EXPECTATIONS })
    expect(outcome.findings.map((f) => [f.kind, f.on, f.left_pk, f.right_pk])).toEqual([
      ['UnequalJSON', { model: 'sentry.option', ordinal: 2 }, 2, 2],
    ])
    expect(outcome.findings[0]!.reason).toContain('-  "last_updated": "2023-06-22T00:00:00Z",')
    expect(outcome.findings[0]!.reason).toContain('+  "last_updated": "2023-06-22T00:00:00.000Z",')
    // With the change declared in its expectations file, it passes.
    expect((await single({ snapshots: [fixturePath('datetime-millis.json')] })).passed).toBe(true)
  })

  it('finds nothing in app-user-with-empty-email.json', async () => {
    const outcome = await single({ snapshots: [fixturePath('app-user-with-empty-email.json')] })
    expect([outcome.findings, outcome.stale]).toEqual([[], []])
  })

  it("passes Sentry's fresh-install.json with exactly its declared losses, and not without them", async () => {
    expect((await single({ snapshots: [fixturePath('fresh-install.json')] })).passed).toBe(true)
    const bare = await single({ snapshots: [fixturePath('fresh-install.json')], expectations: NO_EXPECTATIONS })
    expect(bare.findings.map((f) => [f.kind, f.on.model, f.reason])).toEqual([
      ['UnequalCounts', 'sentry.option', 'counted 4 left entries and 0 right entries'],
    ])
  })

  describe('with a transform that renames the organization', () => {
    const transform = path.join(TRANSFORMS, 'rename-organization.ts')
    let dir: string
    beforeAll(async () => {
      dir = await tempDir('rt-check-')
    })
    const expectations = async (patch: unknown[]) => {
      const file = path.join(dir, `${Math.random().toString(36).slice(2)}.expect.json`)
      await writeFile(file, JSON.stringify({ changes: [{ model: 'sentry.organization', pk: 1, patch }] }))
      return file
    }

    it('fails, naming exactly that change', async () => {
      const outcome = await single({ snapshots: [SNAPSHOT], transforms: [transform] })
      expect(outcome.passed).toBe(false)
      expect(outcome.findings).toHaveLength(1)
      expect(outcome.findings[0]).toMatchObject({
        kind: 'UnequalJSON',
        on: { model: 'sentry.organization', ordinal: 1 },
        changes: [{ path: ['name'], kind: 'changed', left: 'Testing', right: 'Renamed by transform' }],
      })
    })

    it('passes with the matching expectation', async () => {
      const file = await expectations([{ op: 'replace', path: '/name', value: 'Renamed by transform' }])
      const outcome = await single({ snapshots: [SNAPSHOT], transforms: [transform], expectations: file })
      expect([outcome.passed, outcome.findings, outcome.stale]).toEqual([true, [], []])
    })

    it('fails as stale when the expected change did not happen', async () => {
      const file = await expectations([{ op: 'replace', path: '/slug', value: 'renamed' }])
      const outcome = await single({ snapshots: [SNAPSHOT], transforms: [transform], expectations: file })
      expect(outcome.passed).toBe(false)
      expect(outcome.stale.map((f) => f.reason)).toEqual(['stale expectation: the replace of `/slug` did not happen (the value is still "testing")'])
    })
  })

  describe('a migration under test', () => {
    const OLD = path.join(REPO_ROOT, 'snapshots', 'environment_before_rename.json')

    it('passes from the old schema with the migration\'s changes declared', async () => {
      const outcome = await single({ snapshots: [OLD] })
      expect([outcome.passed, outcome.findings, outcome.stale]).toEqual([true, [], []])
      expect(outcome.expectationsFile).toBe(path.join(REPO_ROOT, 'snapshots', 'environment_before_rename.expect.json'))
    })

    it('fails without them, naming the renamed and the new field', async () => {
      const dir = await tempDir('rt-check-')
      const file = path.join(dir, 'bare.expect.json')
      await writeFile(file, JSON.stringify({ fromMigration: 'init' }))
      const outcome = await single({ snapshots: [OLD], expectations: file })
      expect(outcome.findings).toHaveLength(4)
      for (const finding of outcome.findings) {
        expect(finding).toMatchObject({ kind: 'UnequalJSON', on: { model: 'sentry.environment' } })
        expect(finding.changes!.map((c) => [c.path.join('.'), c.kind])).toEqual([
          ['display_name', 'added'],
          ['name', 'removed'],
          ['slug', 'added'],
        ])
      }
    })
  })

  it('hands transforms the reference application\'s Prisma client', async () => {
    const outcome = await single({ snapshots: [SNAPSHOT], transforms: [path.join(TRANSFORMS, 'prisma-rename-project.ts')] })
    expect(outcome.findings.map((f) => [f.kind, f.on.model, f.changes])).toEqual([
      ['UnequalJSON', 'sentry.project', [{ path: ['name'], kind: 'changed', left: 'Internal', right: 'Renamed through Prisma' }]],
    ])
  })

  it('names a failing transform and rolls its changes back', async () => {
    const file = path.join(TRANSFORMS, 'broken.ts')
    const error = (await single({ snapshots: [SNAPSHOT], transforms: [file] }).catch((e: unknown) => e)) as HarnessError
    expect(error).toBeInstanceOf(HarnessError)
    expect(error.code).toBe('TRANSFORM_FAILED')
    expect(error.message).toBe(
      `transform failed: relation "no_such_table" does not exist (${file}). Its changes were rolled back (changes made through \`client\` were rolled back; changes made through \`prisma\` were not); fix the transform and run the check again`,
    )
  })

  it('reports an accepted finding that no longer occurs as stale', async () => {
    const dir = await tempDir('rt-check-')
    const file = path.join(dir, 'x.expect.json')
    await writeFile(file, JSON.stringify({ accepted: [{ kind: 'UnequalJSON', model: 'sentry.user', ordinal: 1 }] }))
    const outcome = await single({ snapshots: [SNAPSHOT], expectations: file })
    expect(outcome.stale.map((f) => f.reason)).toEqual(['stale expectation: the accepted UnequalJSON finding on ordinal 1 no longer occurs'])
  })

  it('checks several snapshots concurrently, each in its own database', async () => {
    const result = await run({ snapshots: [SNAPSHOT, fixturePath('app-user-with-empty-email.json'), fixturePath('single-integration.json')], cycles: 2 })
    expect(result.checks.map((c) => [path.basename(c.snapshot), c.passed])).toEqual([
      ['fresh_install.json', true],
      ['app-user-with-empty-email.json', true],
      ['single-integration.json', true],
    ])
  })
})

/** Every snapshot the project ships that is meant to round-trip (invalid-user.json is not). */
const SHIPPED = [
  SNAPSHOT,
  path.join(REPO_ROOT, 'snapshots', 'environment_before_rename.json'),
  ...[
    'fresh-install.json',
    'datetime-millis.json',
    'app-user-with-empty-email.json',
    'single-option.json',
    'single-integration.json',
    'user-with-maximum-privileges.json',
    'user-with-minimum-privileges.json',
    'user-with-roles-no-superadmin.json',
    'user-with-superadmin-no-roles.json',
  ].map(fixturePath),
]

describe('roundtrip check on the command line', () => {
  const onSharedServer = () => ({ ROUNDTRIP_DATABASE_URL: inject('roundtripServer').maintenanceUrl })

  it('passes every shipped snapshot with --cycles 2 and writes the findings file', async () => {
    const findings = tempPath('check-findings.json')
    const run = await runCli(['check', ...SHIPPED, '--cycles', '2', '--findings-file', findings], onSharedServer())
    expect(run.code, run.stderr).toBe(0)
    expect(run.stderr).toContain(`${SHIPPED.length} passed, 0 failed`)
    expect(await readFile(findings, 'utf8')).toBe('[]')
  })

  it('exits 1 with the findings when a snapshot fails, and 2 for usage errors', async () => {
    const failing = await runCli(['check', SNAPSHOT, '--transform', path.join(TRANSFORMS, 'rename-organization.ts')], onSharedServer())
    expect(failing.code).toBe(1)
    expect(failing.stderr).toContain('FAIL')
    expect(failing.stderr).toContain("on: InstanceID(model: 'sentry.organization', ordinal: 1)")
    expect((await runCli(['check', '/no/such.json'])).code).toBe(2)
    expect((await runCli(['check', SNAPSHOT, '--cycles', '0'])).code).toBe(2)
  })

  it('reports expectations files whose snapshot is gone', async () => {
    const dir = await tempDir('rt-obsolete-')
    const snapshot = path.join(dir, 'kept.json')
    await writeFile(snapshot, await readFile(SNAPSHOT))
    await writeFile(path.join(dir, 'gone.expect.json'), '{}')
    const run = await runCli(['check', snapshot], onSharedServer())
    expect(run.code).toBe(0)
    expect(run.stderr).toContain(`obsolete expectations (no snapshot): ${path.join(dir, 'gone.expect.json')}`)
  })

  it('ships no expectations file without its snapshot', async () => {
    const shipped = [path.join(REPO_ROOT, 'snapshots', 'x.json'), path.join(REPO_ROOT, 'snapshots', 'sentry', 'x.json')]
    expect(await findObsoleteBaselines(shipped)).toEqual([])
  })

  it('refuses --update on CI', async () => {
    const run = await runCli(['check', SNAPSHOT, '--update'], { CI: 'true' })
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('--update is refused on CI')
  })
})
