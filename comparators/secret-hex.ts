import type { Comparator } from './comparator.ts'
import { regexComparator } from './regex.ts'

/**
 * Hex secrets of `bytes` bytes that an import may regenerate: lowercase hex of the right length on
 * both sides; equal values are fine.
 */
export function secretHex(bytes: number, ...fields: string[]): Comparator {
  return regexComparator({
    name: 'SecretHexComparator',
    fields,
    pattern: new RegExp(`^[0-9a-f]{${bytes * 2}}$`),
  })
}
