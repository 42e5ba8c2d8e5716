import { prettyComparatorFinding, type ComparatorFinding } from '../findings/comparator-findings.ts'
import type { Report, ReportedFinding, SnapshotReport } from './report-model.ts'

/**
 * The `.xml` report in JUnit XML, as GitLab, Jenkins and GitHub's test reporters read it: one
 * `<testsuite>` per snapshot holding one test case for the snapshot as a whole (its verdict) and
 * one per model, with one `<failure>` per finding of that model (message: kind and instance;
 * body: the pretty finding). `tests` counts test cases and `failures` failed test cases, as the
 * JUnit schema defines them; a model with three findings is one failed test case with three
 * `<failure>` elements.
 */
export function formatJunitReport(report: Report): string {
  const suites = report.snapshots.map((snapshot) => suiteOf(snapshot, report.command))
  const tests = suites.reduce((sum, suite) => sum + suite.tests, 0)
  const failures = suites.reduce((sum, suite) => sum + suite.failures, 0)
  const time = report.snapshots.reduce((sum, snapshot) => sum + (snapshot.durationMs ?? 0), 0)
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attributes({ name: `roundtrip ${report.command}`, tests, failures, errors: 0, skipped: 0, time: seconds(time), timestamp: report.generatedAt })}>`,
    ...suites.map((suite) => suite.xml),
    '</testsuites>',
    '',
  ].join('\n')
}

interface TestCase {
  readonly name: string
  readonly time: number
  readonly failures: readonly { message: string; type: string; body: string }[]
  readonly systemOut?: string
}

function suiteOf(
  snapshot: SnapshotReport,
  command: Report['command'],
): { xml: string; tests: number; failures: number } {
  const byModel = new Map<
    string,
    { findings: ReportedFinding[]; stale: ReportedFinding[]; accepted: ReportedFinding[] }
  >()
  const entry = (model: string) => {
    let found = byModel.get(model)
    if (!found) byModel.set(model, (found = { findings: [], stale: [], accepted: [] }))
    return found
  }
  for (const model of snapshot.counts.models) entry(model.model)
  for (const reported of snapshot.findings) entry(reported.finding.on.model).findings.push(reported)
  for (const reported of snapshot.stale) entry(reported.finding.on.model).stale.push(reported)
  for (const reported of snapshot.accepted) entry(reported.finding.on.model).accepted.push(reported)

  const verdict: TestCase = {
    name: command === 'check' ? 'round trip' : 'compare',
    time: snapshot.durationMs ?? 0,
    failures: snapshot.passed
      ? []
      : [{ message: summary(snapshot), type: 'RoundTripFailed', body: failedModels(byModel) }],
  }
  const models = [...byModel.keys()].sort().map((model): TestCase => {
    const { findings, stale, accepted } = byModel.get(model)!
    return {
      name: model,
      time: 0,
      failures: [
        ...findings.map(({ finding }) => failureOf(finding, finding.kind)),
        ...stale.map(({ finding }) => failureOf(finding, 'StaleExpectation')),
      ],
      ...(accepted.length > 0
        ? {
            systemOut: `accepted by the expectations:\n${accepted.map(({ finding }) => prettyComparatorFinding(finding)).join('\n')}`,
          }
        : {}),
    }
  })
  const cases = [verdict, ...models]
  const tests = cases.length
  const failures = cases.filter((c) => c.failures.length > 0).length
  const head = `  <testsuite${attributes({ name: snapshot.name, tests, failures, errors: 0, skipped: 0, time: seconds(snapshot.durationMs ?? 0) })}>`
  const properties = [
    ['left', snapshot.left],
    ['right', snapshot.right],
    ...(snapshot.expectationsFile ? [['expectations', snapshot.expectationsFile]] : []),
  ]
  const xml = [
    head,
    '    <properties>',
    ...properties.map(
      ([name, value]) => `      <property${attributes({ name: name!, value: value! })}/>`,
    ),
    '    </properties>',
    ...cases.map((testCase) => caseXml(testCase, snapshot.name)),
    '  </testsuite>',
  ].join('\n')
  return { xml, tests, failures }
}

function caseXml(testCase: TestCase, classname: string): string {
  const open = `    <testcase${attributes({ name: testCase.name, classname, time: seconds(testCase.time) })}`
  if (testCase.failures.length === 0 && testCase.systemOut === undefined) return `${open}/>`
  return [
    `${open}>`,
    ...testCase.failures.map(
      (failure) =>
        `      <failure${attributes({ message: failure.message, type: failure.type })}>${text(failure.body)}</failure>`,
    ),
    ...(testCase.systemOut === undefined
      ? []
      : [`      <system-out>${text(testCase.systemOut)}</system-out>`]),
    '    </testcase>',
  ].join('\n')
}

function failureOf(finding: ComparatorFinding, type: string) {
  const ordinal = finding.on.ordinal ? `, ordinal: ${finding.on.ordinal}` : ''
  return {
    message: `${finding.kind} on InstanceID(model: '${finding.on.model}'${ordinal})`,
    type,
    body: prettyComparatorFinding(finding),
  }
}

function summary(snapshot: SnapshotReport): string {
  const parts = [plural(snapshot.findings.length, 'finding')]
  if (snapshot.stale.length > 0) parts.push(plural(snapshot.stale.length, 'stale expectation'))
  return `FAIL ${snapshot.name}: ${parts.join(', ')}`
}

function failedModels(
  byModel: ReadonlyMap<string, { findings: unknown[]; stale: unknown[] }>,
): string {
  return [...byModel]
    .filter(([, { findings, stale }]) => findings.length + stale.length > 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([model, { findings, stale }]) => {
      const parts = [plural(findings.length, 'finding')]
      if (stale.length > 0) parts.push(plural(stale.length, 'stale expectation'))
      return `${model}: ${parts.join(', ')}`
    })
    .join('\n')
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3)
}

function attributes(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(([name, value]) => ` ${name}="${attribute(String(value))}"`)
    .join('')
}

/** Character data: markup characters escaped, characters XML 1.0 cannot carry at all written out. */
function text(value: string): string {
  return xmlSafe(value).replace(/[&<>]/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;',
  )
}

/**
 * Attribute values: also quotes, as the predefined entities (some JUnit readers decode only
 * those), and line breaks and tabs as character references, because a parser normalises literal
 * ones in attributes to spaces.
 */
function attribute(value: string): string {
  return text(value).replace(/["'\n\r\t]/g, (c) =>
    c === '"' ? '&quot;' : c === "'" ? '&apos;' : `&#${c.charCodeAt(0)};`,
  )
}

/**
 * XML 1.0 cannot represent most control characters or unpaired surrogates, not even as character
 * references; a reason may contain them (they are data). They are written as `\uXXXX` text.
 */
function xmlSafe(value: string): string {
  return value.replace(
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  )
}
