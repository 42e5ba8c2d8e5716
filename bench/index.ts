// `npm run bench [-- --sizes 10000,100000 --skip django]`: performance of import, export,
// validate and check at several sizes, against PostgreSQL's own floor (COPY, pg_dump), Django's
// loaddata/dumpdata and three diff libraries, on the same rows in one run. Prints the tables and
// the targets and writes bench/results.json. Nothing is asserted: a figure that cannot be
// had is printed as skipped or failed with the reason, and the run goes on.
//
// Each measured step runs in a child process of its own (bench/steps/worker.ts), so its peak RSS
// is its own. This process starts one embedded server, generates each snapshot once (cached in
// the temporary directory), and keeps one imported database per size for export and pg_dump.
import { spawnSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { loadApplication } from '../harness/application/load-application.ts'
import type { DatabaseServer } from '../harness/database/database-server.ts'
import { cleanupOnSignal } from '../harness/database/cleanup-on-exit.ts'
import { startServer } from '../harness/database/start-server.ts'
import { cloneDatabase, createSchemaTemplate } from '../harness/schema/template.ts'
import { benchBoot } from './boot.ts'
import { coldCheck, FRESH_INSTALL } from './check-timing.ts'
import { benchDjango, findDjango } from './django.ts'
import { parseBenchOptions, USAGE, type BenchOptions } from './options.ts'
import { attempt, ok, skipped, valueOf, type Outcome } from './outcome.ts'
import { copyLoad, findClientTools, pgDumpData, writeCopyFiles, type ClientTools } from './postgres-floor.ts'
import { computeTargets, formatReport } from './report.ts'
import type { BenchResults, DiffResult, SizeResult, WarmCheck } from './results.ts'
import { runStep } from './run-step.ts'
import { cachedSnapshot, SNAPSHOT_CACHE_DIR } from './snapshot-cache.ts'

const ROOT = path.join(import.meta.dirname, '..')
const MB = 1e6

const started = performance.now()
const loadAtStart = os.loadavg()[0] ?? 0
let options: BenchOptions
try {
  const parsed = parseBenchOptions(process.argv.slice(2), path.join(import.meta.dirname, 'results.json'))
  if (parsed === 'help') {
    process.stdout.write(`${USAGE}\n`)
    process.exit(0)
  }
  options = parsed
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`)
  process.exit(2)
}

const progress = (text: string) => process.stderr.write(`bench: ${text}\n`)
const s = (ms: number) => ms / 1000

const install = installTools(options)
const application = await loadApplication({ dir: path.join(ROOT, 'prisma') })

const boot = options.skip.has('boot') ? skipped<never>('--skip boot') : await attempt('boot', () => benchBoot({ print: false }))

progress('starting the embedded server')
const server = await startServer({ provider: 'embedded' })
const work = await mkdtemp(path.join(os.tmpdir(), 'rt-bench-run-'))
const unregister = cleanupOnSignal(() => rm(work, { recursive: true, force: true }))
let results: BenchResults
try {
  const template = await createSchemaTemplate(server, { migrations: application.migrations })
  const tools = await findClientTools(server.majorVersion)
  const django = findDjango()

  const sizes: SizeResult[] = []
  for (const rows of options.sizes) sizes.push(await benchSize(rows, server, template.name, tools, django))

  const diff = await benchDiff(sizes)
  const warmCheck = options.skip.has('warm') ? skipped<WarmCheck>('--skip warm') : await benchWarmCheck(server)
  progress('cold check (fresh CLI processes)')
  const coldSkip = options.skip.has('cold') ? skipped<never>('--skip cold') : undefined
  const cold = coldSkip ?? (await attempt('cold check', () => coldCheck(options.coldRuns, false)))
  const coldNoCache = coldSkip ?? (await attempt('cold check without cluster cache', () => coldCheck(options.coldRuns, true)))

  const partial = {
    machine: {
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
      memoryGb: Math.round(os.totalmem() / 2 ** 30),
      date: new Date().toISOString(),
      server: server.description,
      loadAverage: { start: round(loadAtStart), end: round(os.loadavg()[0] ?? 0) },
    },
    options: { ...options, skip: [...options.skip], snapshotCache: SNAPSHOT_CACHE_DIR },
    tools: {
      install,
      psql: tools.psql ? `psql ${tools.psql.version} (${tools.psql.path})` : null,
      pgDump: tools.pgDump ? `pg_dump ${tools.pgDump.version} (${tools.pgDump.path})` : null,
      django: django.version ? `Django ${django.version} (/usr/bin/python3)` : null,
    },
    boot,
    sizes,
    diff,
    warmCheck,
    coldCheck: cold,
    coldCheckNoCache: coldNoCache,
  }
  results = { ...partial, targets: computeTargets(partial), totalS: s(performance.now() - started) }
} finally {
  await server.dispose()
  await rm(work, { recursive: true, force: true })
  unregister()
}

process.stdout.write(`\n${formatReport(results)}`)
await writeFile(options.out, `${JSON.stringify(results, null, 2)}\n`)
const shown = path.relative(process.cwd(), options.out)
process.stdout.write(`wrote ${shown.startsWith('..') ? path.resolve(options.out) : shown}\n`)

// ---------------------------------------------------------------------------------------------

/** Runs scripts/install-bench-tools.sh (apt) unless skipped; returns what it said. */
function installTools(opts: BenchOptions): string {
  if (opts.skip.has('install')) return 'skipped (--skip install)'
  progress('checking the Debian tools (scripts/install-bench-tools.sh)')
  const result = spawnSync('bash', [path.join(ROOT, 'scripts', 'install-bench-tools.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  const said = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim()
  if (said) process.stderr.write(`${said}\n`)
  return said || (result.error ? `could not run: ${result.error.message}` : `exit ${result.status}`)
}

async function benchSize(rows: number, srv: DatabaseServer, template: string, tools: ClientTools, django: ReturnType<typeof findDjango>): Promise<SizeResult> {
  const label = `${rows.toLocaleString('en-US')} rows`
  progress(`${label}: snapshot`)
  const snapshot = await cachedSnapshot(rows, options.seed)
  if (snapshot.generatedMs !== undefined) progress(`${label}: generated ${(snapshot.bytes / MB).toFixed(1)} MB in ${s(snapshot.generatedMs).toFixed(1)} s`)
  const timeoutMs = options.stepTimeoutMs
  const dir = await mkdtemp(path.join(work, `${rows}-`))
  const imported = await cloneDatabase(srv, template)
  try {
    progress(`${label}: import`)
    const importStep = await attempt(`import at ${label}`, () => runStep('import', { snapshot: snapshot.file, databaseUrl: imported.url }, { timeoutMs }))
    const importFigure = map(importStep, (r) => ({ s: s(r.ms), rowsPerS: rows / s(r.ms), maxRssMb: r.maxRssMb, baseRssMb: r.baseRssMb }))

    const exported = path.join(dir, 'export.json')
    let exportFigure: SizeResult['export'] = skipped('import failed')
    let validateFigure: SizeResult['validate'] = skipped('import failed')
    if (importStep.status === 'ok') {
      progress(`${label}: export`)
      const step = await attempt(`export at ${label}`, () => runStep('export', { databaseUrl: imported.url, destination: exported }, { timeoutMs }))
      exportFigure = map(step, (r) => ({ s: s(r.ms), bytes: r.detail.bytes, mbPerS: r.detail.bytes / MB / s(r.ms), maxRssMb: r.maxRssMb, baseRssMb: r.baseRssMb }))
      validateFigure = skipped('export failed')
      if (step.status === 'ok') {
        progress(`${label}: validate`)
        const v = await attempt(`validate at ${label}`, () => runStep('validate', { left: snapshot.file, right: exported }, { timeoutMs }))
        validateFigure = map(v, (r) => ({ s: s(r.ms), rowsPerS: r.detail.rows / s(r.ms), findings: r.detail.findings, maxRssMb: r.maxRssMb, baseRssMb: r.baseRssMb }))
      }
    }
    await rm(exported, { force: true })
    const roundTrip = valueOf(importFigure) && valueOf(exportFigure) && valueOf(validateFigure)
      ? ok({ s: valueOf(importFigure)!.s + valueOf(exportFigure)!.s + valueOf(validateFigure)!.s })
      : skipped<{ s: number }>('a step of the round trip failed')

    let check: SizeResult['check'] = skipped('--skip check')
    if (!options.skip.has('check')) {
      progress(`${label}: check`)
      const c = await attempt(`check at ${label}`, () => runStep('check', { snapshot: snapshot.file, serverUrl: srv.maintenanceUrl }, { timeoutMs }))
      check = map(c, (r) => ({ s: s(r.ms), passed: r.detail.passed, findings: r.detail.findings, maxRssMb: r.maxRssMb, baseRssMb: r.baseRssMb }))
    }

    const copy = await benchCopy(label, snapshot.file, srv, template, tools, dir, valueOf(importFigure)?.s)
    const pgDump = await benchPgDump(label, imported.url, tools, dir, importStep.status === 'ok', valueOf(exportFigure)?.s)
    const djangoFigure = await benchDjangoAt(label, rows, snapshot.file, srv, django, dir, valueOf(importFigure)?.s, valueOf(exportFigure)?.s)

    return {
      rows,
      snapshot: { file: snapshot.file, bytes: snapshot.bytes, generatedS: snapshot.generatedMs === undefined ? null : s(snapshot.generatedMs) },
      import: importFigure,
      export: exportFigure,
      validate: validateFigure,
      roundTrip,
      check,
      copy,
      pgDump,
      django: djangoFigure,
    }
  } finally {
    await imported.dispose().catch(() => {})
    await rm(dir, { recursive: true, force: true })
  }
}

async function benchCopy(label: string, snapshot: string, srv: DatabaseServer, template: string, tools: ClientTools, dir: string, importS: number | undefined): Promise<SizeResult['copy']> {
  if (options.skip.has('copy')) return skipped('--skip copy')
  progress(`${label}: COPY floor`)
  const scratch = await mkdtemp(path.join(dir, 'copy-'))
  try {
    return await attempt(`COPY at ${label}`, async () => {
      const files = await writeCopyFiles(snapshot, application.registry, scratch)
      const clone = await cloneDatabase(srv, template)
      try {
        const t = await copyLoad(files, clone.url, tools.psql, scratch)
        return { s: s(t.ms), via: t.via, maxRssMb: t.maxRssMb ?? null, convertS: s(files.ms), copyBytes: files.bytes, ratio: importS === undefined ? null : importS / s(t.ms) }
      } finally {
        await clone.dispose()
      }
    })
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
}

async function benchPgDump(label: string, url: string, tools: ClientTools, dir: string, imported: boolean, exportS: number | undefined): Promise<SizeResult['pgDump']> {
  if (options.skip.has('pgdump')) return skipped('--skip pgdump')
  if (!tools.pgDump) return skipped(tools.pgDumpProblem ?? 'no pg_dump')
  if (!imported) return skipped('import failed, so there is no database to dump')
  progress(`${label}: pg_dump floor`)
  const file = path.join(dir, 'pg_dump.sql')
  try {
    return await attempt(`pg_dump at ${label}`, async () => {
      const t = await pgDumpData(url, file, tools.pgDump!)
      return { s: s(t.ms), via: t.via, maxRssMb: t.maxRssMb ?? null, bytes: t.bytes ?? 0, ratio: exportS === undefined ? null : exportS / s(t.ms) }
    })
  } finally {
    await rm(file, { force: true })
  }
}

async function benchDjangoAt(label: string, rows: number, snapshot: string, srv: DatabaseServer, django: ReturnType<typeof findDjango>, dir: string, importS: number | undefined, exportS: number | undefined): Promise<SizeResult['django']> {
  if (options.skip.has('django')) return skipped('--skip django')
  if (!django.version) return skipped(django.problem ?? 'Django is not available')
  if (rows > options.djangoMaxRows) {
    return skipped(`loaddata saves row by row (two queries a row), so it runs only up to ${options.djangoMaxRows.toLocaleString('en-US')} rows (--django-max-rows)`)
  }
  progress(`${label}: Django loaddata/dumpdata`)
  const file = path.join(dir, 'django-dump.json')
  try {
    return await attempt(`Django at ${label}`, async () => {
      const t = await benchDjango(srv, snapshot, file, options.stepTimeoutMs)
      return {
        version: `Django ${django.version}`,
        setupS: s(t.setupMs),
        loaddataS: s(t.loaddataMs),
        loaddataRssMb: t.loaddataRssMb ?? null,
        dumpdataS: s(t.dumpdataMs),
        dumpdataRssMb: t.dumpdataRssMb ?? null,
        dumpBytes: t.dumpBytes,
        rows: t.rows,
        loaddataRatio: importS === undefined ? null : importS / s(t.loaddataMs),
        dumpdataRatio: exportS === undefined ? null : exportS / s(t.dumpdataMs),
      }
    })
  } finally {
    await rm(file, { force: true })
  }
}

/** The diff libraries on pairs of rows of the largest snapshot (at most --diff-pairs of them). */
async function benchDiff(sizes: readonly SizeResult[]): Promise<Outcome<DiffResult>> {
  if (options.skip.has('diff')) return skipped('--skip diff')
  const largest = sizes.at(-1)
  if (!largest) return skipped('no size measured')
  progress(`diff libraries on ${Math.min(options.diffPairs, largest.rows).toLocaleString('en-US')} row pairs`)
  return attempt('diff libraries', async () => {
    const r = await runStep('diff', { snapshot: largest.snapshot.file, rows: largest.rows, pairs: options.diffPairs, changedFraction: 0.01 }, { timeoutMs: options.stepTimeoutMs })
    const fastest = Math.min(...r.detail.libraries.map((l) => l.ms))
    const ours = r.detail.libraries.find((l) => l.name.startsWith('ours'))
    return {
      snapshotRows: largest.rows,
      pairs: r.detail.pairs,
      changedPairs: r.detail.changedPairs,
      libraries: r.detail.libraries.map((l) => ({
        name: l.name,
        ms: l.ms,
        usPerPair: (l.ms * 1000) / r.detail.pairs,
        ratioToFastest: l.ms / fastest,
        oursOverThis: ours ? ours.ms / l.ms : null,
        pairsDiffering: l.pairsDiffering,
        records: l.records,
      })),
    }
  })
}

async function benchWarmCheck(srv: DatabaseServer): Promise<Outcome<WarmCheck>> {
  progress('warm check (check() with a running server)')
  return attempt('warm check', async () => {
    const r = await runStep('warm-check', { snapshot: path.join(ROOT, FRESH_INSTALL), serverUrl: srv.maintenanceUrl, repeats: options.warmRuns }, { timeoutMs: options.stepTimeoutMs })
    return { s: s(r.ms), firstS: s(r.detail.firstMs), runsS: r.detail.allMs.map(s), passed: r.detail.passed, maxRssMb: r.maxRssMb }
  })
}

function round(value: number): number {
  return Math.round(value * 100) / 100
}

function map<T, R>(outcome: Outcome<T>, fn: (value: T) => R): Outcome<R> {
  return outcome.status === 'ok' ? ok(fn(outcome.value)) : outcome
}
