import {
  defineComparator,
  finding,
  presentFields,
  type Comparator,
  type ComparatorFinding,
} from './comparator.ts'
import { pythonStr } from './python-text.ts'

const NAME = 'AutoSuffixComparator'

/**
 * Globally unique strings that an import may suffix on collision (`my-org` → `my-org-x1k2`): the
 * right value equals the left or starts with the left plus a dash.
 */
export function autoSuffix(...fields: string[]): Comparator {
  return defineComparator({
    name: NAME,
    fields,
    compare: (on, left, right) => {
      const findings: ComparatorFinding[] = []
      for (const field of presentFields(fields, left, right)) {
        const leftValue = left.fields[field]
        const rightValue = right.fields[field]
        if (leftValue === rightValue) continue
        if (
          typeof leftValue === 'string' &&
          typeof rightValue === 'string' &&
          rightValue.startsWith(`${leftValue}-`)
        )
          continue
        findings.push(
          finding(
            NAME,
            on,
            left,
            right,
            `the left value (${pythonStr(leftValue)}) of \`${field}\` was not equal to or a dashed prefix of the right value (${pythonStr(rightValue)})`,
          ),
        )
      }
      return findings
    },
  })
}
