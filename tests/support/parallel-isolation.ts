import pg from 'pg'
import { expect, inject } from 'vitest'
import { cloneReferenceDatabase, connectSharedServer } from './shared-server.ts'

/**
 * Run from several test files at once: each writes a marker into its own clone, waits long
 * enough for the others to do the same, and must still see only its own marker.
 */
export async function checkIsolation(marker: string): Promise<string> {
  await using server = await connectSharedServer()
  await using clone = await cloneReferenceDatabase(server)
  const client = new pg.Client({ connectionString: clone.url })
  await client.connect()
  try {
    await client.query(
      `INSERT INTO sentry_option (key, last_updated, last_updated_by, value) VALUES ($1, now(), 'unknown', '1')`,
      [marker],
    )
    await new Promise((resolve) => setTimeout(resolve, 500))
    const keys = (await client.query<{ key: string }>('SELECT key FROM sentry_option')).rows.map((r) => r.key)
    expect(keys).toEqual([marker])
    expect(clone.name).not.toBe(inject('roundtripServer').template)
    return clone.name
  } finally {
    await client.end()
  }
}
