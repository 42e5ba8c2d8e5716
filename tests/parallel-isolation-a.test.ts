import { expect, it } from 'vitest'
import { checkIsolation } from './support/parallel-isolation.ts'

// Three identical files, so vitest runs them in parallel workers against the one shared server.
it('sees only its own rows while other test files write to their clones', async () => {
  expect(await checkIsolation('parallel-a')).toMatch(/^rt_clone_/)
})
