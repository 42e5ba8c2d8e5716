import type { RegistryField } from '../application/model-registry.ts'

/** A value that does not fit its column: becomes a `ValidationError` naming row and field. */
export class FieldValueError extends Error {
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(reason)
  }
}

const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}(:?\d{2})?)?$/
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/
const INT32_MAX = 2_147_483_647

/**
 * Converts a backup value to the text PostgreSQL parses for the column, after checking it the way
 * the original application's validation would: type, length, range. `null` stays null (the caller
 * has already refused nulls in non-nullable columns).
 */
export function toColumnText(field: RegistryField, value: unknown): string | null {
  if (value === null) return null
  switch (field.type) {
    case 'string':
    case 'enum': {
      if (typeof value !== 'string') throw wrongType(field, 'a string', value)
      if (field.maxLength !== undefined && value.length > field.maxLength) {
        // UTF-16 length overestimates characters only for astral characters; count exactly then.
        const characters = [...value].length
        if (characters > field.maxLength) {
          throw new FieldValueError(field.name, `\`${field.name}\` has ${characters} characters, more than the ${field.maxLength} allowed`)
        }
      }
      if (value.includes('\u0000')) throw new FieldValueError(field.name, `\`${field.name}\` contains a NUL character, which PostgreSQL text cannot hold`)
      return value
    }
    case 'int':
    case 'bigint': {
      if (typeof value !== 'number' || !Number.isInteger(value)) throw wrongType(field, 'an integer', value)
      if (!Number.isSafeInteger(value)) throw new FieldValueError(field.name, `\`${field.name}\` is ${value}, beyond the 2^53 that is read exactly`)
      if (field.type === 'int' && Math.abs(value) > INT32_MAX) {
        throw new FieldValueError(field.name, `\`${field.name}\` is ${value}, out of range for a 32-bit integer`)
      }
      return String(value)
    }
    case 'float':
    case 'decimal': {
      if (typeof value === 'number' && Number.isFinite(value)) return String(value)
      if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return value
      throw wrongType(field, 'a number', value)
    }
    case 'boolean': {
      if (typeof value !== 'boolean') throw wrongType(field, 'true or false', value)
      return value ? 't' : 'f'
    }
    case 'datetime': {
      if (typeof value !== 'string') throw wrongType(field, 'a date-time like "2023-06-22T22:59:55.531Z"', value)
      if (isUtcDateTime(value)) return value
      if (!(ISO_DATETIME.test(value) || ISO_DATE.test(value)) || Number.isNaN(Date.parse(value))) {
        throw wrongType(field, 'a date-time like "2023-06-22T22:59:55.531Z"', value)
      }
      return value
    }
    case 'json':
      return JSON.stringify(value)
    case 'bytes': {
      if (typeof value !== 'string') throw wrongType(field, 'a base64 string', value)
      return `\\x${Buffer.from(value, 'base64').toString('hex')}`
    }
  }
}

const ZERO = 0x30
const NINE = 0x39

/**
 * The form exports write, `2023-06-22T22:59:55.531Z` (fraction and `Z` optional), with its fields
 * in range: the regular expression and `Date.parse` accept all of these, and checking by character
 * costs a tenth of them, which matters at a few date-times per row. Anything else takes the general
 * check.
 */
function isUtcDateTime(s: string): boolean {
  const n = s.length
  if (n < 19 || n > 27) return false
  if (s.charCodeAt(4) !== 0x2d || s.charCodeAt(7) !== 0x2d || s.charCodeAt(10) !== 0x54 || s.charCodeAt(13) !== 0x3a || s.charCodeAt(16) !== 0x3a) {
    return false
  }
  if (digit(s, 0) < 0 || digit(s, 1) < 0 || digit(s, 2) < 0 || digit(s, 3) < 0) return false
  const month = digit(s, 5) * 10 + digit(s, 6)
  const day = digit(s, 8) * 10 + digit(s, 9)
  const hour = digit(s, 11) * 10 + digit(s, 12)
  const minute = digit(s, 14) * 10 + digit(s, 15)
  const second = digit(s, 17) * 10 + digit(s, 18)
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) {
    return false
  }
  let i = 19
  const end = s.charCodeAt(n - 1) === 0x5a ? n - 1 : n
  if (i < end) {
    if (s.charCodeAt(i) !== 0x2e || end - i < 2 || end - i > 7) return false
    for (i++; i < end; i++) if (digit(s, i) < 0) return false
  }
  return true
}

/** The digit at `s[i]`, or a negative number that keeps any sum it enters negative. */
function digit(s: string, i: number): number {
  const c = s.charCodeAt(i)
  return c >= ZERO && c <= NINE ? c - ZERO : -100
}

/**
 * True when every text `toColumnText` makes for the field is free of backslash, tab, newline and
 * carriage return, so COPY needs no escaping scan: integers, booleans and checked date-times.
 * (Floats are not: a numeric string like "1\n" passes `Number`.)
 */
export function isPlainText(field: RegistryField): boolean {
  return field.type === 'int' || field.type === 'bigint' || field.type === 'boolean' || field.type === 'datetime'
}

function wrongType(field: RegistryField, expected: string, value: unknown): FieldValueError {
  const shown = JSON.stringify(value)
  const brief = shown.length > 40 ? `${shown.slice(0, 37)}...` : shown
  return new FieldValueError(field.name, `\`${field.name}\` must be ${expected}, not ${brief}`)
}
