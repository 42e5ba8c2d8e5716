import type { Comparator } from './comparator.ts'
import { regexComparator, unequalValueFindings } from './regex.ts'

const NAME = 'SubscriptionIDComparator'

/**
 * Query-subscription ids (`<number>/<32 hex>`), which an import regenerates: the two values must
 * differ, and both must have the format.
 */
export function subscriptionId(...fields: string[]): Comparator {
  return regexComparator({
    name: NAME,
    fields,
    pattern: /^\d+\/[0-9a-f]{32}$/,
    ordinalOnlyInFindings: true,
    // One line, where Sentry's text carries a line break and source indentation.
    before: (on, left, right) =>
      unequalValueFindings(NAME, fields, 'the subscription ID field', on, left, right),
  })
}
