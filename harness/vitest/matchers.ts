import { expect } from 'vitest'
import type { CheckResult, SnapshotCheck } from '../check/check.ts'
import { prettyComparatorFindings } from '../findings/comparator-findings.ts'

/** The custom matchers; `import 'roundtrip/vitest'` registers them and their types. */
export interface RoundtripMatchers<R = unknown> {
  /** Passes when every checked snapshot came back with only its intended changes. */
  toRoundTripCleanly(): R
}

declare module 'vitest' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface Matchers<T = any> extends RoundtripMatchers<T> {}
}

function failuresOf(checks: readonly SnapshotCheck[]): string {
  return checks
    .filter((c) => !c.passed)
    .map((c) => `${c.snapshot}:\n${prettyComparatorFindings([...c.findings, ...c.stale])}`)
    .join('\n\n')
}

expect.extend({
  toRoundTripCleanly(received: CheckResult | SnapshotCheck) {
    const checks = 'checks' in received ? received.checks : [received]
    const pass = checks.every((c) => c.passed)
    return {
      pass,
      // The failure message is the pretty findings, as `roundtrip check` prints them.
      message: () =>
        pass
          ? `expected ${checks.map((c) => c.snapshot).join(', ')} not to round-trip cleanly, but nothing differed`
          : `expected a clean round trip, but:\n\n${failuresOf(checks)}`,
      actual: checks.flatMap((c) => [...c.findings, ...c.stale]),
      expected: [],
    }
  },
})
