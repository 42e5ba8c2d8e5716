// The structured-diff step on the same rows, ours against three libraries: pairs of row `fields`
// objects from a snapshot, the right one a deep copy, a small fraction of them changed.
import deepDiff from 'deep-diff'
import fastJsonPatch from 'fast-json-patch'
import microdiff from 'microdiff'
import { readBackupEntries } from '../../harness/backup/read-backup.ts'
import { fieldChanges } from '../../harness/validate/field-changes.ts'
import type { LibraryTiming, StepDetails } from './protocol.ts'

type Row = Record<string, unknown>

interface Contestant {
  readonly name: string
  /** Difference records for one pair. */
  readonly diff: (left: Row, right: Row) => number
}

const CONTESTANTS: readonly Contestant[] = [
  { name: 'ours: fieldChanges', diff: (l, r) => fieldChanges(l, r).length },
  { name: 'deep-diff diff', diff: (l, r) => deepDiff.diff(l, r)?.length ?? 0 },
  { name: 'fast-json-patch compare', diff: (l, r) => fastJsonPatch.compare(l, r).length },
  // Rows parsed from JSON cannot hold cycles, so the cycle guard is only overhead here.
  { name: 'microdiff', diff: (l, r) => microdiff(l, r, { cyclesFix: false }).length },
]

/** Each contestant runs this many times over all pairs; the median counts. */
const REPEATS = 3
const WARMUP_PAIRS = 2_000

export async function benchDiffLibraries(
  snapshot: string,
  rows: number,
  pairs: number,
  changedFraction: number,
): Promise<{ ms: number; detail: StepDetails['diff'] }> {
  // Every stride-th row: the snapshot is ordered by model, so its first rows would be a few models only.
  const stride = Math.max(1, Math.floor(rows / pairs))
  const left: Row[] = []
  for await (const entry of readBackupEntries(snapshot)) {
    if (entry.index % stride !== 0) continue
    left.push((entry.value as { fields: Row }).fields)
    if (left.length >= pairs) break
  }
  if (left.length === 0) throw new Error(`no rows read from ${snapshot} (rows ${rows}, pairs ${pairs})`)
  const every = Math.max(1, Math.round(1 / changedFraction))
  let changedPairs = 0
  const right = left.map((fields, i) => {
    const copy = structuredClone(fields)
    if (i % every === every - 1) {
      change(copy, i)
      changedPairs += 1
    }
    return copy
  })

  const started = performance.now()
  const libraries: LibraryTiming[] = []
  for (const contestant of CONTESTANTS) {
    for (let i = 0; i < Math.min(WARMUP_PAIRS, left.length); i += 1) contestant.diff(left[i]!, right[i]!)
    const runs: number[] = []
    let records = 0
    let pairsDiffering = 0
    for (let repeat = 0; repeat < REPEATS; repeat += 1) {
      records = 0
      pairsDiffering = 0
      const t0 = performance.now()
      for (let i = 0; i < left.length; i += 1) {
        const n = contestant.diff(left[i]!, right[i]!)
        records += n
        if (n > 0) pairsDiffering += 1
      }
      runs.push(performance.now() - t0)
    }
    libraries.push({ name: contestant.name, ms: median(runs), records, pairsDiffering })
  }
  return { ms: performance.now() - started, detail: { pairs: left.length, changedPairs, libraries } }
}

/** Changes one value of a row, cycling through its fields so every type gets its turn. */
function change(fields: Row, i: number) {
  const keys = Object.keys(fields)
  if (keys.length === 0) return
  const key = keys[i % keys.length]!
  const value = fields[key]
  if (typeof value === 'string') fields[key] = `${value}·changed`
  else if (typeof value === 'number') fields[key] = value + 1
  else if (typeof value === 'boolean') fields[key] = !value
  else if (value === null) fields[key] = 'now set'
  else if (Array.isArray(value)) fields[key] = [...value, 'added']
  else fields[key] = { ...(value as Row), changed: true }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? 0
}
