/** The vitest integration: `import { roundtripTest } from 'roundtrip/vitest'` (registers the matchers). */
import './matchers.ts'
export { roundtripTest, type RoundtripFixtures } from './fixtures.ts'
export { roundtripGlobalSetup, type ProvidedRoundtripServer, type RoundtripGlobalSetupOptions } from './global-setup.ts'
export type { RoundtripMatchers } from './matchers.ts'
