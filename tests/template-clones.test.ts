import pg from 'pg'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { DatabaseServer } from '../harness/database/database-server.ts'
import { cloneReferenceDatabase, connectSharedServer } from './support/shared-server.ts'

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

const countOptions = (url: string) =>
  withClient(url, async (c) => (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM sentry_option')).rows[0]!.n)

describe('template databases', () => {
  let server: DatabaseServer
  beforeAll(async () => {
    server = await connectSharedServer()
  })
  afterAll(() => server.dispose())

  it('gives every clone the migrated schema and its own data', async () => {
    await using a = await cloneReferenceDatabase(server)
    await using b = await cloneReferenceDatabase(server)
    expect(a.name).not.toBe(b.name)
    await withClient(a.url, (c) =>
      c.query(`INSERT INTO sentry_option (key, last_updated, last_updated_by, value) VALUES ('k', now(), 'unknown', '1')`),
    )
    expect(await countOptions(a.url)).toBe(1)
    expect(await countOptions(b.url)).toBe(0)
    await using c = await cloneReferenceDatabase(server)
    expect(await countOptions(c.url)).toBe(0)
  })

  it('creates clones concurrently', async () => {
    const clones = await Promise.all(Array.from({ length: 8 }, () => cloneReferenceDatabase(server)))
    expect(new Set(clones.map((c) => c.name)).size).toBe(8)
    for (const clone of clones) expect(await countOptions(clone.url)).toBe(0)
    await Promise.all(clones.map((c) => c.dispose()))
  })

  it('keeps the template closed to connections so clones never wait', async () => {
    const template = inject('roundtripServer').template
    const rows = await withClient(server.maintenanceUrl, async (c) =>
      (await c.query('SELECT datistemplate, datallowconn FROM pg_database WHERE datname = $1', [template])).rows,
    )
    expect(rows).toEqual([{ datistemplate: true, datallowconn: false }])
  })

  it('drops a clone on dispose', async () => {
    const clone = await cloneReferenceDatabase(server)
    await clone.dispose()
    const rows = await withClient(server.maintenanceUrl, async (c) =>
      (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [clone.name])).rows,
    )
    expect(rows).toEqual([])
    await clone.dispose() // a second dispose is harmless
  })
})
