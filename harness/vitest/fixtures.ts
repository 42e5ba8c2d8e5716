import { expect, inject, test as base } from 'vitest'
import { defaultComparators } from '../../comparators/default-comparators.ts'
import { updateExpectations } from '../check/update-expectations.ts'
import { loadApplication, type Application } from '../application/load-application.ts'
import { check, type CheckOptions, type CheckResult } from '../check/check.ts'
import type { DatabaseServer, OwnedDatabase } from '../database/database-server.ts'
import { startServer } from '../database/start-server.ts'
import { cloneDatabase } from '../schema/template.ts'

export interface RoundtripFixtures {
  /** The run's server, as this test file may use it: only its own databases can be dropped. */
  roundtripServer: DatabaseServer
  /** The application under test, loaded once per file. */
  application: Application
  /** A fresh database with the migrated schema, dropped after the test. */
  database: OwnedDatabase
  /** Runs `roundtrip check` on the run's server. */
  checkSnapshots: (options: Omit<CheckOptions, 'application' | 'server'>) => Promise<CheckResult>
}

/**
 * `test` with round-trip fixtures. Requires `roundtripGlobalSetup` in the vitest config.
 * @example
 *   roundtripTest('backs up cleanly', async ({ checkSnapshots }) => {
 *     expect(await checkSnapshots({ snapshots: ['snapshots/fresh_install.json'] })).toRoundTripCleanly()
 *   })
 */
export const roundtripTest = base.extend<RoundtripFixtures>({
  roundtripServer: [
    async ({}, use) => {
      const server = await startServer({ provider: 'url', databaseUrl: inject('roundtripServer').maintenanceUrl })
      await use(server)
      await server.dispose()
    },
    { scope: 'file' },
  ],
  application: [
    async ({}, use) => {
      await use(await loadApplication({ dir: inject('roundtripServer').app }))
    },
    { scope: 'file' },
  ],
  database: async ({ roundtripServer }, use) => {
    const database = await cloneDatabase(roundtripServer, inject('roundtripServer').template)
    await use(database)
    await database.dispose()
  },
  checkSnapshots: async ({ roundtripServer, application }, use) => {
    await use(async (options) => {
      // Under `vitest -u` the rows are kept for rewriting expectations; otherwise only those
      // that findings name, so a large snapshot does not have to fit in memory.
      const run = () => check({ keepRows: updatingSnapshots(), ...options, application, server: roundtripServer })
      const result = await run()
      if (result.passed || !updatingSnapshots()) return result
      // `vitest -u`: the expectations are baselines like any snapshot; rewrite, then check again.
      const comparators = defaultComparators(application.registry)
      for (const outcome of result.checks.filter((c) => !c.passed)) {
        await updateExpectations(outcome, application.registry, comparators, options.expectations)
      }
      return await run()
    })
  },
})

/**
 * Whether vitest runs with `-u`. Vitest keeps the mode on its snapshot state without a public
 * getter; `none` (the mode on CI) and `new` leave expectations alone.
 */
function updatingSnapshots(): boolean {
  const state = expect.getState().snapshotState as unknown as { _updateSnapshot?: string } | undefined
  return state?._updateSnapshot === 'all' && !process.env.CI
}
