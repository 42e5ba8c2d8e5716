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
import { pythonStr } from './python-text.ts'

export interface RegexComparatorOptions {
  readonly name: ComparatorName
  readonly fields: readonly string[]
  /** Must match the whole value; write it anchored (`^…$`), as the reason shows its source. */
  readonly pattern: RegExp
  /** Checks that run before the pattern checks, e.g. that the two values differ. Default: none. */
  readonly before?: Comparator['compare']
  /** `before` uses `on` only on its findings (see `ordinalOnlyInFindings`). Default: false. */
  readonly ordinalOnlyInFindings?: boolean
}

/**
 * Values with a known format (regenerated keys and ids): on each side the value must match the
 * pattern. Field by field (sorted), the left check, then the right.
 */
export function regexComparator(options: RegexComparatorOptions): Comparator {
  const { name, fields, pattern, before } = options
  return defineComparator({
    name,
    fields,
    ordinalOnlyInFindings: !before || options.ordinalOnlyInFindings === true,
    compare: (on, left, right, context) => [
      ...(before ? before(on, left, right, context) : []),
      ...patternFindings(name, fields, pattern, on, left, right),
    ],
  })
}

function patternFindings(
  name: ComparatorName,
  fields: readonly string[],
  pattern: RegExp,
  on: InstanceId,
  left: ComparedRow,
  right: ComparedRow,
): ComparatorFinding[] {
  const findings: ComparatorFinding[] = []
  // A pattern without state (`g`, `y`) gives the same answer for the same string twice.
  const stateless = !pattern.global && !pattern.sticky
  for (const field of presentFields(fields, left, right)) {
    const leftValue = left.fields[field]
    const rightValue = right.fields[field]
    const leftMatched = typeof leftValue === 'string' && pattern.test(leftValue)
    if (!leftMatched) {
      findings.push(finding(name, on, left, right, unmatchedReason('left', field, leftValue, pattern)))
    }
    const rightMatched =
      leftMatched && stateless && rightValue === leftValue
        ? true
        : typeof rightValue === 'string' && pattern.test(rightValue)
    if (!rightMatched) {
      const reason = unmatchedReason('right', field, rightValue, pattern)
      findings.push(finding(name, on, left, right, reason))
    }
  }
  return findings
}

function unmatchedReason(side: string, field: string, value: unknown, pattern: RegExp): string {
  return `the ${side} value ("${pythonStr(value)}") of \`${field}\` was not matched by this regex: ${pattern.source}`
}

/**
 * Findings for fields whose two values are equal, for formats that must be regenerated on import.
 * `describe` names the field in the reason ("the UUID field").
 */
export function unequalValueFindings(
  name: ComparatorName,
  fields: readonly string[],
  describe: string,
  on: InstanceId,
  left: ComparedRow,
  right: ComparedRow,
): ComparatorFinding[] {
  const findings: ComparatorFinding[] = []
  for (const field of presentFields(fields, left, right)) {
    const leftValue = left.fields[field]
    const rightValue = right.fields[field]
    if (leftValue !== rightValue) continue
    findings.push(
      finding(
        name,
        on,
        left,
        right,
        `the left value (${pythonStr(leftValue)}) of ${describe} \`${field}\` was equal to the right value (${pythonStr(rightValue)})`,
      ),
    )
  }
  return findings
}
