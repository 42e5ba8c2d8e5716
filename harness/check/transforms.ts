import path from 'node:path'
import { pathToFileURL } from 'node:url'
import pg from 'pg'
import type { Application } from '../application/load-application.ts'
import { describeError, HarnessError } from '../errors.ts'

/** What a transform receives: the database of one round trip, between import and export. */
export interface TransformContext {
  /** The database's URL, for tools that open their own connections (a Prisma client, say). */
  readonly databaseUrl: string
  /** A connection inside the transform's own transaction. */
  readonly client: pg.ClientBase
  /**
   * The application's own client (for the reference application, its Prisma client), when the
   * application declares `transformClient`. It works outside the transaction of `client`.
   */
  readonly prisma: unknown
  /** The snapshot being checked. */
  readonly snapshot: string
  readonly application: Application
}

/** A transform module exports one async function, as `default` or as `transform`. */
export type Transform = (context: TransformContext) => Promise<void> | void

export async function loadTransform(file: string): Promise<Transform> {
  let module: { default?: unknown; transform?: unknown }
  try {
    module = (await import(pathToFileURL(path.resolve(file)).href)) as typeof module
  } catch (error) {
    throw transformError(file, `cannot be loaded: ${describeError(error)}`, error, 'Check the path and that the module compiles')
  }
  const fn = module.transform ?? module.default
  if (typeof fn !== 'function') {
    throw transformError(file, 'exports no function', undefined, 'Export the transform as `export default async function ({ client }) { … }`')
  }
  return fn as Transform
}

/**
 * Runs one transform in its own transaction. A failure rolls that transform's changes back and
 * says so, naming the file: nothing is half-applied, and nothing is rolled back silently.
 */
export async function runTransform(
  file: string,
  transform: Transform,
  context: Omit<TransformContext, 'client' | 'prisma'>,
): Promise<void> {
  const client = new pg.Client({ connectionString: context.databaseUrl })
  await client.connect()
  const own = context.application.relocation.transformClient?.(context.databaseUrl)
  try {
    await client.query('BEGIN')
    await transform({ ...context, client, prisma: own?.client })
    await client.query('COMMIT')
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {})
    const note = own ? ' (changes made through `client` were rolled back; changes made through `prisma` were not)' : ''
    throw transformError(file, describeError(error), error, `Its changes were rolled back${note}; fix the transform and run the check again`)
  } finally {
    await client.end().catch(() => {})
    await own?.close().catch(() => {})
  }
}

function transformError(file: string, why: string, cause: unknown, hint: string): HarnessError {
  return new HarnessError({
    code: 'TRANSFORM_FAILED',
    stage: 'transform',
    message: `transform failed: ${why} (${file})`,
    hint,
    context: { file },
    cause,
  })
}
