// The shape of bench/results.json: every figure the table shows, as an Outcome (see outcome.ts).
import type { BootFigures } from './boot.ts'
import type { ColdCheck } from './check-timing.ts'
import type { Outcome } from './outcome.ts'

export interface ProcessFigure {
  readonly s: number
  /** Peak RSS of the step's own process. */
  readonly maxRssMb: number
  /** RSS of that process before the step started (node, tsx and the harness loaded). */
  readonly baseRssMb: number
}

export interface SizeResult {
  readonly rows: number
  readonly snapshot: { readonly file: string; readonly bytes: number; readonly generatedS: number | null }
  readonly import: Outcome<ProcessFigure & { readonly rowsPerS: number }>
  readonly export: Outcome<ProcessFigure & { readonly bytes: number; readonly mbPerS: number }>
  readonly validate: Outcome<ProcessFigure & { readonly rowsPerS: number; readonly findings: number }>
  /** import + export + validate. */
  readonly roundTrip: Outcome<{ readonly s: number }>
  /** `check()` of the snapshot: template, clone, import, export, validate. */
  readonly check: Outcome<ProcessFigure & { readonly passed: boolean; readonly findings: number }>
  readonly copy: Outcome<{
    readonly s: number
    readonly via: string
    readonly maxRssMb: number | null
    /** Writing the COPY files from the snapshot (not timed as part of COPY). */
    readonly convertS: number
    readonly copyBytes: number
    /** Our import / COPY. */
    readonly ratio: number | null
  }>
  readonly pgDump: Outcome<{ readonly s: number; readonly via: string; readonly maxRssMb: number | null; readonly bytes: number; readonly ratio: number | null }>
  readonly django: Outcome<{
    readonly version: string
    readonly setupS: number
    readonly loaddataS: number
    readonly loaddataRssMb: number | null
    readonly dumpdataS: number
    readonly dumpdataRssMb: number | null
    readonly dumpBytes: number
    readonly rows: number
    readonly loaddataRatio: number | null
    readonly dumpdataRatio: number | null
  }>
}

export interface DiffLibraryResult {
  readonly name: string
  readonly ms: number
  readonly usPerPair: number
  readonly ratioToFastest: number
  /** Our fieldChanges' time / this library's. */
  readonly oursOverThis: number | null
  readonly pairsDiffering: number
  readonly records: number
}

export interface DiffResult {
  readonly snapshotRows: number
  readonly pairs: number
  readonly changedPairs: number
  readonly libraries: readonly DiffLibraryResult[]
}

export interface WarmCheck {
  readonly s: number
  readonly firstS: number
  readonly runsS: readonly number[]
  readonly passed: boolean
  readonly maxRssMb: number
}

export interface TargetResult {
  readonly target: string
  readonly measured: string
  readonly status: 'met' | 'NOT met' | 'not measured'
  readonly note?: string
}

export interface BenchResults {
  readonly machine: {
    readonly node: string
    readonly platform: string
    readonly cpus: number
    readonly cpuModel: string
    readonly memoryGb: number
    readonly date: string
    readonly server: string
    /** 1-minute load average when the run started and ended: above the core count, figures are noisy. */
    readonly loadAverage: { readonly start: number; readonly end: number }
  }
  readonly options: Record<string, unknown>
  readonly tools: {
    readonly install: string
    readonly psql: string | null
    readonly pgDump: string | null
    readonly django: string | null
  }
  readonly boot: Outcome<BootFigures>
  readonly sizes: readonly SizeResult[]
  readonly diff: Outcome<DiffResult>
  readonly warmCheck: Outcome<WarmCheck>
  readonly coldCheck: Outcome<ColdCheck>
  readonly coldCheckNoCache: Outcome<ColdCheck>
  readonly targets: readonly TargetResult[]
  readonly totalS: number
}
