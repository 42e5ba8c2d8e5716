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
      if (typeof value !== 'string' || !(ISO_DATETIME.test(value) || ISO_DATE.test(value)) || Number.isNaN(Date.parse(value))) {
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

function wrongType(field: RegistryField, expected: string, value: unknown): FieldValueError {
  const shown = JSON.stringify(value)
  const brief = shown.length > 40 ? `${shown.slice(0, 37)}...` : shown
  return new FieldValueError(field.name, `\`${field.name}\` must be ${expected}, not ${brief}`)
}
