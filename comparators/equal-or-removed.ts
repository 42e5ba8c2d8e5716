import {
  defineComparator,
  finding,
  isMissing,
  type Comparator,
  type ComparatorFinding,
} from './comparator.ts'
import { jsonEqual } from './json-values.ts'
import { pythonStr } from './python-text.ts'

const NAME = 'EqualOrRemovedComparator'

/**
 * Fields an import may clear (a reference to a row that did not come along): equal, unless the
 * right value is missing. Only a value that appears on the right without one on the left fails
 * the existence check.
 */
export function equalOrRemoved(...fields: string[]): Comparator {
  const sortedFields = [...fields].sort()
  return defineComparator({
    name: NAME,
    fields,
    reflexive: true,
    ordinalOnlyInFindings: true,
    existence: (on, left, right) =>
      sortedFields
        .filter((field) => isMissing(left, field) && !isMissing(right, field))
        .map((field) =>
          finding(
            `${NAME}ExistenceCheck`,
            on,
            left,
            right,
            `the left \`${field}\` value was missing`,
          ),
        ),
    compare: (on, left, right) => {
      const findings: ComparatorFinding[] = []
      for (const field of sortedFields) {
        if (isMissing(right, field)) continue
        const leftValue = left.fields[field]
        const rightValue = right.fields[field]
        if (jsonEqual(leftValue, rightValue)) continue
        findings.push(
          finding(
            NAME,
            on,
            left,
            right,
            `the left value ("${pythonStr(leftValue)}") of \`${field}\` was not equal to the right value ("${pythonStr(rightValue)}")`,
          ),
        )
      }
      return findings
    },
  })
}
