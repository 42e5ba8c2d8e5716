import path from 'node:path'
import pg from 'pg'
import { describe, expect } from 'vitest'
import { roundtripTest } from '../harness/vitest/index.ts'
import { REPO_ROOT } from './support/processes.ts'

const SNAPSHOT = path.join(REPO_ROOT, 'snapshots', 'fresh_install.json')
const RENAME = path.join(REPO_ROOT, 'tests', 'fixtures', 'transforms', 'rename-organization.ts')

// A sample of the vitest integration as a user writes it: the fixtures hand each test a fresh
// clone or a check on the run's server, and `toRoundTripCleanly` reads the result.
describe('the vitest integration', () => {
  roundtripTest('gives each test a fresh database with the schema', async ({ database }) => {
    const client = new pg.Client({ connectionString: database.url })
    await client.connect()
    const { rows } = await client.query('SELECT count(*)::int AS n FROM sentry_organization')
    await client.end()
    expect(rows[0].n).toBe(0)
  })

  roundtripTest('round-trips the shipped snapshot cleanly', async ({ checkSnapshots }) => {
    expect(await checkSnapshots({ snapshots: [SNAPSHOT] })).toRoundTripCleanly()
  })

  roundtripTest('fails with the pretty findings as its message', async ({ checkSnapshots }) => {
    const result = await checkSnapshots({ snapshots: [SNAPSHOT], transforms: [RENAME] })
    expect(() => expect(result).toRoundTripCleanly()).toThrowError(
      /expected a clean round trip, but:\n\n.*fresh_install\.json:\nComparatorFinding\(\n {4}kind: UnequalJSON,\n {4}on: InstanceID\(model: 'sentry\.organization', ordinal: 1\)/s,
    )
    expect(result).not.toRoundTripCleanly()
  })
})
