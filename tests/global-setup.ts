import type { TestProject } from 'vitest/node'
import { roundtripGlobalSetup } from '../harness/vitest/global-setup.ts'

/**
 * The suite uses the same global setup as users of the vitest integration: one server per run
 * (provider: ROUNDTRIP_DB, else automatic), the reference schema migrated once into a template.
 */
export default function setup(project: TestProject) {
  return roundtripGlobalSetup(project, { app: 'prisma' })
}
