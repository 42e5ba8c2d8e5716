import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateSnapshot } from '../bench/generate-snapshot.ts'
import { parseBenchOptions } from '../bench/options.ts'
import { copyLoad, findClientTools, writeCopyFiles } from '../bench/postgres-floor.ts'
import { computeTargets, formatTable } from '../bench/report.ts'
import { ok, skipped } from '../bench/outcome.ts'
import type { SizeResult } from '../bench/results.ts'
import type { DatabaseServer } from '../harness/database/database-server.ts'
import { importBackup } from '../harness/import/import-backup.ts'
import { databaseFingerprint, referenceApplication } from './support/reference-app.ts'
import { cloneReferenceDatabase, connectSharedServer } from './support/shared-server.ts'

describe('the bench COPY floor', () => {
  let server: DatabaseServer
  let dir: string
  let snapshot: string
  beforeAll(async () => {
    server = await connectSharedServer()
    dir = await mkdtemp(path.join(os.tmpdir(), 'rt-bench-floor-'))
    snapshot = path.join(dir, 'snapshot.json')
    await generateSnapshot(snapshot, { rows: 2_000, seed: 5 })
  })
  afterAll(async () => {
    await server.dispose()
    await rm(dir, { recursive: true, force: true })
  })

  it('loads the very rows our import writes, with psql and without', async () => {
    const application = await referenceApplication()
    const files = await writeCopyFiles(snapshot, application.registry, await mkdtemp(path.join(dir, 'copy-')))
    expect(files.tables.reduce((n, t) => n + t.rows, 0)).toBe(2_000)

    await using imported = await cloneReferenceDatabase(server)
    await importBackup({ application, databaseUrl: imported.url, source: snapshot })
    const expected = await databaseFingerprint(imported.url)

    await using streamed = await cloneReferenceDatabase(server)
    const viaStream = await copyLoad(files, streamed.url, undefined, dir)
    expect(viaStream.via).toContain('pg-copy-streams')
    expect(await databaseFingerprint(streamed.url)).toBe(expected)

    const { psql } = await findClientTools(server.majorVersion)
    if (psql) {
      await using copied = await cloneReferenceDatabase(server)
      await copyLoad(files, copied.url, psql, dir)
      expect(await databaseFingerprint(copied.url)).toBe(expected)
    }
  })
})

describe('the bench report', () => {
  it('aligns columns: text left, numbers right', () => {
    expect(formatTable(['name', 'n'], [['a', '1'], ['bbb', '22']]).split('\n')).toEqual([
      '  name   n',
      '  ----  --',
      '  a      1',
      '  bbb   22',
    ])
  })

  it('says which targets are met, missed, or not measured and why', () => {
    const size = (rows: number, importRss: number): SizeResult => ({
      rows,
      snapshot: { file: 'x', bytes: 1, generatedS: null },
      import: ok({ s: 10, rowsPerS: rows / 10, maxRssMb: importRss, baseRssMb: 140 }),
      export: ok({ s: 5, bytes: 1, mbPerS: 1, maxRssMb: 200, baseRssMb: 140 }),
      validate: ok({ s: 2, rowsPerS: rows / 2, findings: 0, maxRssMb: 400, baseRssMb: 140 }),
      roundTrip: ok({ s: 17 }),
      check: skipped('--skip check'),
      copy: ok({ s: 4, via: 'psql', maxRssMb: null, convertS: 1, copyBytes: 1, ratio: 2.5 }),
      pgDump: skipped('no pg_dump'),
      django: skipped('--skip django'),
    })
    const targets = computeTargets({
      machine: { node: '', platform: '', cpus: 2, cpuModel: '', memoryGb: 1, date: '', server: '', loadAverage: { start: 0, end: 0 } },
      options: {},
      tools: { install: '', psql: null, pgDump: null, django: null },
      boot: skipped('--skip boot'),
      sizes: [size(100_000, 200), size(1_000_000, 290)],
      diff: skipped('--skip diff'),
      warmCheck: skipped('--skip warm'),
      coldCheck: skipped('--skip cold'),
      coldCheckNoCache: skipped('--skip cold'),
    })
    const status = (prefix: string) => targets.find((t) => t.target.startsWith(prefix))
    expect(status('1M-row round trip')).toMatchObject({ status: 'met', measured: '17.0 s' })
    expect(status('import within 2x COPY')).toMatchObject({ status: 'NOT met', measured: '2.50x' })
    expect(status('export within 5x')).toMatchObject({ status: 'not measured', note: 'pg_dump skipped: no pg_dump' })
    expect(status('validate >= 300,000')).toMatchObject({ status: 'met' })
    expect(status('import peak RSS at 1M')).toMatchObject({ status: 'met', measured: '290 MB' })
    expect(status('import RSS at 1M <= 1.5x')).toMatchObject({ status: 'met' })
    expect(status('warm check')).toMatchObject({ status: 'not measured', note: 'skipped: --skip warm' })
  })

  it('reads --sizes and --skip, and refuses what it does not know', () => {
    const options = parseBenchOptions(['--sizes', '100000,10_000', '--skip', 'django,cold'], 'out.json')
    expect(options).toMatchObject({ sizes: [10_000, 100_000], out: 'out.json' })
    expect(options !== 'help' && [...options.skip]).toEqual(['django', 'cold'])
    expect(() => parseBenchOptions(['--skip', 'everything'], 'out.json')).toThrow('--skip everything: unknown')
  })
})
