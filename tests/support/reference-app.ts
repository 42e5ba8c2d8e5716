import { readFile } from 'node:fs/promises'
import path from 'node:path'
import pg from 'pg'
import { loadApplication, type Application } from '../../harness/application/load-application.ts'
import { dependencyGraph, sortDependencies } from '../../harness/graph/sorted-dependencies.ts'
import { REPO_ROOT } from './processes.ts'

export const SENTRY_FIXTURES = path.join(REPO_ROOT, 'snapshots', 'sentry')

let application: Promise<Application> | undefined

/** The reference application, loaded once per test file. */
export function referenceApplication(): Promise<Application> {
  application ??= loadApplication({ dir: path.join(REPO_ROOT, 'prisma') })
  return application
}

export function fixturePath(name: string): string {
  return path.join(SENTRY_FIXTURES, name)
}

export interface Entry {
  model: string
  pk: number
  fields: Record<string, unknown>
}

export async function readFixture(name: string): Promise<Entry[]> {
  return JSON.parse(await readFile(fixturePath(name), 'utf8')) as Entry[]
}

/**
 * Sentry's way of building a multi-user import file from the `user-with-*` fixtures: concatenate,
 * then sort by dependency order and pk.
 */
export async function fourUsers(): Promise<Entry[]> {
  const names = [
    'user-with-maximum-privileges.json',
    'user-with-minimum-privileges.json',
    'user-with-roles-no-superadmin.json',
    'user-with-superadmin-no-roles.json',
  ]
  const entries = (await Promise.all(names.map(readFixture))).flat()
  const order = sortDependencies(dependencyGraph((await referenceApplication()).registry))
  const rank = new Map(order.map((model, index) => [model, index]))
  return entries.sort((a, b) => rank.get(a.model)! - rank.get(b.model)! || a.pk - b.pk)
}

export async function query<T extends pg.QueryResultRow = Record<string, unknown>>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query<T>(sql, params)).rows
  } finally {
    await client.end()
  }
}

/** Rows per table of the application. */
export async function rowCounts(url: string): Promise<Record<string, number>> {
  const app = await referenceApplication()
  const counts: Record<string, number> = {}
  for (const model of app.registry.models.values()) {
    const [row] = await query<{ n: number }>(url, `SELECT count(*)::int AS n FROM "${model.table}"`)
    counts[model.name] = row!.n
  }
  return counts
}

/** A digest of every row of every table: equal digests mean an unchanged database. */
export async function databaseFingerprint(url: string): Promise<string> {
  const app = await referenceApplication()
  const parts: string[] = []
  for (const model of app.registry.models.values()) {
    const [row] = await query<{ digest: string | null }>(
      url,
      `SELECT md5(string_agg(t::text, '|' ORDER BY t."${model.pkColumn}")) AS digest FROM "${model.table}" t`,
    )
    parts.push(`${model.name}:${row!.digest ?? 'empty'}`)
  }
  return parts.join('\n')
}
