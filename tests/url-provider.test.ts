import pg from 'pg'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { startPostgres, startServer } from '../harness/database/start-server.ts'
import { isHarnessError } from '../harness/errors.ts'

const maintenanceUrl = () => inject('roundtripServer').maintenanceUrl

async function admin(sql: string, params: unknown[] = []) {
  const client = new pg.Client({ connectionString: maintenanceUrl() })
  await client.connect()
  try {
    return (await client.query(sql, params)).rows
  } finally {
    await client.end()
  }
}

const databaseExists = async (name: string) =>
  (await admin('SELECT 1 FROM pg_database WHERE datname = $1', [name])).length === 1

describe('the url provider', () => {
  // A database somebody else owns on the same server: the harness must never touch it.
  const bystander = `bystander_${process.pid}`
  beforeAll(async () => {
    await admin(`CREATE DATABASE ${bystander}`)
  })
  afterAll(async () => {
    await admin(`DROP DATABASE IF EXISTS ${bystander}`)
  })

  it('creates a uniquely named empty database and drops only that one on dispose', async () => {
    const before = (await admin('SELECT datname FROM pg_database ORDER BY 1')).map((r) => r.datname as string)
    const postgres = await startPostgres({ provider: 'url', databaseUrl: maintenanceUrl() })
    expect(postgres.server.provider).toBe('url')
    expect(postgres.database.name).toMatch(/^rt_db_/)
    const client = new pg.Client({ connectionString: postgres.url })
    await client.connect()
    expect((await client.query('SELECT current_database() AS d')).rows[0].d).toBe(postgres.database.name)
    await client.query('CREATE TABLE t (x int)')
    await client.end()
    await postgres.dispose()
    const after = (await admin('SELECT datname FROM pg_database ORDER BY 1')).map((r) => r.datname as string)
    expect(after.filter((n) => !before.includes(n))).toEqual([])
    expect(before.filter((n) => !after.includes(n))).toEqual([])
    expect(await databaseExists(bystander)).toBe(true)
  })

  it('refuses to drop a database it did not create', async () => {
    await using server = await startServer({ provider: 'url', databaseUrl: maintenanceUrl() })
    const error = await server.dropDatabase(bystander).catch((e: unknown) => e)
    expect(isHarnessError(error, 'DATABASE_NOT_OWNED')).toBe(true)
    expect((error as Error).message).toBe(
      `refusing to change database "${bystander}": the harness did not create it. The harness only alters and drops databases it created itself; drop this one yourself if you mean to`,
    )
    expect(await databaseExists(bystander)).toBe(true)
  })

  it('says why it was chosen', async () => {
    await using fromOption = await startServer({ databaseUrl: maintenanceUrl() })
    expect([fromOption.provider, fromOption.reason]).toEqual(['url', 'a database URL was given'])
    await using fromEnv = await startServer({ env: { ROUNDTRIP_DATABASE_URL: maintenanceUrl() } })
    expect([fromEnv.provider, fromEnv.reason]).toEqual(['url', 'ROUNDTRIP_DATABASE_URL is set'])
  })

  it('rejects a malformed URL as a usage problem', async () => {
    const error = await startServer({ provider: 'url', databaseUrl: 'mysql://x@y/z' }).catch((e: unknown) => e)
    expect(isHarnessError(error, 'DATABASE_URL_INVALID')).toBe(true)
    expect((error as Error).message).toContain('the scheme is "mysql", not postgres')
  })

  it('rejects a server of another major when a major is asked for', async () => {
    const wrong = inject('roundtripServer').majorVersion + 1
    const error = await startServer({ provider: 'url', databaseUrl: maintenanceUrl(), pgMajor: wrong }).catch((e: unknown) => e)
    expect(isHarnessError(error, 'DATABASE_START_FAILED')).toBe(true)
    expect((error as Error).message).toContain(`not ${wrong}`)
  })
})
