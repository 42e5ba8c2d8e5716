import { finding, type ComparatorFinding, type Comparator } from './comparator.ts'
import { parseInstant, UNIX_EPOCH } from './datetimes.ts'
import { jsonEqual } from './json-values.ts'
import { obfuscatedEquality, obfuscatingComparator, shortenFirst } from './obfuscating.ts'
import { pythonStr } from './python-text.ts'

const NAME = 'UserPasswordObfuscatingComparator'

/**
 * A user's `password` (spec §5.2). Importing never claims a user; a claimed user keeps their
 * password; an unclaimed one must have been given a new one, with `last_password_change` not
 * going back and `is_password_expired` false. Reads `is_unclaimed`, `last_password_change` and
 * `is_password_expired`, which the model must therefore have.
 */
export function userPasswordObfuscating(): Comparator {
  return obfuscatingComparator({
    name: NAME,
    fields: ['password'],
    shorten: shortenPassword,
    reads: ['is_unclaimed', 'last_password_change', 'is_password_expired'],
    ordinalOnlyInFindings: true,
    compare: (on, left, right) => {
      const findings: ComparatorFinding[] = []
      const rightUnclaimed = Boolean(right.fields.is_unclaimed)
      if (left.fields.is_unclaimed && !rightUnclaimed) {
        findings.push(
          finding(
            NAME,
            on,
            left,
            right,
            'the left value of `is_unclaimed` was `True` but the right value was `False`, even though the act of importing cannot claim users',
          ),
        )
      }
      if (!rightUnclaimed) {
        findings.push(...obfuscatedEquality(NAME, ['password'], shortenPassword, on, left, right))
        return findings
      }
      const leftPassword = left.fields.password
      const rightPassword = right.fields.password
      if (jsonEqual(leftPassword, rightPassword)) {
        // One line, where Sentry's text carries a line break and source indentation.
        findings.push(
          finding(
            NAME,
            on,
            left,
            right,
            `the left value ("${shortenFirst(leftPassword, shortenPassword)}") of \`password\` was equal to the right value ("${shortenFirst(rightPassword, shortenPassword)}"), which is disallowed when \`is_unclaimed\` is \`True\``,
          ),
        )
      }
      const leftChange = left.fields.last_password_change || UNIX_EPOCH
      const rightChange = right.fields.last_password_change || UNIX_EPOCH
      const leftInstant = parseInstant(leftChange)
      const rightInstant = parseInstant(rightChange)
      // An unreadable date cannot show that the password change moved forward.
      if (leftInstant === undefined || rightInstant === undefined || leftInstant > rightInstant) {
        findings.push(
          finding(
            NAME,
            on,
            left,
            right,
            `the left value (${pythonStr(leftChange)}) of \`last_password_change\` was not less than or equal to the right value (${pythonStr(rightChange)})`,
          ),
        )
      }
      if (right.fields.is_password_expired) {
        findings.push(
          finding(
            NAME,
            on,
            left,
            right,
            'the right value of `is_password_expired` must be `False` for unclaimed users',
          ),
        )
      }
      return findings
    },
  })
}

/** > 80 characters: the algorithm prefix (12) and 6 at the end; > 40: 6 and 4; shorter: nothing. */
export function shortenPassword(value: string): string {
  if (value.length > 80) return `${value.slice(0, 12)}...${value.slice(-6)}`
  if (value.length > 40) return `${value.slice(0, 6)}...${value.slice(-4)}`
  return '...'
}
