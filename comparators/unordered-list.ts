import { fieldByFieldComparator, type Comparator } from './comparator.ts'
import { compareJson, jsonEqual } from './json-values.ts'
import { pythonStr } from './python-text.ts'

const NAME = 'UnorderedListComparator'

/** Lists whose order does not matter: equal once both are sorted; a missing list counts as empty. */
export function unorderedList(...fields: string[]): Comparator {
  return fieldByFieldComparator(NAME, fields, (field, leftRaw, rightRaw) => {
    const leftValue = leftRaw || []
    const rightValue = rightRaw || []
    if (jsonEqual(sorted(leftValue), sorted(rightValue))) return undefined
    return `the left value (${pythonStr(leftValue)}) of the unordered list field \`${field}\` was not equal to the right value (${pythonStr(rightValue)})`
  }, { reflexive: true })
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
