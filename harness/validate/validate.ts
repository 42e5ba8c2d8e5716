import { defaultComparators, type ComparatorMap } from '../../comparators/default-comparators.ts'
import type { ModelRegistry } from '../application/model-registry.ts'
import type { BackupEntry } from '../backup/backup-entry.ts'
import {
  readBackupEntries,
  type BackupEntryReader,
  type RawBackupEntry,
} from '../backup/read-backup.ts'
import { SharedParses } from '../backup/shared-parses.ts'
import { HarnessError, isHarnessError } from '../errors.ts'
import type { ComparatorFinding } from '../findings/comparator-findings.ts'
import type { Side } from './instance-index.ts'
import { ValidationRun } from './validation-run.ts'

export { DIFF_CONTEXT_LINES } from './compare-model.ts'

export interface ValidateOptions {
  /** The application's models: ordinals, custom ordinals, deleted models, the user model. */
  readonly registry: ModelRegistry
  /** Default: `defaultComparators(registry)`. */
  readonly comparators?: ComparatorMap
}

/** What `validate()` found, and how much it looked at. */
export interface ValidateResult {
  /** Empty when the two sides agree. Order: spec §4.1 step 8. */
  readonly findings: readonly ComparatorFinding[]
  readonly counts: ValidateCounts
}

/**
 * How much was compared, so that a comparator that ignores too much cannot pass unnoticed: a
 * model whose instances were barely compared, or a scrub count as large as the instance count,
 * shows up here even when there are no findings.
 */
export interface ValidateCounts {
  /** Per model seen on either side, sorted by model name. */
  readonly models: readonly ModelCounts[]
  /** Per model, comparator and field that some scrub removed; sorted. */
  readonly scrubbed: readonly ScrubCount[]
}

export interface ModelCounts {
  readonly model: string
  readonly leftInstances: number
  readonly rightInstances: number
  /** Instance pairs compared: 0 when structural findings stopped validation early. */
  readonly comparedInstances: number
  /** Field values compared, by comparators or the final diff: per pair, the fields either side has. */
  readonly comparedFields: number
}

export interface ScrubCount {
  readonly model: string
  readonly comparator: string
  readonly field: string
  /** Instance pairs in which the comparator took the field out of the final diff. */
  readonly instances: number
}

/** A backup to validate: a file path (streamed), or its entries. */
export type BackupSource = string | Iterable<unknown> | AsyncIterable<unknown>

/**
 * Sentry's `validate(expect, actual)` (spec §4): compares the left (before) and the right (after)
 * export of the same data and returns every difference that the model's comparators do not
 * declare legitimate. The inputs are not changed.
 * @throws HarnessError `BACKUP_INVALID` for an entry of an unknown model or of the wrong shape;
 *   `COMPARATOR_FAILED` when a comparator throws
 */
export function validate(
  left: Iterable<BackupEntry>,
  right: Iterable<BackupEntry>,
  options: ValidateOptions,
): ValidateResult {
  const comparators = options.comparators ?? defaultComparators(options.registry)
  const run = new ValidationRun(options.registry, comparators, false)
  for (const entry of left) run.add('left', entry)
  run.finish('left')
  for (const entry of right) run.add('right', entry)
  run.finish('right')
  return run.result()
}

/**
 * `validate()` for backups that may not fit in memory. Two files are read side by side, a few
 * hundred entries of each in turn, and each row is compared as soon as its partner on the other
 * side has been read, so two files listing their rows in the same order hold almost nothing
 * (`ModelPairing`), and an entry whose text the left side has at the same index is parsed once
 * (`SharedParses`); while the right file's bytes are the left's, its reader takes the left's
 * entries without reading them. Files for which that goes wrong (a model in separate runs, keyed
 * rows that do not pair by key, a lookup of a model not read yet) are read again holding
 * everything. Entries given as iterables are read left first.
 * @throws HarnessError `BACKUP_INVALID` with `context.side` (and the file's line and column when
 *   the JSON itself is broken), `COMPARATOR_FAILED` when a comparator throws
 */
export async function validateBackups(
  left: BackupSource,
  right: BackupSource,
  options: ValidateOptions,
): Promise<ValidateResult> {
  const comparators = options.comparators ?? defaultComparators(options.registry)
  if (typeof left === 'string' && typeof right === 'string') {
    const streamed = await streamFiles(left, right, options.registry, comparators)
    if (streamed) return streamed.result
  }
  const run = new ValidationRun(options.registry, comparators, false)
  await feed(run, 'left', left)
  await feed(run, 'right', right)
  return run.result()
}

/**
 * Reads both files in turns, a slice of entries at a time; a side that reaches the end of a run
 * of one model waits until the other side reaches the end of its run. Returns undefined when
 * streaming turned out wrong for the files and they must be read holding all.
 */
export async function streamFiles(
  leftFile: string,
  rightFile: string,
  registry: ModelRegistry,
  comparators: ComparatorMap,
): Promise<StreamedValidation | undefined> {
  const run = new ValidationRun(registry, comparators, true)
  // The right side of a round trip mostly repeats the left's entries, often byte for byte: read
  // and parse each once.
  const cache = new SharedParses()
  const reader = (file: string, as: 'lend' | 'borrow'): SideReader => ({
    file,
    entries: readBackupEntries(file, { shareParses: { cache, as } }),
    next: undefined,
    done: false,
  })
  const sides: Record<Side, SideReader> = {
    left: reader(leftFile, 'lend'),
    right: reader(rightFile, 'borrow'),
  }
  let rightFailure: unknown
  // Whether the side has read its current run of one model to the end (the next entry is of
  // another model); it then waits for the other side, so that both close their models together.
  const ended: Record<Side, boolean> = { left: false, right: false }
  const atRunEnd = (side: Side) => ended[side] || sides[side].done
  try {
    while (!sides.left.done || !sides.right.done) {
      for (const side of SIDES) {
        if (atRunEnd(side)) continue
        try {
          ended[side] = await readSlice(run, side, sides[side])
        } catch (error) {
          // Sentry reads the whole left side first: its problems win over the right side's.
          if (side === 'left') throw withSide(error, side)
          rightFailure = withSide(error, side)
          sides.right.done = true
          run.stopHolding()
        }
        if (run.void) return undefined
      }
      if (atRunEnd('left') && atRunEnd('right')) {
        for (const side of SIDES) {
          if (ended[side]) run.endRun(side)
          ended[side] = false
        }
      }
      if (run.void) return undefined
    }
  } finally {
    await sides.left.entries.return(undefined)
    await sides.right.entries.return(undefined)
  }
  if (rightFailure !== undefined) throw rightFailure
  return {
    result: run.result(),
    peakWaiting: run.peakWaiting,
    sharedParses: cache.borrowed + cache.followed,
    keyOrdersTaken: run.keyOrdersTaken,
  }
}

/** A validation of two files that streamed to the end, and what it held. */
export interface StreamedValidation {
  readonly result: ValidateResult
  /** The most rows of one model that waited at once for their partner on the other side. */
  readonly peakWaiting: number
  /**
   * Right-side entries not parsed again: the left side has the same text at the same index (or the
   * same bytes up to there, and the right side's reader took the left's entry without reading).
   */
  readonly sharedParses: number
  /**
   * Models whose keyed rows had the same keys in the same order on both sides, which the right
   * side numbered in the order the left's were sorted into.
   */
  readonly keyOrdersTaken: number
}

const SIDES: readonly Side[] = ['left', 'right']

/**
 * Entries a side reads before the other side's turn: about what waits for a partner when the
 * files list their rows in the same order. Small enough to hold nothing to speak of, large
 * enough that turns cost nothing.
 */
export const SLICE_ENTRIES = 512

interface SideReader {
  readonly file: string
  readonly entries: BackupEntryReader
  /** The first entry of the next run, read but not added yet. */
  next: RawBackupEntry | undefined
  done: boolean
}

/**
 * Reads up to `SLICE_ENTRIES` entries of the side's current run of one model. Returns true when
 * the run has ended (its next entry, of another model, is kept for later) or the side is finished.
 */
async function readSlice(run: ValidationRun, side: Side, reader: SideReader): Promise<boolean> {
  const { file } = reader
  let count = 0
  const first = reader.next
  if (first) {
    reader.next = undefined
    run.add(side, first.value, first.text, file, first.line, first.column)
    count++
  }
  for (; count < SLICE_ENTRIES; count++) {
    let entry = reader.entries.takeBuffered()
    if (entry === undefined) {
      const next = await reader.entries.next()
      if (next.done) {
        reader.done = true
        run.finish(side, file)
        return true
      }
      entry = next.value
    }
    if (!run.continuesRun(side, entry.value)) {
      reader.next = entry
      return true
    }
    run.add(side, entry.value, entry.text, file, entry.line, entry.column)
  }
  return false
}

async function feed(run: ValidationRun, side: Side, source: BackupSource): Promise<void> {
  try {
    if (typeof source === 'string') {
      for await (const entry of readBackupEntries(source)) {
        run.add(side, entry.value, entry.text, source, entry.line, entry.column)
      }
    } else if (Symbol.asyncIterator in source) {
      for await (const entry of source) run.add(side, entry)
    } else {
      for (const entry of source) run.add(side, entry)
    }
  } catch (error) {
    throw withSide(error, side)
  }
  run.finish(side, typeof source === 'string' ? source : undefined)
}

/** The reader does not know which side it reads; say it, so callers can. */
function withSide(error: unknown, side: Side): unknown {
  if (isHarnessError(error) && error.context.side === undefined) {
    return new HarnessError({
      code: error.code,
      stage: error.stage,
      message: error.message,
      context: { ...error.context, side },
      cause: error.cause,
    })
  }
  return error
}
