// What a bench step process (worker.ts) is asked and what it answers, shared by both sides.

/** Marks the one stdout line that carries a step's report, whatever else is printed. */
export const RESULT_PREFIX = 'BENCH_RESULT '

export interface StepArgs {
  readonly import: { readonly snapshot: string; readonly databaseUrl: string }
  readonly export: { readonly databaseUrl: string; readonly destination: string }
  readonly validate: { readonly left: string; readonly right: string }
  /** `check()` of one snapshot on the parent's server (reached as a URL server). */
  readonly check: { readonly snapshot: string; readonly serverUrl: string }
  /** `check()` repeated in one process whose server is already up; the first call warms it. */
  readonly 'warm-check': { readonly snapshot: string; readonly serverUrl: string; readonly repeats: number }
  /** `pairs` rows spread evenly over the snapshot's `rows`, so every model is represented. */
  readonly diff: { readonly snapshot: string; readonly rows: number; readonly pairs: number; readonly changedFraction: number }
}

export interface LibraryTiming {
  readonly name: string
  readonly ms: number
  /** Difference records the library produced over all pairs (a sanity check: all find the same rows). */
  readonly records: number
  /** Pairs the library said differ. */
  readonly pairsDiffering: number
}

export interface StepDetails {
  readonly import: { readonly rows: number }
  readonly export: { readonly rows: number; readonly bytes: number }
  readonly validate: { readonly rows: number; readonly findings: number }
  readonly check: { readonly rows: number; readonly passed: boolean; readonly findings: number }
  readonly 'warm-check': { readonly firstMs: number; readonly allMs: readonly number[]; readonly passed: boolean }
  readonly diff: { readonly pairs: number; readonly changedPairs: number; readonly libraries: readonly LibraryTiming[] }
}

export type StepName = keyof StepArgs

export interface StepReport<S extends StepName = StepName> {
  readonly step: S
  /** Duration of the measured call alone (module loading and set-up excluded). */
  readonly ms: number
  /** `process.resourceUsage().maxRSS` at the end: the peak of this process, start-up included. */
  readonly maxRssMb: number
  /** RSS just before the measured call: what loading the harness costs on its own. */
  readonly baseRssMb: number
  readonly detail: StepDetails[S]
}
