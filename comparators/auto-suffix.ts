import { fieldByFieldComparator, type Comparator } from './comparator.ts'
import { pythonStr } from './python-text.ts'

const NAME = 'AutoSuffixComparator'

/**
 * Globally unique strings that an import may suffix on collision (`my-org` → `my-org-x1k2`): the
 * right value equals the left or starts with the left plus a dash.
 */
export function autoSuffix(...fields: string[]): Comparator {
  return fieldByFieldComparator(NAME, fields, (field, leftValue, rightValue) => {
    if (leftValue === rightValue) return undefined
    if (typeof leftValue === 'string' && typeof rightValue === 'string' && rightValue.startsWith(`${leftValue}-`)) {
      return undefined
    }
    return `the left value (${pythonStr(leftValue)}) of \`${field}\` was not equal to or a dashed prefix of the right value (${pythonStr(rightValue)})`
  }, { reflexive: true })
}
