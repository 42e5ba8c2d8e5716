import deepDiff from 'deep-diff'
import type { FieldChange } from '../findings/comparator-findings.ts'
import { compareCodePoints } from '../../comparators/json-values.ts'

/**
 * The structured changes between two rows' remaining fields, for `UnequalJSON` findings: one
 * record per changed value, by path. deep-diff stays behind this function; its records never
 * leave it. Objects are compared by key whatever their order; lists by position.
 */
export function fieldChanges(
  left: Readonly<Record<string, unknown>>,
  right: Readonly<Record<string, unknown>>,
): FieldChange[] {
  const changes: FieldChange[] = []
  for (const record of deepDiff.diff(left, right) ?? []) {
    const path: (string | number)[] = [...(record.path ?? [])]
    let change = record
    if (change.kind === 'A') {
      path.push(change.index)
      change = change.item
    }
    if (change.kind === 'N') changes.push({ path, kind: 'added', right: change.rhs })
    else if (change.kind === 'D') changes.push({ path, kind: 'removed', left: change.lhs })
    else if (change.kind === 'E')
      changes.push({ path, kind: 'changed', left: change.lhs, right: change.rhs })
  }
  // deep-diff reports list items from the end; readers expect path order.
  return changes.sort((a, b) => comparePaths(a.path, b.path))
}

function comparePaths(a: readonly (string | number)[], b: readonly (string | number)[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!
    const y = b[i]!
    if (x === y) continue
    if (typeof x === 'number' && typeof y === 'number') return x - y
    return compareCodePoints(String(x), String(y))
  }
  return a.length - b.length
}
