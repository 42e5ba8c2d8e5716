/**
 * Equality and ordering of JSON values with Python's meaning, for comparators that say "equal" or
 * "sorted" the way Sentry's do (`==` on parsed JSON, `sorted()` on lists).
 */

/** Deep equality of JSON values; object key order does not matter, list order does. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false
    return a.every((item, index) => jsonEqual(item, b[index]))
  }
  const aKeys = Object.keys(a)
  const bRecord = b as Record<string, unknown>
  if (aKeys.length !== Object.keys(bRecord).length) return false
  return aKeys.every(
    (key) => key in bRecord && jsonEqual((a as Record<string, unknown>)[key], bRecord[key]),
  )
}

/**
 * A total order on JSON values: Python's order within a type (numbers by value, strings by code
 * point, lists element by element), and null < booleans < numbers < strings < lists < objects
 * across types, where Python would refuse to compare.
 */
export function compareJson(a: unknown, b: unknown): number {
  const rankA = rank(a)
  const rankB = rank(b)
  if (rankA !== rankB) return rankA - rankB
  switch (rankA) {
    case 1:
    case 2:
      return Number(a) - Number(b)
    case 3:
      return compareCodePoints(a as string, b as string)
    case 4:
      return compareSequences(a as readonly unknown[], b as readonly unknown[])
    case 5:
      return compareCodePoints(JSON.stringify(a), JSON.stringify(b))
    default:
      return 0
  }
}

/** Python's tuple and list order: element by element, a prefix first. */
export function compareSequences(a: readonly unknown[], b: readonly unknown[]): number {
  const length = Math.min(a.length, b.length)
  for (let index = 0; index < length; index++) {
    const order = compareJson(a[index], b[index])
    if (order !== 0) return order
  }
  return a.length - b.length
}

/** Python's string order (by code point); JavaScript's `<` orders by UTF-16 unit instead. */
export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length)
  for (let index = 0; index < length; index++) {
    const x = a.charCodeAt(index)
    const y = b.charCodeAt(index)
    if (x === y) continue
    // Only surrogates (astral characters) sort differently by unit than by code point.
    if (x >= 0xd800 && x < 0xe000 && (y < 0xd800 || y >= 0xe000)) return y >= 0xe000 ? 1 : x - y
    if (y >= 0xd800 && y < 0xe000 && (x < 0xd800 || x >= 0xe000)) return x >= 0xe000 ? -1 : x - y
    return x - y
  }
  return a.length - b.length
}

function rank(value: unknown): number {
  if (value === null || value === undefined) return 0
  if (typeof value === 'boolean') return 1
  if (typeof value === 'number') return 2
  if (typeof value === 'string') return 3
  if (Array.isArray(value)) return 4
  return 5
}
