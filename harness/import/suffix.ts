import { randomInt } from 'node:crypto'

/** Sentry's alphabet for suffixes; the quirk of a doubled "0" and a missing "8" is kept. */
const SUFFIX_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456790'

/** Suffix lengths and how many random tries each gets (spec §2.9). */
const SUFFIX_ATTEMPTS: readonly (readonly [length: number, tries: number])[] = [
  [2, 2],
  [3, 5],
  [5, 20],
  [12, 1],
]

/**
 * Candidate values for a value that collides: the value cut to fit, plus "-" and random
 * characters, shortest suffixes first. The caller takes the first that is free.
 */
export function* suffixCandidates(value: string, maxLength: number): Generator<string> {
  for (const [length, tries] of SUFFIX_ATTEMPTS) {
    const base = [...value].slice(0, Math.max(0, maxLength - length - 1)).join('')
    for (let attempt = 0; attempt < tries; attempt += 1) {
      let suffix = ''
      for (let i = 0; i < length; i += 1) suffix += SUFFIX_ALPHABET[randomInt(SUFFIX_ALPHABET.length)]
      yield `${base}-${suffix}`
    }
  }
}
