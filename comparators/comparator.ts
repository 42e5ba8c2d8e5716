import { HarnessError } from '../harness/errors.ts'
import type {
  ComparatorFinding,
  ComparatorName,
  FindingKind,
  InstanceId,
} from '../harness/findings/comparator-findings.ts'

/**
 * The comparator contract (spec §5.1). A comparator covers a set of fields of one model and knows
 * how they may legitimately differ between the left (before) and the right (after) export.
 * `validate()` runs, for every instance pair, each comparator's `existence` and, when that found
 * nothing, its `compare`; only after every comparator of the model has compared does it run their
 * `scrub`s, which take the covered fields out of the final JSON diff. A comparator returns
 * findings for differences in the data and never throws for them: a throw is a bug, reported with
 * the model and ordinal.
 */

export type { ComparatorFinding, ComparatorName, FindingKind, InstanceId }

/** One side of an instance pair, as comparators see it. */
export interface ComparedRow {
  readonly model: string
  readonly pk: number
  readonly ordinal: number
  /** The row's fields. `compare` must not change them; `scrub` deletes the fields it covers. */
  readonly fields: Record<string, unknown>
  /** What `scrub` took out, keyed `<ComparatorName>::<field>` (spec §4.2). Never diffed. */
  readonly scrubbed: Record<string, unknown>
}

/** pk → ordinal for one side, per model: how foreign keys are compared across installations. */
export interface PrimaryKeyOrdinals {
  ordinalOf(model: string, pk: unknown): number | undefined
}

/** What `validate()` hands every `compare` call. */
export interface CompareContext {
  readonly leftPks: PrimaryKeyOrdinals
  readonly rightPks: PrimaryKeyOrdinals
}

export interface Comparator {
  /** Class-like name ending in `Comparator`; findings are of this kind (existence: `…ExistenceCheck`). */
  readonly name: ComparatorName
  /** The covered fields, sorted: `compare` walks them in this order, which orders its findings. */
  readonly fields: readonly string[]
  /**
   * Other fields the comparator reads but does not cover (the password comparator reads
   * `is_unclaimed`). Checked against the model at registration like `fields`. Default: none.
   */
  readonly reads?: readonly string[]
  /** Findings when a covered field is missing (absent or null) on exactly one side. */
  existence(on: InstanceId, left: ComparedRow, right: ComparedRow): ComparatorFinding[]
  /** Findings for covered fields whose values are not acceptably related. Must not change its inputs. */
  compare(
    on: InstanceId,
    left: ComparedRow,
    right: ComparedRow,
    context?: CompareContext,
  ): ComparatorFinding[]
  /** Moves the covered fields from `fields` to `scrubbed` on both sides. */
  scrub(left: ComparedRow, right: ComparedRow): void
  /**
   * Obfuscating comparators only: the shortened form of a secret value. `validate()` also uses it
   * wherever it has to name a covered value itself (a duplicated custom ordinal), so no secret
   * appears unshortened in any finding.
   */
  shorten?(value: unknown): string
}

/** The value recorded for a scrubbed field by comparators that keep nothing of it. */
export const SCRUBBED: ScrubbedMarker = Object.freeze({ scrubbed: true })

/** Sentry's `ScrubbedData`: "this field was replaced by the framework", nothing about its value. */
export interface ScrubbedMarker {
  readonly scrubbed: true
}

/** What a comparator author writes; `defineComparator` adds the defaults. */
export interface ComparatorDefinition {
  /** Class-like, ending in `Comparator`: the kind of its findings. */
  readonly name: ComparatorName
  /** The fields it covers (and scrubs); any order, duplicates dropped. */
  readonly fields: readonly string[]
  /** Other fields it reads, checked at registration. Default: none. */
  readonly reads?: readonly string[]
  /** The comparison: findings for unacceptable differences; must not change its inputs. */
  readonly compare: Comparator['compare']
  /** Default: the standard check of spec §4.3 over all covered fields. */
  readonly existence?: Comparator['existence']
  /**
   * What `scrub` records for a present value, given as a list (a single value is wrapped).
   * Default: the `SCRUBBED` marker.
   */
  readonly scrubValue?: (values: readonly unknown[]) => unknown
  /** For secrets: the shortened form `validate()` shows wherever it names a value. Default: none. */
  readonly shorten?: (value: unknown) => string
  /**
   * True when two rows that hold the same primitive value (`===`, or absent on both sides) in
   * every covered and read field never give a finding, from `existence` or `compare`:
   * `validate()` then skips both for such pairs, which are most pairs. Leave it unset for checks
   * of one side's format or of values that must differ. Default: false.
   */
  readonly reflexive?: boolean
  /**
   * True when `existence` and `compare` use `on` only to put it, unchanged, on the findings they
   * return (they neither branch on `on.ordinal` nor write it into a reason): `validate()` may
   * then compare rows with a custom ordinal before their ordinal is known, as it streams, and set
   * it on the findings afterwards. Default: false.
   */
  readonly ordinalOnlyInFindings?: boolean
}

// What validate() may assume of a comparator, kept outside the frozen objects so they stay plain.
const REFLEXIVE = new WeakSet<Comparator>()
const STANDARD_SCRUB = new WeakSet<Comparator>()
const ORDINAL_ONLY_IN_FINDINGS = new WeakSet<Comparator>()

/** Whether `validate()` may skip the comparator for pairs equal in its fields (see `reflexive`). */
export function isReflexive(comparator: Comparator): boolean {
  return REFLEXIVE.has(comparator)
}

/** Whether the comparator uses `on.ordinal` only on its findings (see `ordinalOnlyInFindings`). */
export function usesOrdinalOnlyInFindings(comparator: Comparator): boolean {
  return ORDINAL_ONLY_IN_FINDINGS.has(comparator)
}

/**
 * Whether the comparator's `scrub` is the standard one (spec §4.2) over its `fields`, so that
 * `validate()` may work out what it removes instead of running it.
 */
export function hasStandardScrub(comparator: Comparator): boolean {
  return STANDARD_SCRUB.has(comparator)
}

/** Builds a comparator from its definition: sorted fields, the default existence check and scrub. */
export function defineComparator(definition: ComparatorDefinition): Comparator {
  const { name, compare, shorten, scrubValue } = definition
  if (!name.endsWith('Comparator')) {
    throw new HarnessError({
      code: 'APPLICATION_INVALID',
      stage: 'application',
      message: `comparator invalid: its name "${name}" does not end in "Comparator"`,
      hint: 'Name it like a class, e.g. "TrimmedEqualityComparator": finding kinds derive from it',
      context: { comparator: name },
    })
  }
  const fields = [...new Set(definition.fields)].sort()
  const comparator: Comparator = {
    name,
    fields,
    ...(definition.reads ? { reads: [...definition.reads] } : {}),
    existence:
      definition.existence ??
      ((on, left, right) => existenceFindings(name, fields, on, left, right)),
    compare,
    scrub: (left, right) => scrubFields(name, fields, left, right, scrubValue),
    ...(shorten ? { shorten } : {}),
  }
  Object.freeze(comparator)
  STANDARD_SCRUB.add(comparator)
  if (definition.reflexive) REFLEXIVE.add(comparator)
  if (definition.ordinalOnlyInFindings) ORDINAL_ONLY_IN_FINDINGS.add(comparator)
  return comparator
}

/**
 * A comparator that judges each covered field on its own, in sorted order, skipping fields
 * missing on both sides: `judge` returns the reason when the two values are not acceptably
 * related, or undefined when they are. Most built-in comparators are this shape.
 */
export function fieldByFieldComparator(
  name: ComparatorName,
  fields: readonly string[],
  judge: (field: string, leftValue: unknown, rightValue: unknown) => string | undefined,
  options: { readonly reflexive?: boolean } = {},
): Comparator {
  return defineComparator({
    name,
    fields,
    ...(options.reflexive ? { reflexive: true } : {}),
    // `judge` never sees `on`.
    ordinalOnlyInFindings: true,
    compare: (on, left, right) => {
      const findings: ComparatorFinding[] = []
      for (const field of presentFields(fields, left, right)) {
        const reason = judge(field, left.fields[field], right.fields[field])
        if (reason !== undefined) findings.push(finding(name, on, left, right, reason))
      }
      return findings
    },
  })
}

/** A finding about one instance pair, with both sides' pks. */
export function finding(
  kind: FindingKind,
  on: InstanceId,
  left: ComparedRow,
  right: ComparedRow,
  reason: string,
): ComparatorFinding {
  return { kind, on, left_pk: left.pk, right_pk: right.pk, reason }
}

/** Absent or null: Sentry's `fields.get(f) is None`. */
export function isMissing(row: ComparedRow, field: string): boolean {
  return row.fields[field] === undefined || row.fields[field] === null
}

/**
 * The fields, sorted, that are present on at least one side: what a `compare` looks at, since a
 * field missing on both sides is never compared (spec §5.1).
 */
export function presentFields(
  fields: readonly string[],
  left: ComparedRow,
  right: ComparedRow,
): string[] {
  const present: string[] = []
  for (const field of sortedOnce(fields)) {
    if (!(isMissing(left, field) && isMissing(right, field))) present.push(field)
  }
  return present
}

// A comparator's field list is the same array for every instance: sort it once, not per row.
const SORTED = new WeakMap<readonly string[], readonly string[]>()

function sortedOnce(fields: readonly string[]): readonly string[] {
  // Most lists have one field or are listed in order: checking is cheaper than the lookup.
  if (inOrder(fields)) return fields
  let sorted = SORTED.get(fields)
  if (!sorted) {
    sorted = [...fields].sort()
    SORTED.set(fields, sorted)
  }
  return sorted
}

/** Whether `fields` is in `sort()` order already (UTF-16 code units, as `<` compares). */
function inOrder(fields: readonly string[]): boolean {
  for (let i = 1; i < fields.length; i++) if (fields[i]! < fields[i - 1]!) return false
  return true
}

/** The standard existence check (spec §4.3). */
export function existenceFindings(
  name: ComparatorName,
  fields: readonly string[],
  on: InstanceId,
  left: ComparedRow,
  right: ComparedRow,
): ComparatorFinding[] {
  const findings: ComparatorFinding[] = []
  for (const field of fields) {
    const missingLeft = isMissing(left, field)
    const missingRight = isMissing(right, field)
    if (missingLeft === missingRight) continue
    const side = missingLeft ? 'left' : 'right'
    findings.push(
      finding(
        `${name}ExistenceCheck`,
        on,
        left,
        right,
        `the ${side} \`${field}\` value was missing`,
      ),
    )
  }
  return findings
}

/** The standard scrub (spec §4.2). Without `scrubValue`, present values are recorded as `SCRUBBED`. */
export function scrubFields(
  name: ComparatorName,
  fields: readonly string[],
  left: ComparedRow,
  right: ComparedRow,
  scrubValue?: (values: readonly unknown[]) => unknown,
): void {
  checkRow('left', left)
  checkRow('right', right)
  for (const field of fields) {
    const key = `${name}::${field}`
    scrubField(left, field, key, scrubValue)
    scrubField(right, field, key, scrubValue)
  }
}

function scrubField(
  row: ComparedRow,
  field: string,
  key: string,
  scrubValue: ((values: readonly unknown[]) => unknown) | undefined,
): void {
  const value = row.fields[field]
  if (value === undefined || value === null) {
    // Present-but-null and absent become the same: absent, with a null record if it was there.
    if (field in row.fields) {
      delete row.fields[field]
      row.scrubbed[key] = null
    }
    return
  }
  delete row.fields[field]
  row.scrubbed[key] = scrubValue ? scrubValue(Array.isArray(value) ? value : [value]) : SCRUBBED
}

function checkRow(side: 'left' | 'right', row: ComparedRow): void {
  const problem =
    typeof row.model !== 'string'
      ? `The ${side} input must have a \`model\` string assigned to it.`
      : typeof row.ordinal !== 'number'
        ? `The ${side} input must have a numerical \`ordinal\` entry.`
        : typeof row.fields !== 'object' || row.fields === null
          ? `The ${side} input must have a \`fields\` dictionary.`
          : undefined
  if (problem) {
    throw new HarnessError({
      code: 'COMPARATOR_FAILED',
      stage: 'validate',
      message: `scrub failed: ${problem}`,
      hint: 'Pass rows shaped like validate() builds them: model, pk, ordinal, fields, scrubbed',
    })
  }
}
