/**
 * `check({ keepRows: false })`: a snapshot without expectations is validated from the files, a
 * model at a time, and only the rows its findings name are kept. The verdict, the findings, the
 * counts and the rows that reports show are those of the check that holds every row.
 */
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Application } from '../harness/application/load-application.ts'
import { check, type CheckOptions, type SnapshotCheck } from '../harness/check/check.ts'
import { rowKey } from '../harness/check/expectations.ts'
import type { DatabaseServer } from '../harness/database/database-server.ts'
import { REPO_ROOT } from './support/processes.ts'
import { fixturePath, referenceApplication } from './support/reference-app.ts'
import { connectSharedServer } from './support/shared-server.ts'

const NO_EXPECTATIONS = path.join(REPO_ROOT, 'tests', 'fixtures', 'no-such.expect.json')

describe('check without holding the rows', () => {
  let server: DatabaseServer
  let app: Application
  const run = async (options: Omit<CheckOptions, 'application' | 'server'>) =>
    (await check({ application: app, server, ...options })).checks
  beforeAll(async () => {
    server = await connectSharedServer()
    app = await referenceApplication()
  })
  afterAll(() => server.dispose())

  /** What both ways must agree on; rows only those the findings name. */
  const verdict = (outcome: SnapshotCheck) => {
    const named = (side: 'left_pk' | 'right_pk') =>
      new Set(outcome.findings.flatMap((f) => (f[side] === null ? [] : [rowKey(f.on.model, f[side])])))
    const left = named('left_pk')
    const right = named('right_pk')
    return {
      passed: outcome.passed,
      findings: outcome.findings,
      stale: outcome.stale,
      counts: outcome.counts,
      rows: outcome.rows,
      expectationsFile: outcome.expectationsFile,
      expected: outcome.expected.filter((e) => left.has(rowKey(e.model, e.pk))),
      exported: outcome.exported.filter((e) => right.has(rowKey(e.model, e.pk))),
    }
  }

  it('gives the same verdicts, findings, counts and finding rows', async () => {
    const snapshots = [
      path.join(REPO_ROOT, 'snapshots', 'fresh_install.json'),
      fixturePath('datetime-millis.json'),
      fixturePath('user-with-maximum-privileges.json'),
    ]
    const options = { snapshots, expectations: NO_EXPECTATIONS, cycles: 2 }
    const [holding, streaming] = await Promise.all([run(options), run({ ...options, keepRows: false })])
    expect(streaming.map(verdict)).toEqual(holding.map(verdict))
    expect(streaming.map((c) => c.passed)).toEqual([true, false, true])
    // Only the rows of the findings are kept: the changed option, on each side.
    expect(streaming[1]!.expected.map((e) => [e.model, e.pk])).toEqual([['sentry.option', 2]])
    expect(streaming[1]!.exported.map((e) => [e.model, e.pk])).toEqual([['sentry.option', 2]])
    expect(streaming[0]!.exported).toEqual([])
  })

  it('holds the rows anyway when the snapshot has expectations', async () => {
    const [outcome] = await run({ snapshots: [fixturePath('datetime-millis.json')], keepRows: false })
    expect(outcome!.passed).toBe(true)
    expect(outcome!.original.length).toBe(outcome!.rows.snapshot)
  })
})
