import { fieldByFieldComparator, type Comparator } from './comparator.ts'
import { parseInstant, UNIX_EPOCH } from './datetimes.ts'
import { pythonStr } from './python-text.ts'

const NAME = 'DateUpdatedComparator'

/**
 * "Updated at" timestamps, which an import may move forward but never back: the left instant must
 * not be after the right one. An empty value counts as the Unix epoch.
 */
export function dateUpdated(...fields: string[]): Comparator {
  return fieldByFieldComparator(NAME, fields, (field, leftRaw, rightRaw) => {
    const leftValue = leftRaw || UNIX_EPOCH
    const rightValue = rightRaw || UNIX_EPOCH
    if (leftValue === rightValue) return undefined
    const leftInstant = parseInstant(leftValue)
    const rightInstant = parseInstant(rightValue)
    // A value that is no datetime cannot be shown to be in order, so it is reported too.
    if (leftInstant !== undefined && rightInstant !== undefined && leftInstant <= rightInstant) return undefined
    return `the left value (${pythonStr(leftValue)}) of \`${field}\` was not less than or equal to the right value (${pythonStr(rightValue)})`
  }, { reflexive: true })
}
