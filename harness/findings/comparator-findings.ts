import { formatFindingsJson, prettyFinding, type FindingJson } from './import-export-findings.ts'

/**
 * The findings of `validate()` (spec §4.4, §4.5): what differs between the left (before) and the
 * right (after) export. Plain, serialisable data; the JSON and pretty forms are Sentry's.
 */

/** The name of a comparator, Sentry-style: a class-like name ending in `Comparator`. */
export type ComparatorName = `${string}Comparator`

/**
 * What a finding is about. The structural kinds come from `validate()` itself; every comparator
 * reports under its own name, and its existence check under its name plus `ExistenceCheck`, so a
 * comparator written by an application adds its kinds without touching this list.
 */
export type FindingKind =
  | 'Unknown'
  | 'UnorderedInput'
  | 'DuplicateCustomOrdinal'
  | 'UnequalCounts'
  | 'UnequalJSON'
  | ComparatorName
  | `${ComparatorName}ExistenceCheck`

/** Sentry's `ComparatorFindingKind` in declaration order (spec §4.5): the built-in kinds. */
export const COMPARATOR_FINDING_KINDS = [
  'Unknown',
  'UnorderedInput',
  'DuplicateCustomOrdinal',
  'UnequalCounts',
  'UnequalJSON',
  'AutoSuffixComparator',
  'AutoSuffixComparatorExistenceCheck',
  'DatetimeEqualityComparator',
  'DatetimeEqualityComparatorExistenceCheck',
  'DateUpdatedComparator',
  'DateUpdatedComparatorExistenceCheck',
  'EmailObfuscatingComparator',
  'EmailObfuscatingComparatorExistenceCheck',
  'EqualOrRemovedComparator',
  'EqualOrRemovedComparatorExistenceCheck',
  'HashObfuscatingComparator',
  'HashObfuscatingComparatorExistenceCheck',
  'ForeignKeyComparator',
  'ForeignKeyComparatorExistenceCheck',
  'IgnoredComparator',
  'SecretHexComparator',
  'SecretHexComparatorExistenceCheck',
  'SubscriptionIDComparator',
  'SubscriptionIDComparatorExistenceCheck',
  'UnorderedListComparator',
  'UnorderedListComparatorExistenceCheck',
  'UUID4Comparator',
  'UUID4ComparatorExistenceCheck',
  'UserPasswordObfuscatingComparator',
  'UserPasswordObfuscatingComparatorExistenceCheck',
] as const satisfies readonly FindingKind[]

/**
 * One instance of a model, identified across both sides: the model and the instance's ordinal
 * (its 1-based position by pk or by custom ordinal). `ordinal` is null for findings about a whole
 * model; comparator unit tests use 0, as Sentry's do.
 */
export interface InstanceId {
  readonly model: string
  readonly ordinal: number | null
}

/**
 * One changed value of an `UnequalJSON` finding, so that tools need not parse the text diff.
 * `path` starts at a field name (`['data', 'options', 0]`); `left` is absent for an added value
 * and `right` for a removed one.
 */
export interface FieldChange {
  readonly path: readonly (string | number)[]
  readonly kind: 'added' | 'removed' | 'changed'
  readonly left?: unknown
  readonly right?: unknown
}

/** A difference between the two sides (Sentry's `ComparatorFinding`). */
export interface ComparatorFinding {
  readonly kind: FindingKind
  readonly on: InstanceId
  /** The instance's pk on the left side, or null when the finding is not about a left row. */
  readonly left_pk: number | null
  /** The instance's pk on the right side, or null when the finding is not about a right row. */
  readonly right_pk: number | null
  readonly reason: string
  /** `UnequalJSON` only: the differing values, computed after scrubbing, by path. */
  readonly changes?: readonly FieldChange[]
}

/** The JSON form (spec §4.7), plus `changes` where the finding has them. */
export function comparatorFindingJson(finding: ComparatorFinding): FindingJson {
  return {
    finding: 'ComparatorFinding',
    kind: finding.kind,
    left_pk: finding.left_pk,
    on: { model: finding.on.model, ordinal: finding.on.ordinal },
    reason: finding.reason,
    right_pk: finding.right_pk,
    ...(finding.changes ? { changes: finding.changes } : {}),
  }
}

/** The pretty form (spec §4.4): `ComparatorFinding(` … `)`, pks only when truthy. */
export function prettyComparatorFinding(finding: ComparatorFinding): string {
  return prettyFinding(comparatorFindingJson(finding))
}

/** Sentry's `ComparatorFindings.pretty()`: the pretty forms joined by newlines. */
export function prettyComparatorFindings(findings: readonly ComparatorFinding[]): string {
  return findings.map(prettyComparatorFinding).join('\n')
}

/** The `--findings-file` JSON: an array, indent 2, keys sorted. */
export function formatComparatorFindingsJson(findings: readonly ComparatorFinding[]): string {
  return formatFindingsJson(findings.map(comparatorFindingJson))
}
