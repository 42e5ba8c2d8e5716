import { describe, expect, inject, it } from 'vitest'
import { runCli as roundtrip } from './support/cli.ts'
import { connectSharedServer } from './support/shared-server.ts'

describe('roundtrip schema', () => {
  it('starts a database, applies the migrations and lists the tables', async () => {
    const run = await roundtrip(['schema'], { ROUNDTRIP_DATABASE_URL: inject('roundtripServer').maintenanceUrl })
    expect(run.stderr).toContain('database: PostgreSQL')
    expect(run.stderr).toContain('(url: ROUNDTRIP_DATABASE_URL is set)')
    expect(run.stdout).toMatch(/^sentry_option\s+\d+$/m)
    expect(run.stdout).toMatch(/^auth_user\s+\d+$/m)
    expect(run.stdout).toMatch(/^_prisma_migrations\s+8$/m)
    expect(run.code).toBe(0)
  })

  it('rejects an unknown provider as a usage error', async () => {
    const run = await roundtrip(['schema', '--provider', 'sqlite'])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain("argument 'sqlite' is invalid")
  })

  it('rejects an unknown flag as a usage error', async () => {
    const run = await roundtrip(['schema', '--frobnicate'])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain("unknown option '--frobnicate'")
  })
})

describe('roundtrip migrate', () => {
  it('applies the migrations to a database, then finds nothing left to apply', async () => {
    await using server = await connectSharedServer()
    await using db = await server.createDatabase()
    const first = await roundtrip(['migrate', '--database-url', db.url])
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toMatch(/^Applied\s+\d{14}_init$/m)
    const second = await roundtrip(['migrate', '--database-url', db.url])
    expect(second.code).toBe(0)
    expect(second.stdout).toMatch(/^AlreadyApplied\s+\d{14}_init$/m)
    expect(second.stderr).toContain('0 migration(s) applied')
  })

  it('fails with exit 1 naming an unknown target migration', async () => {
    await using server = await connectSharedServer()
    await using db = await server.createDatabase()
    const run = await roundtrip(['migrate', '--database-url', db.url, '--to', 'no_such_migration'])
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('no migration named "no_such_migration"')
  })

  it('needs --database-url', async () => {
    const run = await roundtrip(['migrate'])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('migrate needs --database-url')
  })

  it('rejects a URL that is not a PostgreSQL URL', async () => {
    const run = await roundtrip(['migrate', '--database-url', 'http://example.invalid/x'])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('database url rejected: the scheme is "http", not postgres')
  })
})
