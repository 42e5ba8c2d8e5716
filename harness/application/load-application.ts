import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { describeError, HarnessError } from '../errors.ts'
import { readMigrations, type Migration } from '../schema/migrations.ts'
import { buildModelRegistry, type ModelRegistry } from './model-registry.ts'
import { readDmmf } from './prisma-dmmf.ts'
import type { RelocationMetadata } from './relocation-metadata.ts'

/** The application under test: its schema, migrations and relocation rules, read and checked. */
export interface Application {
  readonly schemaPath: string
  readonly migrationsDir: string
  readonly relocationPath: string
  readonly migrations: readonly Migration[]
  readonly relocation: RelocationMetadata
  readonly registry: ModelRegistry
}

export interface LoadApplicationOptions {
  /** The folder of the application's Prisma files. Default: `prisma` under the working directory. */
  readonly dir?: string
  /** Default: `<dir>/schema.prisma`. */
  readonly schemaPath?: string
  /** Default: `<dir>/migrations`. */
  readonly migrationsDir?: string
  /**
   * A module whose `relocation` export (or default export) is the relocation metadata.
   * Default: `<dir>/relocation.ts`.
   */
  readonly relocationPath?: string
}

/** Reads and cross-checks an application's schema, migrations and relocation metadata. */
export async function loadApplication(options: LoadApplicationOptions = {}): Promise<Application> {
  const dir = path.resolve(options.dir ?? 'prisma')
  const schemaPath = path.resolve(options.schemaPath ?? path.join(dir, 'schema.prisma'))
  const migrationsDir = path.resolve(options.migrationsDir ?? path.join(dir, 'migrations'))
  const relocationPath = path.resolve(options.relocationPath ?? path.join(dir, 'relocation.ts'))

  const schemaText = await readFile(schemaPath, 'utf8').catch((error: unknown) => {
    throw new HarnessError({
      code: 'APPLICATION_INVALID',
      stage: 'application',
      message: `prisma schema unreadable: ${describeError(error)}`,
      hint: 'Pass the folder holding schema.prisma, migrations/ and relocation.ts',
      context: { file: schemaPath },
    })
  })
  const relocation = await importRelocation(relocationPath)
  const registry = buildModelRegistry(readDmmf(schemaText, schemaPath), relocation)
  const migrations = await readMigrations(migrationsDir)
  return { schemaPath, migrationsDir, relocationPath, migrations, relocation, registry }
}

async function importRelocation(file: string): Promise<RelocationMetadata> {
  let module: { relocation?: RelocationMetadata; default?: RelocationMetadata }
  try {
    module = (await import(pathToFileURL(file).href)) as typeof module
  } catch (error) {
    throw new HarnessError({
      code: 'APPLICATION_INVALID',
      stage: 'application',
      message: `relocation metadata unreadable: ${describeError(error)}`,
      hint: 'The module must export `relocation = defineRelocation({...})`',
      context: { file },
      cause: error,
    })
  }
  const metadata = module.relocation ?? module.default
  if (!metadata || typeof metadata !== 'object' || typeof metadata.models !== 'object') {
    throw new HarnessError({
      code: 'APPLICATION_INVALID',
      stage: 'application',
      message: 'relocation metadata missing: the module exports no `relocation` object with `models`',
      hint: 'Export it as `export const relocation = defineRelocation({ models: { ... } })`',
      context: { file },
    })
  }
  return metadata
}
