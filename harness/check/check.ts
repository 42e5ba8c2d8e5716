import { createWriteStream } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { finished } from 'node:stream/promises'
import { defaultComparators, type ComparatorMap } from '../../comparators/default-comparators.ts'
import type { Application } from '../application/load-application.ts'
import type { BackupEntry } from '../backup/backup-entry.ts'
import { readBackupEntries, readBackupRows } from '../backup/read-backup.ts'
import { openPlainBackup } from '../crypto/backup-files.ts'
import type { DatabaseServer } from '../database/database-server.ts'
import { startServer, type StartServerOptions } from '../database/start-server.ts'
import { exportBackup } from '../export/export-backup.ts'
import type { ComparatorFinding } from '../findings/comparator-findings.ts'
import { importBackup } from '../import/import-backup.ts'
import type { ProgressListener, ProgressUpdate } from '../progress/progress-events.ts'
import type { Migration } from '../schema/migrations.ts'
import { applyMigrations } from '../schema/migrator.ts'
import { cloneDatabase, createSchemaTemplate } from '../schema/template.ts'
import { validate, validateBackups, type ValidateCounts } from '../validate/validate.ts'
import {
  acceptedMatches,
  applyExpectations,
  expectationsPathFor,
  findStale,
  readExpectations,
  rowKey,
  type Expectations,
} from './expectations.ts'
import { loadTransform, runTransform } from './transforms.ts'

export interface CheckOptions {
  readonly application: Application
  /** Snapshot files to check, each in its own database. */
  readonly snapshots: readonly string[]
  /** Transform modules, run in order between import and export. Default: none. */
  readonly transforms?: readonly string[]
  /**
   * Import at the schema as of this migration, then run the remaining migrations before exporting
   * (a snapshot written by an older version of the application). Default: the latest schema.
   */
  readonly fromMigration?: string
  /**
   * The expectations file, for a single snapshot. Default: `<snapshot>.expect.json` beside each
   * snapshot when it exists, else no intended changes.
   */
  readonly expectations?: string
  /**
   * Where each snapshot's expectations file is (a config file's `expectations`). Ignored when
   * `expectations` is given. Default: `<snapshot>.expect.json`.
   */
  readonly expectationsFor?: (snapshot: string) => string
  /** Import→export cycles; with 2 or more the exports must also be byte-identical. Default: 1. */
  readonly cycles?: number
  /** A running server to use (the vitest integration shares one). Default: one is started. */
  readonly server?: DatabaseServer
  /** How to start the server when none is given. Default: automatic choice. */
  readonly serverOptions?: StartServerOptions
  /** Snapshots checked at once. Default: the number of CPUs. */
  readonly concurrency?: number
  /** Extra comparators (the default map otherwise). */
  readonly comparators?: ComparatorMap
  /**
   * The snapshots are encrypted tarballs (spec §6.1): decrypt them with this RSA private key (a
   * PEM file). Expectations stay beside the tarball (`x.tar` → `x.tar.expect.json`).
   * Default: the snapshots are JSON.
   */
  readonly decryptWith?: string
  /** Told how each snapshot's import and export are going (`subject` is the snapshot). */
  readonly onProgress?: ProgressListener
  /**
   * Keep every row of the snapshot and of the export in each `SnapshotCheck`, as `--update`
   * needs them. When false, a snapshot without expectations is validated straight from the files,
   * read side by side, and only the rows its findings name are kept (all that reports show), so
   * memory does not grow with the snapshot's rows. Default: true.
   */
  readonly keepRows?: boolean
}

/** The verdict on one snapshot. */
export interface SnapshotCheck {
  readonly snapshot: string
  readonly expectationsFile: string | undefined
  /** Differences that no comparator and no expectation accounts for. Empty means it passed. */
  readonly findings: readonly ComparatorFinding[]
  /** Findings the expectations accepted. */
  readonly accepted: readonly ComparatorFinding[]
  /** Expectations that did not come true. */
  readonly stale: readonly ComparatorFinding[]
  readonly counts: ValidateCounts
  readonly rows: { readonly snapshot: number; readonly exported: number }
  readonly durationMs: number
  readonly passed: boolean
  /**
   * The last export, for `--update` and reports. With `keepRows: false` and no expectations,
   * only the rows that findings name (this holds for `expected` and `original` too).
   */
  readonly exported: readonly BackupEntry[]
  /** The snapshot with its expectations applied: what the round trip should give back. */
  readonly expected: readonly BackupEntry[]
  /** The snapshot's rows as read (decrypted if need be), before any expectation. */
  readonly original: readonly BackupEntry[]
}

export interface CheckResult {
  readonly checks: readonly SnapshotCheck[]
  readonly passed: boolean
  /** Which server was used, and why. */
  readonly server: string
  /** The comparators the check ran: reports mark scrubbed fields and shorten secrets with them. */
  readonly comparators: ComparatorMap
}

/**
 * The round trip, per snapshot: a fresh database cloned from the migrated template → Global
 * import → transforms → Global export → `validate(expected, export)`, where `expected` is the
 * snapshot with its declared intended changes applied. Passes when nothing else differs and
 * every declared change happened.
 */
export async function check(options: CheckOptions): Promise<CheckResult> {
  const server = options.server ?? (await startServer(options.serverOptions))
  try {
    const templateAt = (to: string | undefined) => templateFor(server, options.application.migrations, to)
    const comparators = options.comparators ?? defaultComparators(options.application.registry)
    const transforms = await Promise.all((options.transforms ?? []).map(async (file) => ({ file, fn: await loadTransform(file) })))
    const concurrency = Math.max(1, options.concurrency ?? os.availableParallelism())
    const checks = await mapConcurrently(options.snapshots, concurrency, (snapshot) =>
      checkSnapshot(snapshot, { ...options, server, templateAt, comparators, transforms }),
    )
    return { checks, passed: checks.every((c) => c.passed), server: `${server.description} (${server.provider}: ${server.reason})`, comparators }
  } finally {
    if (!options.server) await server.dispose()
  }
}

/**
 * One template per server, migrations and schema version, built on first use and shared by the
 * snapshots of this check and of every later check on the same server (a test file's or a
 * watch-mode run's): a warm check clones instead of migrating again. A template that failed to
 * build is forgotten, so the next check tries again.
 */
const templatesByServer = new WeakMap<DatabaseServer, Map<string, Promise<string>>>()

function templateFor(server: DatabaseServer, migrations: readonly Migration[], to: string | undefined): Promise<string> {
  let templates = templatesByServer.get(server)
  if (!templates) templatesByServer.set(server, (templates = new Map()))
  const key = `${migrations.map((m) => `${m.name}:${m.checksum}`).join(',')}@${to ?? ''}`
  let template = templates.get(key)
  if (!template) {
    template = createSchemaTemplate(server, { migrations, to }).then((t) => t.name)
    templates.set(key, template)
    template.catch(() => templates.delete(key))
  }
  return template
}

interface SnapshotContext extends Omit<CheckOptions, 'transforms'> {
  readonly server: DatabaseServer
  readonly templateAt: (migration: string | undefined) => Promise<string>
  readonly comparators: ComparatorMap
  readonly transforms: readonly { file: string; fn: Awaited<ReturnType<typeof loadTransform>> }[]
}

async function checkSnapshot(snapshot: string, context: SnapshotContext): Promise<SnapshotCheck> {
  const started = performance.now()
  const { application } = context
  const expectationsFile = context.expectations ?? context.expectationsFor?.(snapshot) ?? expectationsPathFor(snapshot)
  const expectations = await readExpectations(expectationsFile)
  await using plain = await openPlainBackup(snapshot, context.decryptWith)
  // Without expectations the snapshot is what the export should be: no need to hold its rows.
  const streamed = context.keepRows === false && !hasAny(expectations)
  const original = streamed ? [] : await readBackupRows(plain.path)
  const expected = streamed ? original : applyExpectations(original, expectations, expectationsFile)
  const fromMigration = expectations.fromMigration ?? context.fromMigration
  const template = await context.templateAt(fromMigration)
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'roundtrip-check-'))
  try {
    const onProgress = context.onProgress && ((update: ProgressUpdate) => context.onProgress!({ ...update, subject: snapshot }))
    const cycles = Math.max(1, context.cycles ?? 1)
    const exports: string[] = []
    let source = plain.path
    for (let cycle = 1; cycle <= cycles; cycle += 1) {
      // Only the first cycle starts from an old schema; later ones re-import our own export.
      const oldSchema = cycle === 1 && fromMigration !== undefined
      await using db = await cloneDatabase(context.server, oldSchema ? template : await context.templateAt(undefined))
      await importBackup({ application, databaseUrl: db.url, source, allowPendingMigrations: oldSchema, onProgress })
      if (oldSchema) await applyMigrations(db.url, application.migrations)
      if (cycle === 1) {
        for (const { file, fn } of context.transforms) await runTransform(file, fn, { databaseUrl: db.url, snapshot, application })
      }
      const file = path.join(workDir, `export-${cycle}.json`)
      const stream = createWriteStream(file)
      await exportBackup({ application, databaseUrl: db.url, destination: stream, onProgress })
      stream.end()
      await finished(stream)
      exports.push(file)
      source = file
    }
    if (streamed) {
      const outcome = await checkFromFiles(plain.path, exports, context)
      return {
        snapshot,
        expectationsFile: undefined,
        ...outcome,
        accepted: [],
        stale: [],
        durationMs: performance.now() - started,
        passed: outcome.findings.length === 0,
      }
    }
    const exported = await readBackupRows(exports[0]!)
    const result = validate(expected, exported, { registry: application.registry, comparators: context.comparators })
    const accepted = result.findings.filter((f) => (expectations.accepted ?? []).some((a) => acceptedMatches(a, f)))
    const findings = result.findings.filter((f) => !accepted.includes(f))
    const exportedByKey = new Map(exported.map((e) => [rowKey(e.model, e.pk), e]))
    const stale = findStale(original, exportedByKey, expectations, result.findings)
    for (let cycle = 2; cycle <= exports.length; cycle += 1) {
      const [first, again] = await Promise.all([readFile(exports[0]!), readFile(exports[cycle - 1]!)])
      if (first.equals(again)) continue
      // Bytes may differ only where a comparator declares a difference legitimate (an unclaimed
      // user's password is rotated by every import); anything else breaks idempotence.
      const drift = validate(exported, await readBackupRows(exports[cycle - 1]!), { registry: application.registry, comparators: context.comparators })
      for (const finding of drift.findings) {
        findings.push({ ...finding, reason: `${cycleDriftPrefix(cycle)}${finding.reason}` })
      }
    }
    return {
      snapshot,
      expectationsFile: hasAny(expectations) ? expectationsFile : undefined,
      findings,
      accepted,
      stale,
      counts: result.counts,
      rows: { snapshot: original.length, exported: exported.length },
      durationMs: performance.now() - started,
      passed: findings.length === 0 && stale.length === 0,
      exported,
      expected,
      original,
    }
  } finally {
    await rm(workDir, { recursive: true, force: true })
  }
}

/**
 * `validate(snapshot, export)` streamed from the files, then, in a second read, the rows the
 * findings name: what a snapshot without expectations needs.
 */
async function checkFromFiles(
  snapshotFile: string,
  exports: readonly string[],
  context: SnapshotContext,
): Promise<Pick<SnapshotCheck, 'findings' | 'counts' | 'rows' | 'exported' | 'expected' | 'original'>> {
  const options = { registry: context.application.registry, comparators: context.comparators }
  const result = await validateBackups(snapshotFile, exports[0]!, options)
  const findings = [...result.findings]
  for (let cycle = 2; cycle <= exports.length; cycle += 1) {
    const [first, again] = await Promise.all([readFile(exports[0]!), readFile(exports[cycle - 1]!)])
    if (first.equals(again)) continue
    const drift = await validateBackups(exports[0]!, exports[cycle - 1]!, options)
    for (const finding of drift.findings) {
      findings.push({ ...finding, reason: `${cycleDriftPrefix(cycle)}${finding.reason}` })
    }
  }
  const named = (side: 'left_pk' | 'right_pk') =>
    new Set(
      result.findings.flatMap((f) => (f[side] === null ? [] : [rowKey(f.on.model, f[side])])),
    )
  const [snapshotRows, exportRows] = await Promise.all([
    rowsNamed(snapshotFile, named('left_pk')),
    rowsNamed(exports[0]!, named('right_pk')),
  ])
  return {
    findings,
    counts: result.counts,
    rows: { snapshot: snapshotRows.count, exported: exportRows.count },
    exported: exportRows.rows,
    expected: snapshotRows.rows,
    original: snapshotRows.rows,
  }
}

/** The entries of a file whose `rowKey` is in `keys`, and how many entries it has. */
async function rowsNamed(
  file: string,
  keys: ReadonlySet<string>,
): Promise<{ rows: BackupEntry[]; count: number }> {
  const rows: BackupEntry[] = []
  let count = 0
  for await (const { value } of readBackupEntries(file)) {
    count += 1
    const entry = value as BackupEntry
    if (keys.has(rowKey(entry.model, entry.pk))) rows.push(entry)
  }
  return { rows, count }
}

function cycleDriftPrefix(cycle: number): string {
  return `cycle ${cycle} differs from cycle 1 (not idempotent): `
}

/**
 * Whether a finding compares a later cycle's export with the first's, not the snapshot with the
 * export: its pks are those of exports the result does not keep, so reports show no rows for it.
 */
export function isCycleDrift(finding: ComparatorFinding): boolean {
  return /^cycle \d+ differs from cycle 1 \(not idempotent\): /.test(finding.reason)
}

function hasAny(expectations: Expectations): boolean {
  return Object.values(expectations).some((list) => Array.isArray(list) && list.length > 0)
}


/** Runs `fn` over `items` with at most `limit` running at once, keeping the input order. */
async function mapConcurrently<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const index = next++
      results[index] = await fn(items[index]!)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}
