/**
 * The vitest integration for test files: `import { roundtripTest } from 'roundtrip/vitest'` (also
 * registers the matchers). The global setup is a separate entry, `roundtrip/vitest/setup`, because
 * a global setup runs outside the test runner and must not load the fixtures.
 */
import './matchers.ts'
export { roundtripTest, type RoundtripFixtures } from './fixtures.ts'
export type { ProvidedRoundtripServer } from './global-setup.ts'
export type { RoundtripMatchers } from './matchers.ts'
