import {
  defineComparator,
  finding,
  presentFields,
  type Comparator,
  type ComparatorFinding,
} from './comparator.ts'
import { parseInstant } from './datetimes.ts'
import { pythonStr } from './python-text.ts'

const NAME = 'DatetimeEqualityComparator'

/**
 * Datetimes compared as instants, so a value written without milliseconds (`…00Z`, older exports)
 * equals the same moment written with them (`…00.000Z`).
 */
export function datetimeEquality(...fields: string[]): Comparator {
  return defineComparator({
    name: NAME,
    fields,
    compare: (on, left, right) => {
      const findings: ComparatorFinding[] = []
      for (const field of presentFields(fields, left, right)) {
        const leftValue = left.fields[field]
        const rightValue = right.fields[field]
        // The same text is the same instant; parsing is for texts that differ.
        if (leftValue === rightValue) continue
        const leftInstant = parseInstant(leftValue)
        if (leftInstant !== undefined && leftInstant === parseInstant(rightValue)) continue
        findings.push(
          finding(
            NAME,
            on,
            left,
            right,
            `the left value (${pythonStr(leftValue)}) of \`${field}\` was not equal to the right value (${pythonStr(rightValue)})`,
          ),
        )
      }
      return findings
    },
  })
}
