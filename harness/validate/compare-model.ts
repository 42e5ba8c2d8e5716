import {
  hasStandardScrub,
  isReflexive,
  type Comparator,
  type ComparedRow,
  type CompareContext,
} from '../../comparators/comparator.ts'
import type { ComparatorMap } from '../../comparators/default-comparators.ts'
import { jsonEqual } from '../../comparators/json-values.ts'
import { describeError, HarnessError } from '../errors.ts'
import type { ComparatorFinding, InstanceId } from '../findings/comparator-findings.ts'
import { fieldChanges } from './field-changes.ts'
import type { Instance } from './instance-index.ts'
import { DeferredLookup } from './pk-ordinals.ts'
import { sortedJsonText } from './json-lines.ts'
import { redactSecrets } from './redact-secrets.ts'
import { unifiedDiff } from './unified-diff.ts'

/** Lines of context around each hunk of an `UnequalJSON` diff, as in Sentry. */
export const DIFF_CONTEXT_LINES = 15

/** What comparing one model's instance pairs gave. */
export interface ModelComparison {
  readonly findings: ComparatorFinding[]
  readonly instances: number
  readonly fields: number
  /** Instance pairs per `<ComparatorName>::<field>` that a scrub took out; only non-zero counts. */
  readonly scrubs: Map<string, number>
}

/**
 * Steps 6 and 7 of spec §4.1 for the instance pairs of one model, with the findings of the
 * straightforward procedure (every comparator's existence check and compare, every scrub, a JSON
 * diff of what is left) but less work:
 * - a comparator declared reflexive is skipped for a pair holding the same values in its fields;
 * - standard scrubs are not run: what they would remove is known from their fields, so the rows
 *   stay untouched, the final diff skips the covered fields, and the diff text is only built for
 *   rows that differ;
 * - rows with the same entry text, or the very same fields, skip the per-field checks altogether.
 * Models with a comparator whose scrub is its own go the straightforward way, on copies.
 */
export class ModelComparer {
  private readonly plans = new Map<string, ModelPlan>()

  constructor(private readonly comparators: ComparatorMap) {}

  /** A comparison of the model's pairs one at a time, in any order: `comparePair`, then `end`. */
  start(model: string): PairwiseComparison {
    const plan = this.planOf(model)
    return {
      model,
      plan,
      findings: [],
      instances: 0,
      fields: 0,
      scrubCounts: new Array<number>(plan.coveredKeys.length).fill(0),
    }
  }

  /**
   * Compares one pair and adds what it finds. When it throws, nothing of the pair was added.
   * @throws HarnessError `COMPARATOR_FAILED` when a comparator throws
   */
  comparePair(
    comparison: PairwiseComparison,
    ordinal: number,
    left: Instance,
    right: Instance,
    context: CompareContext,
    waited?: () => boolean,
  ): void {
    const { model, plan, findings } = comparison
    const from = findings.length
    const fieldsBefore = comparison.fields
    try {
      if (!plan.standard) {
        comparison.fields += copyAndCompare(
          plan,
          { model, ordinal },
          left,
          right,
          context,
          findings,
          comparison,
          waited,
        )
        comparison.instances++
        return
      }
      // One fields object for both (a text parsed once for both sides), or one entry text.
      const same =
        left.fields === right.fields || (left.text !== undefined && left.text === right.text)
      comparison.fields += same ? ownKeyCount(left.fields) : fieldCount(left.fields, right.fields)
      runComparators(plan, { model, ordinal }, left, right, context, findings, same)
      // A lookup that had to wait, even if a comparator caught its throw: the pair is redone.
      if (waited?.()) throw new DeferredLookup(model)
      const covered = plan.covered
      const scrubCounts = comparison.scrubCounts
      for (let k = 0; k < covered.length; k++) {
        const field = covered[k]!
        // What the standard scrub records: a field present on either side, even if null; a field
        // covered again finds it gone, unless the prototype has it.
        const recorded = plan.again[k]
          ? inPrototype(left.fields, field) || inPrototype(right.fields, field)
          : field in left.fields || field in right.fields
        if (recorded) scrubCounts[k]!++
      }
      if (!same && !restEqual(left.fields, right.fields, plan.coveredSet)) {
        const diff = finalDiff(
          { model, ordinal },
          left,
          right,
          rest(left.fields, plan.coveredSet),
          rest(right.fields, plan.coveredSet),
        )
        if (diff) findings.push(diff)
      }
      comparison.instances++
    } catch (error) {
      findings.length = from
      comparison.fields = fieldsBefore
      throw error
    }
  }

  /** The comparison's result; its findings in the order the pairs were compared. */
  end(comparison: PairwiseComparison): ModelComparison {
    const scrubs = new Map<string, number>()
    comparison.plan.coveredKeys.forEach((key, k) => {
      const count = comparison.scrubCounts[k]! + (comparison.otherScrubs?.get(key) ?? 0)
      if (count > 0) scrubs.set(key, count)
    })
    for (const [key, count] of comparison.otherScrubs ?? []) if (!scrubs.has(key)) scrubs.set(key, count)
    return {
      findings: comparison.findings,
      instances: comparison.instances,
      fields: comparison.fields,
      scrubs,
    }
  }

  private planOf(model: string): ModelPlan {
    let plan = this.plans.get(model)
    if (!plan) {
      plan = makePlan(this.comparators.get(model) ?? [])
      this.plans.set(model, plan)
    }
    return plan
  }
}

/** A model's comparison in progress. */
export interface PairwiseComparison {
  readonly model: string
  readonly plan: ModelPlan
  readonly findings: ComparatorFinding[]
  instances: number
  fields: number
  /** Per covered field of the plan, the pairs its standard scrub recorded. */
  readonly scrubCounts: number[]
  /** What scrubs of their own recorded (the copying way). */
  otherScrubs?: Map<string, number>
}

export interface ModelPlan {
  readonly list: readonly Comparator[]
  /** Per comparator: reflexive, so skipped when its watched fields hold the same values. */
  readonly reflexive: readonly boolean[]
  /** Per comparator: its covered and read fields. */
  readonly watched: readonly (readonly string[])[]
  /** Every scrub is standard. */
  readonly standard: boolean
  /** The covered fields, and for each the scrub record key `<ComparatorName>::<field>`. */
  readonly covered: readonly string[]
  readonly coveredKeys: readonly string[]
  /** Per covered field: an earlier comparator covers it too (and scrubs it first). */
  readonly again: readonly boolean[]
  readonly coveredSet: ReadonlySet<string>
}

function makePlan(list: readonly Comparator[]): ModelPlan {
  const covered: string[] = []
  const coveredKeys: string[] = []
  const again: boolean[] = []
  let standard = true
  for (const comparator of list) {
    if (!hasStandardScrub(comparator)) standard = false
    for (const field of comparator.fields) {
      again.push(covered.includes(field))
      covered.push(field)
      coveredKeys.push(`${comparator.name}::${field}`)
    }
  }
  return {
    list,
    reflexive: list.map(isReflexive),
    watched: list.map((c) => [...c.fields, ...(c.reads ?? [])]),
    standard,
    covered,
    coveredKeys,
    again,
    coveredSet: new Set(covered),
  }
}

/**
 * Every existence check and compare first, then every scrub (spec §4.1 step 6); without
 * `scrub`, the scrubs are left to the caller.
 */
function runComparators(
  plan: ModelPlan,
  on: InstanceId,
  left: ComparedRow,
  right: ComparedRow,
  context: CompareContext,
  findings: ComparatorFinding[],
  same: boolean,
  scrub = false,
): void {
  const list = plan.list
  let current: Comparator | undefined
  let step = 'existence'
  try {
    for (let index = 0; index < list.length; index++) {
      current = list[index]!
      if (plan.reflexive[index] && (same || sameValues(plan.watched[index]!, left, right))) continue
      step = 'existence'
      const missing = current.existence(on, left, right)
      if (missing.length > 0) {
        for (const finding of missing) findings.push(finding)
        continue
      }
      step = 'compare'
      const from = findings.length
      for (const finding of current.compare(on, left, right, context)) findings.push(finding)
      redactSecrets(findings, from, current, list, left, right)
    }
    if (!scrub) return
    step = 'scrub'
    for (current of list) current.scrub(left, right)
  } catch (error) {
    // A lookup that has to wait is no failure: the model is compared again later.
    if (error instanceof DeferredLookup) throw error
    throw comparatorFailed(error, current, step, on, left)
  }
}

function comparatorFailed(
  error: unknown,
  current: Comparator | undefined,
  step: string,
  on: InstanceId,
  left: ComparedRow,
): HarnessError {
  return new HarnessError({
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

/** The same primitive value, or absent, in each field on both sides. */
function sameValues(fields: readonly string[], left: ComparedRow, right: ComparedRow): boolean {
  const a = left.fields
  const b = right.fields
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!
    if (a[field] !== b[field]) return false
  }
  return true
}

/** The straightforward procedure on copies, for a model with a scrub of its own. */
function copyAndCompare(
  plan: ModelPlan,
  on: InstanceId,
  leftRow: Instance,
  rightRow: Instance,
  context: CompareContext,
  findings: ComparatorFinding[],
  comparison: PairwiseComparison,
  waited: (() => boolean) | undefined,
): number {
  const copy = (row: Instance): ComparedRow => ({
    model: row.model,
    pk: row.pk,
    ordinal: row.ordinal,
    fields: structuredClone(row.fields),
    scrubbed: {},
  })
  const left = copy(leftRow)
  const right = copy(rightRow)
  const fields = fieldCount(left.fields, right.fields)
  runComparators(plan, on, left, right, context, findings, false, true)
  if (waited?.()) throw new DeferredLookup(on.model)
  const scrubs = (comparison.otherScrubs ??= new Map())
  for (const key in left.scrubbed) scrubs.set(key, (scrubs.get(key) ?? 0) + 1)
  for (const key in right.scrubbed)
    if (!(key in left.scrubbed)) scrubs.set(key, (scrubs.get(key) ?? 0) + 1)
  if (!jsonEqual(left.fields, right.fields)) {
    const diff = finalDiff(on, left, right, left.fields, right.fields)
    if (diff) findings.push(diff)
  }
  return fields
}

/** What is left after scrubbing, as a unified diff of sorted-key JSON (spec §4.1 step 7). */
function finalDiff(
  on: InstanceId,
  left: ComparedRow,
  right: ComparedRow,
  leftFields: Record<string, unknown>,
  rightFields: Record<string, unknown>,
): ComparatorFinding | undefined {
  // Equal values print the same sorted-key text, so the text is built only for rows that differ.
  const leftText = sortedJsonText(leftFields)
  const rightText = sortedJsonText(rightFields)
  if (leftText === rightText) return undefined
  const diff = unifiedDiff(leftText.split('\n'), rightText.split('\n'), DIFF_CONTEXT_LINES)
  return {
    kind: 'UnequalJSON',
    on,
    left_pk: left.pk,
    right_pk: right.pk,
    reason: `\n    ${diff.join('\n    ')}`,
    changes: fieldChanges(leftFields, rightFields),
  }
}

/** `jsonEqual` of the two rows' fields without the covered ones. */
function restEqual(
  left: Record<string, unknown>,
  right: Record<string, unknown>,
  covered: ReadonlySet<string>,
): boolean {
  let count = 0
  for (const key in left) {
    if (covered.has(key)) continue
    count++
    if (!(key in right) || !jsonEqual(left[key], right[key])) return false
  }
  for (const key in right) if (!covered.has(key)) count--
  return count === 0
}

/** The fields without the covered ones, in their order: what the standard scrubs leave. */
function rest(
  fields: Record<string, unknown>,
  covered: ReadonlySet<string>,
): Record<string, unknown> {
  // fromEntries defines own properties, so even a `__proto__` field stays a field.
  return Object.fromEntries(Object.entries(fields).filter(([key]) => !covered.has(key)))
}

function inPrototype(fields: Record<string, unknown>, field: string): boolean {
  const prototype: unknown = Object.getPrototypeOf(fields)
  return prototype !== null && field in (prototype as object)
}

function ownKeyCount(fields: Record<string, unknown>): number {
  let count = 0
  for (const key in fields) if (Object.hasOwn(fields, key)) count++
  return count
}

function fieldCount(left: Record<string, unknown>, right: Record<string, unknown>): number {
  let count = Object.keys(left).length
  for (const field of Object.keys(right)) if (!(field in left)) count++
  return count
}
