import {
  defineComparator,
  finding,
  presentFields,
  type Comparator,
  type ComparatorFinding,
} from './comparator.ts'
import { compareJson, jsonEqual } from './json-values.ts'
import { pythonStr } from './python-text.ts'

const NAME = 'UnorderedListComparator'

/** Lists whose order does not matter: equal once both are sorted; a missing list counts as empty. */
export function unorderedList(...fields: string[]): Comparator {
  return defineComparator({
    name: NAME,
    fields,
    compare: (on, left, right) => {
      const findings: ComparatorFinding[] = []
      for (const field of presentFields(fields, left, right)) {
        const leftValue = left.fields[field] || []
        const rightValue = right.fields[field] || []
        if (jsonEqual(sorted(leftValue), sorted(rightValue))) continue
        findings.push(
          finding(
            NAME,
            on,
            left,
            right,
            `the left value (${pythonStr(leftValue)}) of the unordered list field \`${field}\` was not equal to the right value (${pythonStr(rightValue)})`,
          ),
        )
      }
      return findings
    },
  })
}

/** Python's `sorted()`: of a list, its items; of a string, its characters. */
function sorted(value: unknown): unknown[] {
  const items = Array.isArray(value)
    ? [...value]
    : typeof value === 'string'
      ? Array.from(value)
      : [value]
  return items.sort(compareJson)
}
