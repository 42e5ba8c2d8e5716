import { fieldByFieldComparator, type Comparator } from './comparator.ts'
import { parseInstant } from './datetimes.ts'
import { pythonStr } from './python-text.ts'

const NAME = 'DatetimeEqualityComparator'

/**
 * Datetimes compared as instants, so a value written without milliseconds (`…00Z`, older exports)
 * equals the same moment written with them (`…00.000Z`).
 */
export function datetimeEquality(...fields: string[]): Comparator {
  return fieldByFieldComparator(NAME, fields, (field, leftValue, rightValue) => {
    // The same text is the same instant; parsing is for texts that differ.
    if (leftValue === rightValue) return undefined
    const leftInstant = parseInstant(leftValue)
    if (leftInstant !== undefined && leftInstant === parseInstant(rightValue)) return undefined
    return `the left value (${pythonStr(leftValue)}) of \`${field}\` was not equal to the right value (${pythonStr(rightValue)})`
  }, { reflexive: true })
}
