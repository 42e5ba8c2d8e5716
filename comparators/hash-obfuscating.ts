import type { Comparator } from './comparator.ts'
import { obfuscatingComparator } from './obfuscating.ts'

/** Hashes, keys and tokens: equal, shown as at most three characters at each end. */
export function hashObfuscating(...fields: string[]): Comparator {
  return obfuscatingComparator({ name: 'HashObfuscatingComparator', fields, shorten: shortenHash })
}

/** ≥ 16 characters: 3 at each end; ≥ 8: 1 at each end; shorter: nothing at all. */
export function shortenHash(value: string): string {
  if (value.length >= 16) return `${value.slice(0, 3)}...${value.slice(-3)}`
  if (value.length >= 8) return `${value.slice(0, 1)}...${value.slice(-1)}`
  return '...'
}
