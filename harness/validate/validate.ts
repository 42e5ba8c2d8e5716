import type { Comparator, ComparedRow, CompareContext } from '../../comparators/comparator.ts'
import { defaultComparators, type ComparatorMap } from '../../comparators/default-comparators.ts'
import { jsonEqual } from '../../comparators/json-values.ts'
import type { ModelRegistry } from '../application/model-registry.ts'
import type { BackupEntry } from '../backup/backup-entry.ts'
import { readBackupEntries } from '../backup/read-backup.ts'
import { describeError, HarnessError, isHarnessError } from '../errors.ts'
import type { ComparatorFinding, InstanceId } from '../findings/comparator-findings.ts'
import { fieldChanges } from './field-changes.ts'
import { SideIndexBuilder, type Side, type SideIndex } from './instance-index.ts'
import { redactSecrets } from './redact-secrets.ts'
import { sortedJsonText } from './json-lines.ts'
import { unifiedDiff } from './unified-diff.ts'

/** Lines of context around each hunk of an `UnequalJSON` diff, as in Sentry. */
export const DIFF_CONTEXT_LINES = 15

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
  const index = (entries: Iterable<BackupEntry>, side: Side) => {
    const builder = new SideIndexBuilder(side, options.registry, comparators)
    // Scrubbing deletes fields, so the caller's rows are copied first (spec §4.1 step 1).
    for (const entry of entries) builder.add(structuredClone(entry))
    return builder.finish()
  }
  return compareSides(index(left, 'left'), index(right, 'right'), comparators)
}

/**
 * `validate()` for backups that may not fit in memory as text: files are streamed entry by entry
 * (only the parsed rows are kept), left first.
 * @throws HarnessError `BACKUP_INVALID` with `context.side` (and the file's line and column when
 *   the JSON itself is broken), `COMPARATOR_FAILED` when a comparator throws
 */
export async function validateBackups(
  left: BackupSource,
  right: BackupSource,
  options: ValidateOptions,
): Promise<ValidateResult> {
  const comparators = options.comparators ?? defaultComparators(options.registry)
  const leftIndex = await indexSource(left, 'left', options.registry, comparators)
  const rightIndex = await indexSource(right, 'right', options.registry, comparators)
  return compareSides(leftIndex, rightIndex, comparators)
}

async function indexSource(
  source: BackupSource,
  side: Side,
  registry: ModelRegistry,
  comparators: ComparatorMap,
): Promise<SideIndex> {
  const builder = new SideIndexBuilder(side, registry, comparators)
  try {
    if (typeof source === 'string') {
      for await (const entry of readBackupEntries(source)) {
        builder.add(entry.value, { file: source, line: entry.line, column: entry.column })
      }
    } else if (Symbol.asyncIterator in source) {
      for await (const entry of source) builder.add(structuredClone(entry))
    } else {
      for (const entry of source) builder.add(structuredClone(entry))
    }
  } catch (error) {
    // The reader does not know which side it reads; say it, so callers can.
    if (isHarnessError(error) && error.context.side === undefined) {
      throw new HarnessError({
        code: error.code,
        stage: error.stage,
        message: error.message,
        context: { ...error.context, side },
        cause: error.cause,
      })
    }
    throw error
  }
  return builder.finish()
}

/** Steps 3 to 8 of spec §4.1 on two indexed sides. */
function compareSides(
  left: SideIndex,
  right: SideIndex,
  comparators: ComparatorMap,
): ValidateResult {
  const findings: ComparatorFinding[] = [...left.findings, ...right.findings]
  const modelNames = [...new Set([...left.models.keys(), ...right.models.keys()])].sort()
  const compared = new Map<string, { instances: number; fields: number }>()
  const scrubs = new Map<string, Map<string, number>>()
  const counts = (): ValidateCounts => summarise(modelNames, left, right, compared, scrubs)

  for (const model of modelNames) {
    const leftCount = left.models.get(model)?.length ?? 0
    const rightCount = right.models.get(model)?.length ?? 0
    if (leftCount !== rightCount) {
      findings.push({
        kind: 'UnequalCounts',
        on: { model, ordinal: null },
        left_pk: null,
        right_pk: null,
        reason: `counted ${leftCount} left entries and ${rightCount} right entries`,
      })
    }
  }
  // Wrong counts or order mean the instances cannot be paired: nothing more is meaningful.
  if (findings.length > 0) return { findings, counts: counts() }

  const context: CompareContext = { leftPks: pkOrdinals(left), rightPks: pkOrdinals(right) }
  for (const [model, rights] of right.models) {
    const lefts = left.models.get(model)!
    const list = comparators.get(model) ?? []
    const modelScrubs = new Map<string, number>()
    scrubs.set(model, modelScrubs)
    let fields = 0
    for (let index = 0; index < rights.length; index++) {
      const on: InstanceId = { model, ordinal: index + 1 }
      const leftRow = lefts[index]!
      const rightRow = rights[index]!
      fields += fieldCount(leftRow, rightRow)
      runComparators(list, on, leftRow, rightRow, context, findings)
      countScrubs(leftRow, rightRow, modelScrubs)
      const diff = finalDiff(on, leftRow, rightRow)
      if (diff) findings.push(diff)
    }
    compared.set(model, { instances: rights.length, fields })
  }
  return { findings, counts: counts() }
}

/** Every existence check and compare first, then every scrub (spec §4.1 step 6). */
function runComparators(
  list: readonly Comparator[],
  on: InstanceId,
  left: ComparedRow,
  right: ComparedRow,
  context: CompareContext,
  findings: ComparatorFinding[],
): void {
  let current: Comparator | undefined
  let step = 'existence'
  try {
    for (current of list) {
      step = 'existence'
      const missing = current.existence(on, left, right)
      if (missing.length > 0) {
        findings.push(...missing)
        continue
      }
      step = 'compare'
      const from = findings.length
      findings.push(...current.compare(on, left, right, context))
      redactSecrets(findings, from, current, list, left, right)
    }
    step = 'scrub'
    for (current of list) current.scrub(left, right)
  } catch (error) {
    throw new HarnessError({
      code: 'COMPARATOR_FAILED',
      stage: 'validate',
      message: `comparator failed: ${current?.name ?? 'a comparator'}.${step} threw: ${describeError(error)} (model ${on.model}, ordinal ${on.ordinal})`,
      hint: 'This is a bug in the comparator: a difference in the data must be returned as a finding, not thrown',
      context: {
        model: on.model,
        ordinal: on.ordinal ?? undefined,
        comparator: current?.name,
        pk: left.pk,
      },
      cause: error,
    })
  }
}

/** What is left after scrubbing, as a unified diff of sorted-key JSON (spec §4.1 step 7). */
function finalDiff(
  on: InstanceId,
  left: ComparedRow,
  right: ComparedRow,
): ComparatorFinding | undefined {
  // Equal values print the same sorted-key text, so the text is built only for rows that differ.
  if (jsonEqual(left.fields, right.fields)) return undefined
  const leftText = sortedJsonText(left.fields)
  const rightText = sortedJsonText(right.fields)
  if (leftText === rightText) return undefined
  const diff = unifiedDiff(leftText.split('\n'), rightText.split('\n'), DIFF_CONTEXT_LINES)
  return {
    kind: 'UnequalJSON',
    on,
    left_pk: left.pk,
    right_pk: right.pk,
    reason: `\n    ${diff.join('\n    ')}`,
    changes: fieldChanges(left.fields, right.fields),
  }
}

/** pk → ordinal per model for one side (spec §4.1 step 5). */
function pkOrdinals(side: SideIndex): CompareContext['leftPks'] {
  const byModel = new Map<string, Map<unknown, number>>()
  for (const [model, rows] of side.models) {
    byModel.set(model, new Map(rows.map((row) => [row.pk, row.ordinal])))
  }
  return { ordinalOf: (model, pk) => byModel.get(model)?.get(pk) }
}

function fieldCount(left: ComparedRow, right: ComparedRow): number {
  let count = Object.keys(left.fields).length
  for (const field of Object.keys(right.fields)) if (!(field in left.fields)) count++
  return count
}

function countScrubs(left: ComparedRow, right: ComparedRow, counts: Map<string, number>): void {
  for (const key in left.scrubbed) counts.set(key, (counts.get(key) ?? 0) + 1)
  for (const key in right.scrubbed)
    if (!(key in left.scrubbed)) counts.set(key, (counts.get(key) ?? 0) + 1)
}

function summarise(
  modelNames: readonly string[],
  left: SideIndex,
  right: SideIndex,
  compared: ReadonlyMap<string, { instances: number; fields: number }>,
  scrubs: ReadonlyMap<string, ReadonlyMap<string, number>>,
): ValidateCounts {
  const models = modelNames.map((model) => ({
    model,
    leftInstances: left.models.get(model)?.length ?? 0,
    rightInstances: right.models.get(model)?.length ?? 0,
    comparedInstances: compared.get(model)?.instances ?? 0,
    comparedFields: compared.get(model)?.fields ?? 0,
  }))
  const scrubbed: ScrubCount[] = []
  for (const model of modelNames) {
    for (const [key, instances] of scrubs.get(model) ?? []) {
      const [comparator = key, field = ''] = key.split('::')
      scrubbed.push({ model, comparator, field, instances })
    }
  }
  const order = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
  scrubbed.sort(
    (a, b) =>
      order(a.model, b.model) || order(a.comparator, b.comparator) || order(a.field, b.field),
  )
  return { models, scrubbed }
}
