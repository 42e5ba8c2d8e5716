import type { Comparator } from './comparator.ts'
import { regexComparator, unequalValueFindings } from './regex.ts'

const NAME = 'UUID4Comparator'

/**
 * UUIDs that an import regenerates: the two values must differ, and both must be version-4 UUIDs
 * (any case, dashes optional).
 */
export function uuid4(...fields: string[]): Comparator {
  return regexComparator({
    name: NAME,
    fields,
    pattern: /^[a-f0-9]{8}-?[a-f0-9]{4}-?4[a-f0-9]{3}-?[89ab][a-f0-9]{3}-?[a-f0-9]{12}$/i,
    before: (on, left, right) =>
      unequalValueFindings(NAME, fields, 'the UUID field', on, left, right),
  })
}
