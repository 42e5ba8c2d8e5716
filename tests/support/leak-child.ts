// A process that starts a server and then ends in the way the test asks for, so the test can
// check from outside that nothing outlives it. Usage: leak-child.ts <provider> <ending>
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import pg from 'pg'
import { startPostgres } from '../../harness/database/start-server.ts'
import type { ProviderName } from '../../harness/database/types.ts'

const [provider, ending] = process.argv.slice(2) as [ProviderName, 'dispose' | 'throw' | 'wait']
const postgres = await startPostgres({ provider })
const client = new pg.Client({ connectionString: postgres.url })
await client.connect()
const dataDirectory = (await client.query<{ d: string }>("SELECT current_setting('data_directory') AS d")).rows[0]!.d
await client.end()
let postmasterPid: number | undefined
if (provider === 'embedded') {
  postmasterPid = Number((await readFile(path.join(dataDirectory, 'postmaster.pid'), 'utf8')).split('\n')[0])
}
process.stdout.write(`${JSON.stringify({ url: postgres.url, dataDirectory, postmasterPid, pid: process.pid })}\n`)

if (ending === 'dispose') await postgres.dispose()
if (ending === 'throw') throw new Error('deliberate failure after start')
if (ending === 'wait') setInterval(() => {}, 1_000) // until a signal arrives
