/**
 * Datetime values as the datetime comparators read them (dateutil's `parser.parse` in Sentry):
 * instants, so `…00Z`, `…00.000Z` and `…00+00:00` are the same moment (spec §4.6). Precision is
 * Python's, microseconds; further digits are dropped, as dateutil does.
 */

/** What a missing "updated at" value counts as: Python's `datetime.fromtimestamp(0, utc).isoformat()`. */
export const UNIX_EPOCH = '1970-01-01T00:00:00+00:00'

const ISO_DATETIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)?$/i

/**
 * Microseconds since the Unix epoch, or undefined when the value is not an ISO 8601 date or
 * datetime. A value without an offset is taken as UTC.
 */
export function parseInstant(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined
  const match = ISO_DATETIME.exec(value.trim())
  if (!match) return undefined
  const [, year, month, day, hour = '0', minute = '0', second = '0', fraction = '', offset] = match
  const ms = Date.UTC(
    Number(year),
    Number(month) - 1,
    Number(day),
    Number(hour),
    Number(minute),
    Number(second),
  )
  if (Number.isNaN(ms)) return undefined
  const micros = Number(fraction.slice(0, 6).padEnd(6, '0'))
  return (ms - offsetMinutes(offset) * 60_000) * 1000 + micros
}

function offsetMinutes(offset: string | undefined): number {
  if (!offset || offset.toUpperCase() === 'Z') return 0
  const digits = offset.slice(1).replaceAll(':', '')
  const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || 0)
  return offset.startsWith('-') ? -minutes : minutes
}
