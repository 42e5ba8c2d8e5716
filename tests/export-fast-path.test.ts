import { PassThrough, Writable } from 'node:stream'
import pg from 'pg'
import { to as copyTo } from 'pg-copy-streams'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FieldType, RegistryField, RegistryModel } from '../harness/application/model-registry.ts'
import { formatBackup, PythonFloat, RawJson } from '../harness/backup/write-backup.ts'
import type { DatabaseServer, OwnedDatabase } from '../harness/database/database-server.ts'
import { AsciiOutput } from '../harness/export/ascii-output.ts'
import { CopyBinaryReader, type CopyRowSink } from '../harness/export/copy-binary.ts'
import { BackupArray, EntryWriter } from '../harness/export/entry-writer.ts'
import { exportBackup } from '../harness/export/export-backup.ts'
import { exportQuery, sqlLiteral } from '../harness/export/export-query.ts'
import { importBackup } from '../harness/import/import-backup.ts'
import { SparseBitset } from '../harness/import/pk-map.ts'
import { generateSnapshot } from '../bench/generate-snapshot.ts'
import { exportToString } from './support/backup-io.ts'
import { query, referenceApplication } from './support/reference-app.ts'
import { cloneReferenceDatabase, connectSharedServer } from './support/shared-server.ts'
import path from 'node:path'
import { tempPath } from './support/temp.ts'

/**
 * The export formats values in JavaScript from binary COPY data (export-query.ts,
 * entry-writer.ts). These tests hold it to the straightforward way it replaced: SELECT the value
 * as node-postgres returns it, build the fields object, format it with `formatBackup`.
 */

const STRINGS = [
  '',
  'plain ascii',
  'quote " backslash \\ slash /',
  'controls \x01\x08\x09\x0a\x0c\x0d\x1f end',
  'del \x7f end',
  'latin é, greek Ω, cjk 名前',
  'astral 🚀 and 𝄞',
  'separators \u2028\u2029 and \uffff',
]

// Each value is written as SQL; `null` rows are added separately.
const TIMESTAMPS = [
  '2000-01-01 00:00:00+00',
  '1999-12-31 23:59:59.999999+00',
  '1970-01-01 00:00:00.0005+00',
  '2023-06-15 12:34:56.789999+00',
  '0001-01-01 00:00:00+00',
  '9999-12-31 23:59:59.999+00',
  '2300-07-01 01:02:03.456789+00',
  '1650-02-28 23:00:00.001+00',
  '10000-01-01 00:00:00+00',
  '0044-03-15 12:00:00+00 BC',
  '4713-11-24 00:00:00+00 BC',
  '294276-12-31 23:59:59.999999+00',
  'infinity',
  '-infinity',
]

const COLUMNS: readonly (readonly [string, string, FieldType, string | undefined])[] = [
  ['t_text', 'text', 'string', 'Text'],
  ['t_varchar', 'varchar(80)', 'string', 'VarChar'],
  ['t_char', 'char(6)', 'string', 'Char'],
  ['t_uuid', 'uuid', 'string', 'Uuid'],
  ['t_enum', 'rt_mood', 'enum', undefined],
  ['t_int', 'int4', 'int', 'Integer'],
  ['t_small', 'int2', 'int', 'SmallInt'],
  ['t_big', 'int8', 'bigint', 'BigInt'],
  ['t_bool', 'bool', 'boolean', 'Boolean'],
  ['t_float', 'float8', 'float', 'DoublePrecision'],
  ['t_real', 'float4', 'float', 'Real'],
  ['t_numeric', 'numeric', 'decimal', 'Decimal'],
  ['t_bytes', 'bytea', 'bytes', 'ByteA'],
  ['t_date', 'date', 'datetime', 'Date'],
  ['t_ts', 'timestamp(6)', 'datetime', undefined],
  ['t_tstz', 'timestamptz', 'datetime', 'Timestamptz'],
  ['t_json', 'json', 'json', 'Json'],
  ['t_jsonb', 'jsonb', 'json', 'JsonB'],
]

/** A hand-made registry model over a table the test creates (the reference schema has no floats, enums, …). */
function modelOf(table: string, columns: typeof COLUMNS): RegistryModel {
  const fields: RegistryField[] = columns.map(([column, , type, nativeType]) => ({
    name: column.replace('t_', 'field_'),
    column,
    type,
    nativeType,
    maxLength: undefined,
    nullable: true,
    hasDefault: false,
    isEmail: false,
    foreignKey: undefined,
  }))
  return {
    name: `test.${table}`,
    prismaModel: table,
    table,
    pkColumn: 'id',
    fields,
    uniques: [],
    scopes: ['Global'],
    customOrdinal: [],
    dependsOn: [],
    deletedFields: [],
    renamedFields: new Map(),
    comparators: [],
    rules: { scope: 'Global' } as RegistryModel['rules'],
    fieldsByName: new Map(fields.map((f) => [f.name, f])),
  }
}

/** The model exported the way it was before the fast path: one SELECT, a fields object per row. */
async function exportedTheOldWay(url: string, model: RegistryModel, indent: number): Promise<string> {
  const select = (field: RegistryField) => {
    const column = `"${field.column}"`
    if (field.type === 'datetime') {
      return field.nativeType === 'Date'
        ? `to_char(${column}, 'YYYY-MM-DD')`
        : `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`
    }
    if (field.type === 'json' || field.type === 'decimal') return `${column}::text`
    if (field.type === 'bytes') return `encode(${column}, 'base64')`
    return column
  }
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const result = await client.query({
      text: `SELECT id, ${model.fields.map(select).join(', ')} FROM "${model.table}" ORDER BY id`,
      rowMode: 'array',
    })
    const entries = (result.rows as unknown[][]).map((row) => {
      const fields: Record<string, unknown> = {}
      model.fields.forEach((field, k) => {
        let value = row[k + 1]
        if (value !== null) {
          if (field.type === 'bigint') value = Number(value)
          else if (field.type === 'json') value = new RawJson(value as string)
          else if (field.type === 'float') value = new PythonFloat(value as number)
        }
        fields[field.name] = value
      })
      return { model: model.name, pk: Number(row[0]), fields }
    })
    return formatBackup(entries, { indent })
  } finally {
    await client.end()
  }
}

/**
 * The model exported through the fast path alone, with a small output buffer (so rows straddle
 * flushes) and the COPY data cut into pieces of `pieceSizes` bytes (so rows straddle chunks).
 */
async function exportedTheFastWay(url: string, model: RegistryModel, indent: number, pieceSizes?: readonly number[]): Promise<string> {
  const sink = new PassThrough()
  const chunks: Buffer[] = []
  sink.on('data', (chunk: Buffer) => chunks.push(chunk))
  const output = new AsciiOutput(sink, 256)
  const array = new BackupArray(output, indent)
  const exportQueryOf = exportQuery(model, undefined, indent)
  const writer: CopyRowSink = new EntryWriter(exportQueryOf, array, new Map(), new SparseBitset())
  const reader = new CopyBinaryReader(exportQueryOf.columns)
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const data: Buffer[] = []
    for await (const chunk of client.query(copyTo(exportQueryOf.sql)) as AsyncIterable<Buffer>) data.push(chunk)
    if (pieceSizes) {
      const all = Buffer.concat(data)
      for (let at = 0, k = 0; at < all.length; k++) {
        const size = pieceSizes[k % pieceSizes.length]!
        reader.push(all.subarray(at, at + size), writer)
        at += size
      }
    } else {
      for (const chunk of data) reader.push(chunk, writer)
    }
  } finally {
    await client.end()
  }
  reader.end()
  array.close()
  await output.close()
  sink.end()
  return Buffer.concat(chunks).toString('latin1')
}

describe('the export fast path', () => {
  let server: DatabaseServer
  let db: OwnedDatabase
  const model = modelOf('rt_all_types', COLUMNS)

  beforeAll(async () => {
    server = await connectSharedServer()
    db = await cloneReferenceDatabase(server)
    const rows: string[] = []
    const value = (k: number, list: readonly string[]) => list[k % list.length]!
    for (let k = 0; k < Math.max(STRINGS.length, TIMESTAMPS.length) * 2; k++) {
      rows.push(`(${[
        String((k + 1) * 3),
        sqlLiteral(value(k, STRINGS)),
        sqlLiteral(value(k + 1, STRINGS).slice(0, 80)),
        sqlLiteral(['ab', '', 'é', 'abcdef'][k % 4]!),
        `'${(k * 7919).toString(16).padStart(8, '0')}-0000-4000-8000-000000000000'`,
        `'${['calm', 'ünruhig', 'a"b'][k % 3]}'`,
        String([0, -1, 2147483647, -2147483648][k % 4]),
        String([0, -32768, 32767][k % 3]),
        String([0, -1, 9007199254740991, -9007199254740991, 1234567890123][k % 5]),
        ['true', 'false'][k % 2],
        `'${['2', '0.1', '1e16', '1e-05', '-0', 'NaN', 'Infinity', '-Infinity', '123456789012345680000', '0.0001', '1e22', '5e-324'][k % 12]}'`,
        `'${['0.1', '2', '3.4028235e38', '-1.5e-10'][k % 4]}'`,
        `'${['1.50', '-0.001', 'NaN', '12345678901234567890.123456789'][k % 4]}'`,
        `decode('${Buffer.from('x'.repeat(k * 9)).toString('base64')}', 'base64')`,
        `'${['2000-01-01', '0001-01-01', '9999-12-31', '1969-07-20'][k % 4]}'`,
        `'${['2000-01-01 00:00:00', '1999-12-31 23:59:59.9995', '2023-06-15 12:34:56.789'][k % 3]}'`,
        `'${value(k, TIMESTAMPS)}'`,
        sqlLiteral(['{"a": 1, "b": [1.0, 2.50, 1e400, 12345678901234567890], "a": {"c": null}}', '"text é \\u00e9 \\ud83d\\ude80"', '[]', '{}', '1.0', '[{"k": [[], {}]}]'][k % 6]!),
        sqlLiteral(['{"b": 1, "a": [true, false, null]}', '"x"', '0.1', '{"nested": {"deep": ["é"]}}'][k % 4]!),
      ].join(', ')})`)
    }
    const columns = COLUMNS.map(([name, type]) => `"${name}" ${type}`).join(', ')
    await query(db.url, `CREATE TYPE rt_mood AS ENUM ('calm', 'ünruhig', 'a"b')`)
    await query(db.url, `CREATE TABLE rt_all_types (id bigint PRIMARY KEY, ${columns})`)
    await query(db.url, `INSERT INTO rt_all_types (id, ${COLUMNS.map(([name]) => `"${name}"`).join(', ')}) VALUES ${rows.join(', ')}`)
    await query(db.url, 'INSERT INTO rt_all_types (id) VALUES (1000)')
  })
  afterAll(async () => {
    await db?.dispose()
    await server?.dispose()
  })

  it.each([2, 0, 4])('writes every column type as the SELECT-and-format export did (indent %i)', async (indent) => {
    const expected = await exportedTheOldWay(db.url, model, indent)
    expect(await exportedTheFastWay(db.url, model, indent)).toBe(expected)
  })

  it('writes the same bytes however the COPY data is cut into chunks', async () => {
    const whole = await exportedTheFastWay(db.url, model, 2)
    expect(await exportedTheFastWay(db.url, model, 2, [1])).toBe(whole)
    expect(await exportedTheFastWay(db.url, model, 2, [3, 1, 7, 19, 2, 64, 5])).toBe(whole)
  })

  it('writes timestamptz values exactly as to_char does, past 9999, BC and infinite ones included', async () => {
    const expected = await query<{ text: string | null }>(
      db.url,
      `SELECT to_char(t_tstz AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS text FROM rt_all_types ORDER BY id`,
    )
    // Read with a pattern: the entries hold Infinity and NaN floats, which JSON.parse refuses.
    const exported = [...(await exportedTheFastWay(db.url, model, 2)).matchAll(/"field_tstz": (null|"[^"]*")/g)].map((m) => JSON.parse(m[1]!) as string | null)
    expect(exported).toEqual(expected.map((row) => row.text))
    expect(exported).toContain('0044-03-15T12:00:00.000Z')
    expect(exported).toContain('294276-12-31T23:59:59.999Z')
  })

  it('prints a bigint beyond 2^53 with all its digits, as Python prints an int', async () => {
    const narrow = modelOf('rt_big', [['t_big', 'int8', 'bigint', 'BigInt']])
    await query(db.url, 'CREATE TABLE rt_big (id bigint PRIMARY KEY, t_big int8)')
    await query(db.url, 'INSERT INTO rt_big VALUES (1, 9223372036854775807), (2, -9007199254740993)')
    const text = await exportedTheFastWay(db.url, narrow, 2)
    expect(text).toContain('"field_big": 9223372036854775807')
    expect(text).toContain('"field_big": -9007199254740993')
  })

  it('quotes SQL constants the server reads back unchanged, whatever standard_conforming_strings says', async () => {
    const tricky = ["o'brien", 'back\\slash', "both \\' mixed", 'ünïcode', '']
    for (const setting of ['on', 'off']) {
      const client = new pg.Client({ connectionString: db.url })
      await client.connect()
      try {
        await client.query(`SET standard_conforming_strings = ${setting}`)
        const result = await client.query<{ v: string }>(`SELECT unnest(ARRAY[${tricky.map(sqlLiteral).join(', ')}]) AS v`)
        expect(result.rows.map((row) => row.v)).toEqual(tricky)
      } finally {
        await client.end()
      }
    }
  })
})

describe('exportBackup streaming', () => {
  let server: DatabaseServer
  let db: OwnedDatabase
  const application = referenceApplication()

  beforeAll(async () => {
    server = await connectSharedServer()
    db = await cloneReferenceDatabase(server)
    const source = tempPath('export-fast.json')
    await generateSnapshot(source, { rows: 20_000, seed: 5 })
    await importBackup({ application: await application, databaseUrl: db.url, source })
  })
  afterAll(async () => {
    await db?.dispose()
    await server?.dispose()
  })

  it('waits for a slow destination instead of buffering the export', async () => {
    const expected = (await exportToString({ application: await application, databaseUrl: db.url })).text
    const chunks: Buffer[] = []
    let mostBuffered = 0
    const slow = new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk)
        mostBuffered = Math.max(mostBuffered, slow.writableLength)
        setTimeout(done, 1)
      },
    })
    const summary = await exportBackup({ application: await application, databaseUrl: db.url, destination: slow })
    slow.end()
    expect(Buffer.concat(chunks).toString('latin1')).toBe(expected)
    expect(summary.bytes).toBe(expected.length)
    // A few of the output buffers the export hands over (1 MB each), not the whole export (~7 MB).
    expect(expected.length).toBeGreaterThan(6 << 20)
    expect(mostBuffered).toBeLessThanOrEqual(3 << 20)
  })

  it('fails with EXPORT_FAILED, promptly, when the destination fails in the middle', async () => {
    let written = 0
    const failing = new Writable({
      write(chunk: Buffer, _encoding, done) {
        written += chunk.length
        done(written > 1 << 20 ? new Error('disk full') : null)
      },
    })
    failing.on('error', () => {})
    await expect(exportBackup({ application: await application, databaseUrl: db.url, destination: failing })).rejects.toMatchObject({
      code: 'EXPORT_FAILED',
      message: expect.stringContaining('disk full'),
    })
    // The connection of the interrupted COPY goes away rather than being left streaming.
    const copying = async () =>
      Number((await query<{ n: string }>(db.url, `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'COPY%' AND pid <> pg_backend_pid()`))[0]!.n)
    for (let wait = 0; wait < 50 && (await copying()) > 0; wait++) await new Promise((resolve) => setTimeout(resolve, 100))
    expect(await copying()).toBe(0)
  })

  it('leaves out a row whose foreign key points at a row that does not exist, unless nullIfTargetMissing names it', async () => {
    await using copy = await cloneReferenceDatabase(server)
    const app = await application
    const source = tempPath('export-fast-fk.json')
    await generateSnapshot(source, { rows: 3_000, seed: 5 })
    await importBackup({ application: app, databaseUrl: copy.url, source })
    const [option] = await query<{ id: string }>(copy.url, 'UPDATE sentry_useroption SET project_id = 999999999 WHERE id = (SELECT min(id) FROM sentry_useroption) RETURNING id')
    const [member] = await query<{ id: string }>(copy.url, 'UPDATE sentry_organizationmember SET inviter_id = 999999999 WHERE id = (SELECT min(id) FROM sentry_organizationmember) RETURNING id')
    const { text, summary } = await exportToString({ application: app, databaseUrl: copy.url })
    const entries = JSON.parse(text) as { model: string; pk: number; fields: Record<string, unknown> }[]
    expect(entries.some((e) => e.model === 'sentry.useroption' && e.pk === Number(option!.id))).toBe(false)
    expect(summary.models.find((m) => m.model === 'sentry.useroption')!.droppedForeignKey).toBe(1)
    const kept = entries.find((e) => e.model === 'sentry.organizationmember' && e.pk === Number(member!.id))
    expect(kept?.fields.inviter_id).toBe(999999999)
    expect(summary.rows).toBe(2_999)
  })
})
