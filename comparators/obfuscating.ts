import { jsonEqual } from './json-values.ts'
import {
  defineComparator,
  finding,
  presentFields,
  type ComparatorFinding,
  type ComparatorName,
  type ComparedRow,
  type Comparator,
  type InstanceId,
} from './comparator.ts'

/** How an obfuscating comparator is built. */
export interface ObfuscatingOptions {
  readonly name: ComparatorName
  readonly fields: readonly string[]
  /** The shortened form of one secret. */
  readonly shorten: (value: string) => string
  /** Default: plain equality, reported with shortened values. */
  readonly compare?: Comparator['compare']
  /** Other fields the compare reads. Default: none. */
  readonly reads?: readonly string[]
  /** `compare` uses `on` only on its findings (see `ordinalOnlyInFindings`). Default: false. */
  readonly ordinalOnlyInFindings?: boolean
}

/**
 * The shared shape of Sentry's obfuscating comparators (spec §5.1): plain equality, but a secret
 * never appears in full. Reasons show only the shortened first element of each side, and `scrub`
 * records the shortened values, so nothing unshortened reaches a finding, a log or a report.
 */
export function obfuscatingComparator(options: ObfuscatingOptions): Comparator {
  const { name, fields, shorten, reads } = options
  const shortenAny = (value: unknown) => shorten(asText(value))
  return defineComparator({
    name,
    fields,
    ...(reads ? { reads } : {}),
    compare:
      options.compare ??
      ((on, left, right) => obfuscatedEquality(name, fields, shorten, on, left, right)),
    scrubValue: (values) => values.map(shortenAny),
    shorten: shortenAny,
    // Plain equality finds nothing in equal values; a compare of its own may (the password's).
    ...(options.compare ? {} : { reflexive: true }),
    ordinalOnlyInFindings: !options.compare || options.ordinalOnlyInFindings === true,
  })
}

/** Plain equality of each field; on a difference, the shortened first elements. */
export function obfuscatedEquality(
  name: ComparatorName,
  fields: readonly string[],
  shorten: (value: string) => string,
  on: InstanceId,
  left: ComparedRow,
  right: ComparedRow,
): ComparatorFinding[] {
  const findings: ComparatorFinding[] = []
  for (const field of presentFields(fields, left, right)) {
    const leftValue = left.fields[field]
    const rightValue = right.fields[field]
    if (jsonEqual(leftValue, rightValue)) continue
    findings.push(
      finding(
        name,
        on,
        left,
        right,
        `the left value ("${shortenFirst(leftValue, shorten)}") of \`${field}\` was not equal to the right value ("${shortenFirst(rightValue, shorten)}")`,
      ),
    )
  }
  return findings
}

/** Sentry shortens `[value]` (or the list itself) and shows element 0. */
export function shortenFirst(value: unknown, shorten: (value: string) => string): string {
  const first = Array.isArray(value) ? value[0] : value
  return shorten(asText(first))
}

/** Secrets are strings; anything else is shortened by its JSON text, never shown whole. */
function asText(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? '')
}
