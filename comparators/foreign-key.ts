import { HarnessError } from '../harness/errors.ts'
import {
  defineComparator,
  finding,
  isMissing,
  type Comparator,
  type ComparatorFinding,
} from './comparator.ts'
import { pythonStr } from './python-text.ts'

const NAME = 'ForeignKeyComparator'

/**
 * Foreign keys, compared by what they point at rather than by number: each side's pk is turned
 * into the target instance's ordinal through that side's pk → ordinal map, and the ordinals must
 * be equal. `targets` maps each field to its target model.
 */
export function foreignKey(targets: Readonly<Record<string, string>>): Comparator {
  const fields = Object.keys(targets)
  // `presentFields` in place, without its list per pair: this runs for nearly every row.
  const sorted = [...fields].sort()
  return defineComparator({
    name: NAME,
    fields,
    // Without fields there is nothing to look up, so nothing to find.
    reflexive: fields.length === 0,
    // `on.ordinal` goes into an error's context only: a throw is no finding.
    ordinalOnlyInFindings: true,
    compare: (on, left, right, context) => {
      const findings: ComparatorFinding[] = []
      for (const field of sorted) {
        if (isMissing(left, field) && isMissing(right, field)) continue
        if (!context) {
          throw new HarnessError({
            code: 'COMPARATOR_FAILED',
            stage: 'validate',
            message: `foreign key comparison failed: compare was called without the primary-key maps (model ${on.model}, field ${field})`,
            hint: 'Pass the CompareContext with leftPks and rightPks; validate() builds it',
            context: {
              model: on.model,
              field,
              ...(on.ordinal !== null ? { ordinal: on.ordinal } : {}),
            },
          })
        }
        const target = targets[field]!
        const leftValue = left.fields[field]
        const rightValue = right.fields[field]
        const leftOrdinal = context.leftPks.ordinalOf(target, leftValue)
        const rightOrdinal = context.rightPks.ordinalOf(target, rightValue)
        if (leftOrdinal === undefined || rightOrdinal === undefined) {
          if (leftOrdinal === undefined) {
            findings.push(
              finding(
                NAME,
                on,
                left,
                right,
                `the left foreign key ordinal for \`${field}\` model with pk \`${pythonStr(leftValue)}\` could not be found`,
              ),
            )
          }
          if (rightOrdinal === undefined) {
            findings.push(
              finding(
                NAME,
                on,
                left,
                right,
                `the right foreign key ordinal for \`${field}\` model with pk \`${pythonStr(rightValue)}\` could not be found`,
              ),
            )
          }
          continue
        }
        if (leftOrdinal === rightOrdinal) continue
        findings.push(
          finding(
            NAME,
            on,
            left,
            right,
            `the left foreign key ordinal (${leftOrdinal}) for \`${field}\` was not equal to the right foreign key ordinal (${rightOrdinal})`,
          ),
        )
      }
      return findings
    },
  })
}

/** pk → ordinal maps from plain records, e.g. `primaryKeyOrdinals({ 'app.user': { 12: 1 } })`. */
export function primaryKeyOrdinals(
  byModel: Readonly<Record<string, Readonly<Record<string, number>>>>,
): { ordinalOf(model: string, pk: unknown): number | undefined } {
  return { ordinalOf: (model, pk) => byModel[model]?.[String(pk)] }
}
