import type { Comparator, ComparedRow } from '../../comparators/comparator.ts'
import type { ComparatorFinding } from '../findings/comparator-findings.ts'

/**
 * Values shorter than this are left alone: replacing "1" or "abc" wherever it occurs would garble
 * the reason, and a hash comparator shows nothing of values under 8 characters anyway.
 */
const MIN_SECRET_LENGTH = 4

/**
 * Obfuscating comparators shorten what they report themselves, but another comparator of the
 * same field may print its value: a format check printing a malformed key, as Sentry's does in
 * full. This replaces, in the reasons of `findings[from…]` (those of `reporter`), every value of a
 * field that `reporter` shares with an obfuscating comparator of the model by its shortened form.
 * Call it before scrubbing, while the values are still in the rows.
 */
export function redactSecrets(
  findings: ComparatorFinding[],
  from: number,
  reporter: Comparator,
  comparators: readonly Comparator[],
  left: ComparedRow,
  right: ComparedRow,
): void {
  if (reporter.shorten || from === findings.length) return
  const secrets = new Map<string, string>()
  for (const obfuscating of comparators) {
    if (!obfuscating.shorten) continue
    for (const field of obfuscating.fields) {
      if (!reporter.fields.includes(field)) continue
      for (const value of [left.fields[field], right.fields[field]]) {
        for (const item of Array.isArray(value) ? value : [value]) {
          if (typeof item === 'string' && item.length >= MIN_SECRET_LENGTH)
            secrets.set(item, obfuscating.shorten(item))
        }
      }
    }
  }
  if (secrets.size === 0) return
  // Longest first, so a secret that contains another is replaced whole.
  const ordered = [...secrets].sort(([a], [b]) => b.length - a.length)
  for (let index = from; index < findings.length; index++) {
    const finding = findings[index]!
    let reason = finding.reason
    for (const [secret, shortened] of ordered) {
      if (reason.includes(secret)) reason = reason.split(secret).join(shortened)
    }
    if (reason !== finding.reason) findings[index] = { ...finding, reason }
  }
}
