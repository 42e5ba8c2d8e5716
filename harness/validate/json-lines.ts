import { compareCodePoints } from '../../comparators/json-values.ts'
import { formatPythonJson } from '../backup/write-backup.ts'

/**
 * A row's fields as the final diff sees them (spec §4.1 step 7): Python's `json.dumps` with
 * indent 2, sorted keys and ASCII escaping, so the diff lines read exactly as Sentry's.
 */
export function sortedJsonText(fields: Readonly<Record<string, unknown>>): string {
  return formatPythonJson(sortedCopy(fields), 2)
}

/** Objects become `Map`s in sorted key order: the writer keeps a `Map`'s order, even for "1"-like keys. */
function sortedCopy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedCopy)
  if (value === null || typeof value !== 'object') return value
  // Python sorts keys by code point.
  const keys = Object.keys(value).sort(compareCodePoints)
  const map = new Map<string, unknown>()
  for (const key of keys) map.set(key, sortedCopy((value as Record<string, unknown>)[key]))
  return map
}
