// The printed report: plain-text tables with aligned columns, and the issue's targets, each with
// the measured value and whether it is met.
import type { Outcome } from './outcome.ts'
import { valueOf } from './outcome.ts'
import type { BenchResults, SizeResult, TargetResult } from './results.ts'

const MILLION = 1_000_000
const HUNDRED_THOUSAND = 100_000

// ---------------------------------------------------------------------------------------------
// Targets

/** The issue's targets against the measured figures. */
export function computeTargets(r: Omit<BenchResults, 'targets' | 'totalS'>): TargetResult[] {
  const at = (rows: number) => r.sizes.find((s) => s.rows === rows)
  const largest = r.sizes.at(-1)
  const million = at(MILLION)
  const hundred = at(HUNDRED_THOUSAND)
  const targets: TargetResult[] = []
  const add = (target: string, value: number | undefined, goal: (v: number) => boolean, shown: (v: number) => string, whyMissing: string, note?: string) => {
    if (value === undefined || !Number.isFinite(value)) targets.push({ target, measured: '-', status: 'not measured', note: brief(whyMissing, 90) })
    else targets.push({ target, measured: shown(value), status: goal(value) ? 'met' : 'NOT met', ...(note ? { note } : {}) })
  }
  const noMillion = million ? 'a step failed or was skipped' : '1,000,000 rows not in --sizes'
  const missing = (size: SizeResult | undefined, outcome: Outcome<unknown> | undefined, what: string) =>
    !size ? `no size measured` : outcome && outcome.status !== 'ok' ? `${what} ${outcome.status === 'failed' ? 'failed' : `skipped: ${outcome.reason}`}` : `${what} not measured`
  const atLargest = largest ? `at ${count(largest.rows)} rows` : undefined

  add('1M-row round trip (import + export + validate) < 30 s', valueOf(million?.roundTrip)?.s, (v) => v < 30, seconds, noMillion)
  add('import within 2x COPY of the same rows', valueOf(largest?.copy)?.ratio ?? undefined, (v) => v <= 2, times, missing(largest, largest?.copy, 'COPY'), atLargest)
  add('export within 5x pg_dump --data-only', valueOf(largest?.pgDump)?.ratio ?? undefined, (v) => v <= 5, times, missing(largest, largest?.pgDump, 'pg_dump'), atLargest)
  add('validate >= 300,000 rows/s', valueOf(largest?.validate)?.rowsPerS, (v) => v >= 300_000, (v) => `${count(Math.round(v))} rows/s`, missing(largest, largest?.validate, 'validate'), atLargest)
  add('import peak RSS at 1M < 300 MB', valueOf(million?.import)?.maxRssMb, (v) => v < 300, mb, noMillion)
  add('export peak RSS at 1M < 300 MB', valueOf(million?.export)?.maxRssMb, (v) => v < 300, mb, noMillion)
  add('validate peak RSS at 1M < 500 MB', valueOf(million?.validate)?.maxRssMb, (v) => v < 500, mb, noMillion)
  for (const step of ['import', 'export', 'validate'] as const) {
    const rss = (size: SizeResult | undefined) => (size?.[step].status === 'ok' ? size[step].value.maxRssMb : undefined)
    const big = rss(million)
    const small = rss(hundred)
    const why = !million || !hundred ? '1,000,000 and 100,000 rows both needed in --sizes' : `${step} failed or was skipped at one of them`
    add(`${step} RSS at 1M <= 1.5x at 100k`, big !== undefined && small !== undefined ? big / small : undefined, (v) => v <= 1.5, (v) => `${times(v)} (${mb(big ?? 0)} / ${mb(small ?? 0)})`, why)
  }
  const notPassed = (passed: boolean | undefined) => (passed === false ? 'the check ran through but did not pass' : undefined)
  const warm = valueOf(r.warmCheck)
  const cold = valueOf(r.coldCheck)
  const coldNoCache = valueOf(r.coldCheckNoCache)
  add('warm check of fresh_install.json < 1 s', warm?.s, (v) => v < 1, seconds, outcomeWhy(r.warmCheck), notPassed(warm?.passed))
  add('cold check (cached initdb cluster) < 3 s', cold ? cold.medianMs / 1000 : undefined, (v) => v < 3, seconds, outcomeWhy(r.coldCheck), notPassed(cold?.passed))
  add('cold check (no cluster cache: initdb) < 3 s', coldNoCache ? coldNoCache.medianMs / 1000 : undefined, (v) => v < 3, seconds, outcomeWhy(r.coldCheckNoCache), notPassed(coldNoCache?.passed))
  return targets
}

/** One line of at most `max` characters. */
function brief(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ').trim()
  return line.length > max ? `${line.slice(0, max - 1)}…` : line
}

function outcomeWhy(outcome: Outcome<unknown>): string {
  return outcome.status === 'failed' ? `failed: ${outcome.error}` : outcome.status === 'skipped' ? `skipped: ${outcome.reason}` : ''
}

// ---------------------------------------------------------------------------------------------
// Formatting

type Align = 'left' | 'right'

/** Plain-text table; numbers are right-aligned by default, the first column left. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[], align?: readonly Align[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const alignOf = (i: number) => align?.[i] ?? (i === 0 ? 'left' : 'right')
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (alignOf(i) === 'left' ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd()
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].map((l) => `  ${l}`).join('\n')
}

function seconds(v: number): string {
  return v < 10 ? `${v.toFixed(2)} s` : `${v.toFixed(1)} s`
}
function times(v: number): string {
  return `${v < 10 ? v.toFixed(2) : v.toFixed(1)}x`
}
function mb(v: number): string {
  return `${Math.round(v)} MB`
}
function count(v: number): string {
  return v.toLocaleString('en-US')
}
function rate(v: number): string {
  return v >= 1_000_000 ? `${(v / 1_000_000).toFixed(2)}M` : v >= 1000 ? `${Math.round(v / 1000)}k` : String(Math.round(v))
}

/** A cell: the value, or why not (`failed`, `skip`). */
function cell<T>(outcome: Outcome<T> | undefined, show: (v: T) => string): string {
  if (!outcome) return '-'
  if (outcome.status === 'ok') return show(outcome.value)
  return outcome.status === 'failed' ? 'FAILED' : 'skip'
}

const num = (digits: number) => (v: number) => v.toFixed(digits)
const ratioCell = (v: number | null) => (v === null ? '-' : times(v))

export function formatReport(r: BenchResults): string {
  const out: string[] = []
  const m = r.machine
  out.push(`roundtrip bench — ${m.date}`)
  out.push(`  ${m.cpus} x ${m.cpuModel}, ${m.memoryGb} GB, node ${m.node}, ${m.platform}`)
  out.push(`  server: ${m.server}`)
  const busy = Math.max(m.loadAverage.start, m.loadAverage.end) > m.cpus ? ` — busier than its ${m.cpus} cores, so times are inflated` : ''
  out.push(`  load average (1 min): ${m.loadAverage.start} at start, ${m.loadAverage.end} at end${busy}`)
  out.push(`  tools: ${[r.tools.psql ?? 'psql: none', r.tools.pgDump ?? 'pg_dump: none', r.tools.django ?? 'Django: none'].join('; ')}`)

  out.push('\nours, per size (each step in its own process; RSS = that process\'s peak, node and harness included)')
  out.push(
    formatTable(
      ['rows', 'MB', 'import s', 'rows/s', 'RSS MB', 'export s', 'MB/s', 'RSS MB', 'validate s', 'rows/s', 'RSS MB', 'imp+exp+val s', 'check s', 'RSS MB'],
      r.sizes.map((s) => [
        count(s.rows),
        (s.snapshot.bytes / 1e6).toFixed(1),
        cell(s.import, (v) => v.s.toFixed(2)),
        cell(s.import, (v) => rate(v.rowsPerS)),
        cell(s.import, (v) => num(0)(v.maxRssMb)),
        cell(s.export, (v) => v.s.toFixed(2)),
        cell(s.export, (v) => v.mbPerS.toFixed(1)),
        cell(s.export, (v) => num(0)(v.maxRssMb)),
        cell(s.validate, (v) => `${v.s.toFixed(2)}${v.findings > 0 ? ` (${v.findings} findings)` : ''}`),
        cell(s.validate, (v) => rate(v.rowsPerS)),
        cell(s.validate, (v) => num(0)(v.maxRssMb)),
        cell(s.roundTrip, (v) => v.s.toFixed(2)),
        cell(s.check, (v) => `${v.s.toFixed(2)}${v.passed ? '' : ' (did not pass)'}`),
        cell(s.check, (v) => num(0)(v.maxRssMb)),
      ]),
    ),
  )

  out.push('\nfloors on the same rows (ratio = ours / theirs; lower is better for us)')
  out.push(
    formatTable(
      ['rows', 'COPY s', 'import/COPY', 'pg_dump s', 'export/pg_dump', 'loaddata s', 'import/loaddata', 'dumpdata s', 'export/dumpdata'],
      r.sizes.map((s) => [
        count(s.rows),
        cell(s.copy, (v) => v.s.toFixed(2)),
        cell(s.copy, (v) => ratioCell(v.ratio)),
        cell(s.pgDump, (v) => v.s.toFixed(2)),
        cell(s.pgDump, (v) => ratioCell(v.ratio)),
        cell(s.django, (v) => v.loaddataS.toFixed(2)),
        cell(s.django, (v) => ratioCell(v.loaddataRatio)),
        cell(s.django, (v) => v.dumpdataS.toFixed(2)),
        cell(s.django, (v) => ratioCell(v.dumpdataRatio)),
      ]),
    ),
  )
  const via = (label: string, outcomes: readonly (Outcome<{ via?: string; version?: string }> | undefined)[], pick: (v: { via?: string; version?: string }) => string | undefined) => {
    const first = outcomes.map((o) => valueOf(o)).find((v) => v !== undefined)
    return first ? `${label}: ${pick(first)}` : undefined
  }
  const notes = [
    via('COPY', r.sizes.map((s) => s.copy), (v) => `${v.via} into a fresh clone of the migrated template, one transaction, constraints on (COPY files written beforehand, not timed)`),
    via('pg_dump', r.sizes.map((s) => s.pgDump), (v) => `${v.via} --data-only --format=plain to a file`),
    via('Django', r.sizes.map((s) => s.django), (v) => `${v.version}, manage.py loaddata/dumpdata as processes (start-up included), bench/django models, psycopg2`),
  ].filter((n): n is string => n !== undefined)
  for (const note of notes) out.push(`  ${note}`)

  out.push('\nstructured diff of row pairs (the validate step\'s field diff)')
  if (r.diff.status === 'ok') {
    const d = r.diff.value
    out.push(`  ${count(d.pairs)} pairs of row fields spread over the ${count(d.snapshotRows)}-row snapshot, ${count(d.changedPairs)} of them changed (one value each); median of 3 passes`)
    out.push(
      formatTable(
        ['library', 'ms', 'µs/pair', 'x fastest', 'ours / this', 'pairs differing'],
        d.libraries.map((l) => [l.name, l.ms.toFixed(0), l.usPerPair.toFixed(2), times(l.ratioToFastest), ratioCell(l.oursOverThis), count(l.pairsDiffering)]),
      ),
    )
  } else {
    out.push(`  ${r.diff.status === 'failed' ? `FAILED: ${r.diff.error}` : `skipped: ${r.diff.reason}`}`)
  }

  out.push('\nstart-up and check of snapshots/fresh_install.json')
  const boot = valueOf(r.boot)
  out.push(
    formatTable(
      ['figure', 'value', 'RSS MB', 'what it includes'],
      [
        ['boot: nothing → migrated, cloned db', cell(r.boot, (v) => seconds(v.nothingToClonedS)), '-', boot ? `server start ${seconds(boot.serverStartS)}, migrate ${seconds(boot.migrateTemplateS)}, clone ${seconds(boot.firstCloneS)} (clone median ${seconds(boot.cloneMedianS)})` : ''],
        ['warm check', cell(r.warmCheck, (v) => `${seconds(v.s)}${v.passed ? '' : ' (did not pass)'}`), cell(r.warmCheck, (v) => num(0)(v.maxRssMb)), valueOf(r.warmCheck) ? `check() again in a process whose server and template exist (the first call migrates), median of ${valueOf(r.warmCheck)!.runsS.length} after a first call of ${seconds(valueOf(r.warmCheck)!.firstS)}` : ''],
        ['cold check', cell(r.coldCheck, (v) => `${seconds(v.medianMs / 1000)}${v.passed ? '' : ' (did not pass)'}`), cell(r.coldCheck, (v) => (v.maxRssMb ? num(0)(v.maxRssMb) : '-')), valueOf(r.coldCheck)?.note ?? ''],
        ['cold check, no cluster cache', cell(r.coldCheckNoCache, (v) => `${seconds(v.medianMs / 1000)}${v.passed ? '' : ' (did not pass)'}`), cell(r.coldCheckNoCache, (v) => (v.maxRssMb ? num(0)(v.maxRssMb) : '-')), valueOf(r.coldCheckNoCache)?.note ?? ''],
      ],
      ['left', 'right', 'right', 'left'],
    ),
  )

  out.push('\ntargets (2-core machine)')
  out.push(
    formatTable(
      ['target', 'measured', 'status', 'note'],
      r.targets.map((t) => [t.target, t.measured, t.status, t.note ?? '']),
      ['left', 'right', 'left', 'left'],
    ),
  )

  const problems = listProblems(r)
  if (problems.length > 0) {
    out.push('\nskipped and failed')
    for (const p of problems) out.push(`  ${p}`)
  }
  out.push(`\ntotal bench time ${seconds(r.totalS)}`)
  return `${out.join('\n')}\n`
}

/** Every figure not measured, once per distinct reason. */
function listProblems(r: BenchResults): string[] {
  const lines: string[] = []
  const seen = new Set<string>()
  const note = (what: string, outcome: Outcome<unknown>) => {
    if (outcome.status === 'ok') return
    const text = brief(outcome.status === 'failed' ? `FAILED ${what}: ${outcome.error}` : `skipped ${what}: ${outcome.reason}`, 400)
    const key = text.replace(/ at [\d,]+ rows/, '')
    if (outcome.status === 'skipped' && seen.has(key)) return
    seen.add(key)
    lines.push(text)
  }
  note('boot', r.boot)
  for (const s of r.sizes) {
    const at = ` at ${count(s.rows)} rows`
    const names = { import: 'import', export: 'export', validate: 'validate', check: 'check', copy: 'COPY', pgDump: 'pg_dump', django: 'Django' } as const
    for (const key of Object.keys(names) as (keyof typeof names)[]) note(`${names[key]}${at}`, s[key])
  }
  note('diff libraries', r.diff)
  note('warm check', r.warmCheck)
  note('cold check', r.coldCheck)
  note('cold check without cluster cache', r.coldCheckNoCache)
  return lines
}
