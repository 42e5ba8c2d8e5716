// The settings `roundtrip` runs with in this folder; flags on the command line override them.
import { defineConfig } from 'roundtrip/config'

export default defineConfig({
  // The reference application: a Prisma model of Sentry's exportable models.
  app: 'prisma',
  // What a bare `roundtrip check` checks. Each snapshot's intended changes, if any, are in
  // `<snapshot>.expect.json` beside it.
  snapshots: ['snapshots/*.json'],
  database: { pgMajor: 15 },
})
