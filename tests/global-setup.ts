import type { TestProject } from 'vitest/node'
import { loadApplication } from '../harness/application/load-application.ts'
import { startServer } from '../harness/database/start-server.ts'
import { createSchemaTemplate } from '../harness/schema/template.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    /** The shared server of this run: tests connect with the url provider and clone the template. */
    roundtripServer: {
      readonly maintenanceUrl: string
      readonly provider: string
      readonly majorVersion: number
      /** A database with every migration of `prisma/` applied; clone it, never connect to it. */
      readonly template: string
    }
  }
}

/** Starts one server for the whole run (provider: ROUNDTRIP_DB, else automatic) and the template. */
export default async function setup(project: TestProject) {
  const server = await startServer()
  try {
    const application = await loadApplication({ dir: 'prisma' })
    const template = await createSchemaTemplate(server, { migrations: application.migrations })
    console.log(`roundtrip tests: ${server.description} (${server.provider}: ${server.reason})`)
    project.provide('roundtripServer', {
      maintenanceUrl: server.maintenanceUrl,
      provider: server.provider,
      majorVersion: server.majorVersion,
      template: template.name,
    })
  } catch (error) {
    await server.dispose()
    throw error
  }
  return async () => {
    await server.dispose()
  }
}
