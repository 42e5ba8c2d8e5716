import type { TestProject } from 'vitest/node'
import { loadApplication } from '../application/load-application.ts'
import { startServer, type StartServerOptions } from '../database/start-server.ts'
import { createSchemaTemplate } from '../schema/template.ts'

/** What the global setup hands every test file (through vitest's `provide`/`inject`). */
export interface ProvidedRoundtripServer {
  readonly maintenanceUrl: string
  readonly provider: string
  readonly majorVersion: number
  /** A database with every migration applied: clone it, never connect to it. */
  readonly template: string
  /** The application folder the template was built from. */
  readonly app: string
}

declare module 'vitest' {
  export interface ProvidedContext {
    roundtripServer: ProvidedRoundtripServer
  }
}

export interface RoundtripGlobalSetupOptions {
  /** The application folder (schema.prisma, migrations/, relocation.ts). Default: `prisma`. */
  readonly app?: string
  /** How to start the server. Default: the automatic choice (`ROUNDTRIP_DB`, …). */
  readonly server?: StartServerOptions
}

/**
 * One PostgreSQL server per vitest run (per shard with `--shard`), with the application's schema
 * migrated once into a template; test files clone it. Use it from a `globalSetup` file:
 * `export default (project) => roundtripGlobalSetup(project)`.
 */
export async function roundtripGlobalSetup(
  project: TestProject,
  options: RoundtripGlobalSetupOptions = {},
): Promise<() => Promise<void>> {
  const app = options.app ?? 'prisma'
  const server = await startServer(options.server)
  try {
    const application = await loadApplication({ dir: app })
    const template = await createSchemaTemplate(server, { migrations: application.migrations })
    project.provide('roundtripServer', {
      maintenanceUrl: server.maintenanceUrl,
      provider: server.provider,
      majorVersion: server.majorVersion,
      template: template.name,
      app,
    })
    console.log(`roundtrip: ${server.description} (${server.provider}: ${server.reason})`)
  } catch (error) {
    await server.dispose()
    throw error
  }
  return () => server.dispose()
}
