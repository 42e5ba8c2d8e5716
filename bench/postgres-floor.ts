// PostgreSQL's own floor on the same rows: the snapshot as per-table COPY text loaded with
// `psql \copy` (or COPY FROM STDIN through pg-copy-streams when psql is missing), and
// `pg_dump --data-only` of the database our import filled.
import { spawnSync } from 'node:child_process'
import { createReadStream, createWriteStream, existsSync, type WriteStream } from 'node:fs'
import { readdir, stat, writeFile } from 'node:fs/promises'
import { once } from 'node:events'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import pg from 'pg'
import type { ModelRegistry, RegistryField } from '../harness/application/model-registry.ts'
import { readBackupEntries } from '../harness/backup/read-backup.ts'
import { quoteIdentifier } from '../harness/database/database-names.ts'
import { runCommand } from './run-step.ts'

export interface ClientTool {
  readonly path: string
  readonly major: number
  readonly version: string
}

export interface ClientTools {
  readonly psql: ClientTool | undefined
  readonly pgDump: ClientTool | undefined
  /** Why a tool cannot be used, when it cannot. */
  readonly psqlProblem: string | undefined
  readonly pgDumpProblem: string | undefined
}

/**
 * Finds psql and pg_dump (PATH, then Debian's /usr/lib/postgresql/<major>/bin, newest first).
 * pg_dump refuses a server of a newer major than its own, so an older one counts as missing.
 */
export async function findClientTools(serverMajor: number): Promise<ClientTools> {
  const psql = await findTool('psql')
  const pgDump = await findTool('pg_dump', serverMajor)
  return {
    psql,
    pgDump,
    psqlProblem: psql ? undefined : 'psql not found (scripts/install-bench-tools.sh installs postgresql-client)',
    pgDumpProblem: pgDump
      ? undefined
      : `no pg_dump of major ${serverMajor} or later found (scripts/install-bench-tools.sh installs postgresql-client)`,
  }
}

async function findTool(name: string, minMajor = 0): Promise<ClientTool | undefined> {
  const candidates: string[] = []
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir) candidates.push(path.join(dir, name))
  const debian = '/usr/lib/postgresql'
  if (existsSync(debian)) {
    const majors = (await readdir(debian)).filter((d) => /^\d+$/.test(d)).sort((a, b) => Number(b) - Number(a))
    for (const major of majors) candidates.push(path.join(debian, major, 'bin', name))
  }
  for (const candidate of candidates) {
    if (!existsSync(candidate)) continue
    const result = spawnSync(candidate, ['--version'], { encoding: 'utf8' })
    const match = /\(PostgreSQL\)\s+((\d+)[.\d]*)/.exec(result.stdout ?? '')
    if (!match) continue
    const major = Number(match[2])
    if (major >= minMajor) return { path: candidate, major, version: match[1]! }
  }
  return undefined
}

export interface CopyTable {
  readonly table: string
  readonly columns: readonly string[]
  readonly file: string
  rows: number
}

export interface CopyFiles {
  /** In the order the models first appear in the snapshot: its dependency order. */
  readonly tables: readonly CopyTable[]
  readonly bytes: number
  readonly ms: number
}

/** Column text of each field type, as PostgreSQL's COPY parses it for that column. */
function columnText(field: RegistryField | undefined, value: unknown): string {
  if (value === null || value === undefined) return '\\N'
  let text: string
  if (field?.type === 'json' || (typeof value === 'object' && value !== null)) text = JSON.stringify(value)
  else if (typeof value === 'boolean') text = value ? 't' : 'f'
  else if (field?.type === 'bytes') text = `\\x${Buffer.from(String(value), 'base64').toString('hex')}`
  else text = String(value)
  return escapeCopy(text)
}

const COPY_SPECIALS = /[\\\n\r\t]/
const COPY_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' }

function escapeCopy(text: string): string {
  return COPY_SPECIALS.test(text) ? text.replace(/[\\\n\r\t]/g, (c) => COPY_ESCAPES[c]!) : text
}

/**
 * Streams the snapshot into one COPY text file per table, with the same columns our import
 * writes: the primary key and every field the rows carry (a relation's field under its column).
 */
export async function writeCopyFiles(snapshot: string, registry: ModelRegistry, dir: string): Promise<CopyFiles> {
  const started = performance.now()
  interface Open extends CopyTable {
    readonly fields: readonly (readonly [string, RegistryField | undefined])[]
    readonly stream: WriteStream
    buffer: string
  }
  const open = new Map<string, Open>()
  const flush = async (table: Open) => {
    if (table.buffer === '') return
    const ok = table.stream.write(table.buffer)
    table.buffer = ''
    if (!ok) await once(table.stream, 'drain')
  }
  try {
    for await (const entry of readBackupEntries(snapshot)) {
      const { model: name, pk, fields } = entry.value as { model: string; pk: unknown; fields: Record<string, unknown> }
      let table = open.get(name)
      if (!table) {
        const model = registry.get(name)
        if (!model) throw new Error(`the snapshot has rows of ${name}, which the application does not model`)
        // The first row's fields fix the columns; the generator gives every row of a model the same.
        const names = Object.keys(fields)
        const file = path.join(dir, `${String(open.size).padStart(2, '0')}-${model.table}.copy`)
        table = {
          table: model.table,
          columns: [model.pkColumn, ...names.map((n) => model.fieldsByName.get(n)?.column ?? n)],
          fields: names.map((n) => [n, model.fieldsByName.get(n)] as const),
          file,
          rows: 0,
          stream: createWriteStream(file),
          buffer: '',
        }
        open.set(name, table)
      }
      let line = escapeCopy(String(pk))
      for (const [key, field] of table.fields) line += `\t${columnText(field, fields[key])}`
      table.buffer += `${line}\n`
      table.rows += 1
      if (table.buffer.length > 1 << 16) await flush(table)
    }
    for (const table of open.values()) {
      await flush(table)
      table.stream.end()
      await once(table.stream, 'finish')
    }
  } finally {
    for (const table of open.values()) table.stream.destroy()
  }
  const tables = [...open.values()].map(({ table, columns, file, rows }) => ({ table, columns, file, rows }))
  let bytes = 0
  for (const table of tables) bytes += (await stat(table.file)).size
  return { tables, bytes, ms: performance.now() - started }
}

export interface FloorTiming {
  readonly ms: number
  readonly maxRssMb: number | undefined
  /** How it was done: `psql \copy` or `COPY FROM STDIN (pg-copy-streams)`, `pg_dump 15.18`. */
  readonly via: string
  readonly bytes?: number
}

/**
 * Loads the COPY files into `databaseUrl` (a fresh clone of the migrated template) in one
 * transaction, tables in dependency order, constraints checked as our import has them checked.
 */
export async function copyLoad(files: CopyFiles, databaseUrl: string, psql: ClientTool | undefined, scratch: string): Promise<FloorTiming> {
  const copyOf = (t: CopyTable) => `${quoteIdentifier(t.table)} (${t.columns.map(quoteIdentifier).join(', ')})`
  if (psql) {
    const script = path.join(scratch, 'copy.sql')
    const lines = files.tables.map((t) => `\\copy ${copyOf(t)} FROM '${t.file.replaceAll("'", "''")}'`)
    await writeFile(script, `${lines.join('\n')}\n`)
    const result = await runCommand(psql.path, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '--single-transaction', '-f', script, '-d', databaseUrl])
    return { ms: result.ms, maxRssMb: result.maxRssMb, via: `psql ${psql.version} \\copy` }
  }
  const { from: copyFrom } = await import('pg-copy-streams')
  const client = new pg.Client({ connectionString: databaseUrl })
  const started = performance.now()
  await client.connect()
  try {
    await client.query('BEGIN')
    for (const t of files.tables) await pipeline(createReadStream(t.file), client.query(copyFrom(`COPY ${copyOf(t)} FROM STDIN`)))
    await client.query('COMMIT')
  } finally {
    await client.end()
  }
  return { ms: performance.now() - started, maxRssMb: undefined, via: 'COPY FROM STDIN (pg-copy-streams; no psql)' }
}

/** `pg_dump --data-only` of a database, in plain SQL (COPY blocks) to `destination`. */
export async function pgDumpData(databaseUrl: string, destination: string, pgDump: ClientTool): Promise<FloorTiming> {
  const result = await runCommand(pgDump.path, ['--data-only', '--format=plain', '--no-owner', '--no-privileges', '-f', destination, '-d', databaseUrl])
  return { ms: result.ms, maxRssMb: result.maxRssMb, via: `pg_dump ${pgDump.version}`, bytes: (await stat(destination)).size }
}
