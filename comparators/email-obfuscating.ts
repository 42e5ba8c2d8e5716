import type { Comparator } from './comparator.ts'
import { obfuscatingComparator } from './obfuscating.ts'

/**
 * E-mail addresses: equal, shown as the first character of the local part and the last six of
 * the domain (`t...@...le.com`). A value that is not `local@domain` is shown unchanged, as in Sentry.
 */
export function emailObfuscating(...fields: string[]): Comparator {
  return obfuscatingComparator({
    name: 'EmailObfuscatingComparator',
    fields,
    shorten: shortenEmail,
  })
}

export function shortenEmail(value: string): string {
  const parts = value.split('@')
  if (parts.length !== 2) return value
  const [local, domain] = parts as [string, string]
  return `${local.slice(0, 1)}...@...${domain.slice(-6)}`
}
