import { defineComparator, type Comparator } from './comparator.ts'

/**
 * Fields that cannot be compared at all (regenerated hashes, derived flags): never compared, not
 * even for existence, and scrubbed. The validate counts show how many values each one removed, so
 * an over-broad ignore rule stays visible.
 */
export function ignored(...fields: string[]): Comparator {
  return defineComparator({
    name: 'IgnoredComparator',
    fields,
    ordinalOnlyInFindings: true,
    compare: () => [],
    existence: () => [],
    reflexive: true,
  })
}
