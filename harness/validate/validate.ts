import { defaultComparators, type ComparatorMap } from '../../comparators/default-comparators.ts'
import type { ModelRegistry } from '../application/model-registry.ts'
import type { BackupEntry } from '../backup/backup-entry.ts'
import { readBackupEntries, type RawBackupEntry } from '../backup/read-backup.ts'
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
 * `validate()` for backups that may not fit in memory. Two files are read side by side, one run
 * of a model's entries at a time, and each model is compared and let go once both sides have
 * read it (and the models it points at), so memory holds about one model per side; a file whose
 * models are not each in one run is read again, holding everything. Entries given as iterables
 * are read left first.
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
    const streamed = await validateFiles(left, right, options.registry, comparators, true)
    if (streamed) return streamed
  }
  const run = new ValidationRun(options.registry, comparators, false)
  await feed(run, 'left', left)
  await feed(run, 'right', right)
  return run.result()
}

/**
 * Reads both files in turns, a model's run of entries at a time. Returns undefined when streaming
 * turned out wrong for the files (a model in separate runs) and they must be read holding all.
 */
async function validateFiles(
  leftFile: string,
  rightFile: string,
  registry: ModelRegistry,
  comparators: ComparatorMap,
  streaming: boolean,
): Promise<ValidateResult | undefined> {
  const run = new ValidationRun(registry, comparators, streaming)
  const sides: Record<Side, SideReader> = {
    left: { file: leftFile, entries: readBackupEntries(leftFile), next: undefined, done: false },
    right: { file: rightFile, entries: readBackupEntries(rightFile), next: undefined, done: false },
  }
  let rightFailure: unknown
  try {
    // The left side reads a model's entries, then the right side the same model's, compared with
    // the left ones as they come.
    for (let side: Side = 'left'; !sides.left.done || !sides.right.done; side = otherSide(side)) {
      if (sides[side].done) continue
      try {
        await readRun(run, side, sides[side])
      } catch (error) {
        // Sentry reads the whole left side first: its problems win over the right side's.
        if (side === 'left') throw withSide(error, side)
        rightFailure = withSide(error, side)
        sides.right.done = true
        run.stopHolding()
      }
      if (run.void) return undefined
    }
  } finally {
    await sides.left.entries.return(undefined)
    await sides.right.entries.return(undefined)
  }
  if (rightFailure !== undefined) throw rightFailure
  return run.result()
}

interface SideReader {
  readonly file: string
  readonly entries: AsyncGenerator<RawBackupEntry, undefined>
  /** The first entry of the next run, read but not added yet. */
  next: RawBackupEntry | undefined
  done: boolean
}

/** Reads one side's next run of entries of one model, and ends it (or the side). */
async function readRun(run: ValidationRun, side: Side, reader: SideReader): Promise<void> {
  const { file } = reader
  let entry = reader.next
  reader.next = undefined
  if (entry) run.add(side, entry.value, entry.text, file, entry.line, entry.column)
  for (;;) {
    const next = await reader.entries.next()
    if (next.done) {
      reader.done = true
      run.finish(side, file)
      return
    }
    entry = next.value
    if (!run.continuesRun(side, entry.value)) {
      reader.next = entry
      run.endRun(side)
      return
    }
    run.add(side, entry.value, entry.text, file, entry.line, entry.column)
  }
}

function otherSide(side: Side): Side {
  return side === 'left' ? 'right' : 'left'
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
