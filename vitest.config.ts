import { defineConfig } from 'vitest/config'
import { PlainSummaryReporter } from './tests/support/plain-summary-reporter.ts'

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // One PostgreSQL server per run, started here; each test clones its own database from the
    // migrated template, so test files run in parallel without seeing each other's data.
    globalSetup: ['tests/global-setup.ts'],
    setupFiles: ['tests/support/remove-temp.ts'],
    pool: 'forks',
    reporters: ['default', new PlainSummaryReporter()],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Baselines are written only when asked for (`vitest -u`), never on CI.
    update: process.env.CI ? 'none' : undefined,
  },
})
