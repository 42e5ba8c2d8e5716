import { access, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { check, type CheckResult } from '../harness/check/check.ts'
import type { DatabaseServer } from '../harness/database/database-server.ts'
import { prettyComparatorFinding } from '../harness/findings/comparator-findings.ts'
import { formatJsonReport } from '../harness/reports/json-report.ts'
import { formatJunitReport } from '../harness/reports/junit-report.ts'
import { formatMarkdownReport } from '../harness/reports/markdown-report.ts'
import { checkReport, type Report } from '../harness/reports/report-model.ts'
import { reportFormatOf, writeReports } from '../harness/reports/write-reports.ts'
import { writeTempBackup } from './support/backup-io.ts'
import { runCli } from './support/cli.ts'
import { REPO_ROOT } from './support/processes.ts'
import { referenceApplication, type Entry } from './support/reference-app.ts'
import { connectSharedServer } from './support/shared-server.ts'
import { tempDir } from './support/temp.ts'

const SNAPSHOT = path.join(REPO_ROOT, 'snapshots', 'fresh_install.json')
const TRANSFORMS = path.join(REPO_ROOT, 'tests', 'fixtures', 'transforms')
const RENAME = path.join(TRANSFORMS, 'rename-organization.ts')
const SECRET_KEY = 'd4d14d244f8e48788673116ca7646c93'

/** A standard JUnit reader's view: attributes as plain keys, repeated elements always as lists. */
const junitParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseAttributeValue: false,
  isArray: (name) => ['testsuite', 'testcase', 'failure', 'property'].includes(name),
})

interface JunitCase {
  name: string
  classname: string
  failure?: { message: string; type: string; '#text': string }[]
}
interface JunitSuite {
  name: string
  tests: string
  failures: string
  testcase: JunitCase[]
}

function parseJunit(xml: string): {
  testsuites: { tests: string; failures: string; testsuite: JunitSuite[] }
} {
  expect(XMLValidator.validate(xml)).toBe(true)
  return junitParser.parse(xml)
}

describe('reports of a failing check', () => {
  let server: DatabaseServer
  let result: CheckResult
  let report: Report
  let dir: string

  beforeAll(async () => {
    server = await connectSharedServer()
    result = await check({
      application: await referenceApplication(),
      server,
      snapshots: [SNAPSHOT],
      transforms: [RENAME],
    })
    report = checkReport(result, { generatedAt: new Date('2026-01-02T03:04:05.000Z') })
    dir = await tempDir('rt-reports-')
  })
  afterAll(() => server.dispose())

  it('JSON: the findings in the form of spec §4.7 and the counts, per snapshot', () => {
    const json = JSON.parse(formatJsonReport(report))
    const outcome = result.checks[0]!
    expect(Object.keys(json)).toEqual([
      'command',
      'generatedAt',
      'passed',
      'server',
      'snapshots',
      'version',
    ])
    expect(json).toMatchObject({
      version: 1,
      command: 'check',
      passed: false,
      generatedAt: '2026-01-02T03:04:05.000Z',
    })
    expect(json.snapshots).toHaveLength(1)
    const [snapshot] = json.snapshots
    expect(snapshot).toMatchObject({
      snapshot: SNAPSHOT,
      passed: false,
      expectationsFile: null,
      rows: { left: 30, right: 30 },
      stale: [],
      accepted: [],
      counts: JSON.parse(JSON.stringify(outcome.counts)),
    })
    expect(snapshot.findings).toEqual([
      {
        changes: [
          { kind: 'changed', left: 'Testing', path: ['name'], right: 'Renamed by transform' },
        ],
        finding: 'ComparatorFinding',
        kind: 'UnequalJSON',
        left_pk: 1,
        on: { model: 'sentry.organization', ordinal: 1 },
        reason: outcome.findings[0]!.reason,
        right_pk: 1,
      },
    ])
    // What was compared, so a comparator that ignores too much shows.
    const organization = snapshot.counts.models.find(
      (m: { model: string }) => m.model === 'sentry.organization',
    )
    expect(organization).toEqual({
      comparedFields: 7,
      comparedInstances: 1,
      leftInstances: 1,
      model: 'sentry.organization',
      rightInstances: 1,
    })
    expect(snapshot.counts.scrubbed).toContainEqual({
      comparator: 'DatetimeEqualityComparator',
      field: 'date_added',
      instances: 1,
      model: 'sentry.organization',
    })
  })

  it('JUnit XML: one suite per snapshot, a test case per model and one for the snapshot, a failure per finding', () => {
    const parsed = parseJunit(formatJunitReport(report))
    const models = result.checks[0]!.counts.models.map((m) => m.model)
    const [suite] = parsed.testsuites.testsuite
    expect(parsed.testsuites.testsuite).toHaveLength(1)
    expect(suite!.name).toBe(SNAPSHOT)
    expect(suite!.testcase.map((c) => c.name)).toEqual(['round trip', ...models])
    expect(suite!.testcase.every((c) => c.classname === SNAPSHOT)).toBe(true)
    // tests and failures count test cases, as the JUnit schema defines them.
    expect(Number(suite!.tests)).toBe(models.length + 1)
    expect(Number(suite!.failures)).toBe(2)
    expect(suite!.testcase.filter((c) => c.failure).map((c) => c.name)).toEqual([
      'round trip',
      'sentry.organization',
    ])
    expect([parsed.testsuites.tests, parsed.testsuites.failures]).toEqual([
      String(models.length + 1),
      '2',
    ])
    const [failure] = suite!.testcase.find((c) => c.name === 'sentry.organization')!.failure!
    expect(failure).toEqual({
      message: "UnequalJSON on InstanceID(model: 'sentry.organization', ordinal: 1)",
      type: 'UnequalJSON',
      '#text': prettyComparatorFinding(result.checks[0]!.findings[0]!),
    })
    expect(suite!.testcase[0]!.failure![0]!.message).toBe(`FAIL ${SNAPSHOT}: 1 finding`)
  })

  it('Markdown: the verdict, a counts table per model and the findings', () => {
    const markdown = formatMarkdownReport(report)
    expect(markdown).toMatch(/^# ❌ roundtrip check: 1 of 1 snapshot failed\n/)
    expect(markdown).toContain(`## ❌ FAIL \`${SNAPSHOT}\``)
    expect(markdown).toContain(
      '| model | left | right | instances compared | fields compared | scrubbed by comparators | findings |',
    )
    expect(markdown).toContain(
      '| `sentry.organization` | 1 | 1 | 1 | 7 | AutoSuffixComparator: slug ×1<br>DatetimeEqualityComparator: date_added ×1 | **1** |',
    )
    expect(markdown).toContain('| `sentry.project` | 1 | 1 | 1 | 11 |')
    // The pretty finding in a fence longer than any backtick run inside it.
    expect(markdown).toContain(
      `\`\`\`text\n${prettyComparatorFinding(result.checks[0]!.findings[0]!)}\n\`\`\`\n`,
    )
  })

  it('writes every format it is asked for, and appends the Markdown to GITHUB_STEP_SUMMARY', async () => {
    const summary = path.join(dir, 'step-summary.md')
    await writeFile(summary, 'an earlier step wrote this\n')
    const files = ['r.json', 'nested/dir/r.xml', 'r.md', 'r.html'].map((name) =>
      path.join(dir, name),
    )
    await writeReports(report, files, { env: { GITHUB_STEP_SUMMARY: summary } })
    for (const file of files) await access(file)
    const markdown = await readFile(files[2]!, 'utf8')
    expect(await readFile(summary, 'utf8')).toBe(`an earlier step wrote this\n\n${markdown}`)
    // Without a Markdown report, the step summary is left alone.
    await writeReports(report, [path.join(dir, 'only.json')], {
      env: { GITHUB_STEP_SUMMARY: summary },
    })
    expect(await readFile(summary, 'utf8')).toBe(`an earlier step wrote this\n\n${markdown}`)
  })

  it('shows a secret only shortened in every format', async () => {
    const outcome = await check({
      application: await referenceApplication(),
      server,
      snapshots: [SNAPSHOT],
      transforms: [path.join(TRANSFORMS, 'change-project-key-secret.ts')],
    })
    const secretReport = checkReport(outcome)
    expect(outcome.checks[0]!.findings.map((f) => f.kind)).toEqual(['HashObfuscatingComparator'])
    const files = ['s.json', 's.xml', 's.md', 's.html'].map((name) => path.join(dir, name))
    await writeReports(secretReport, files, { env: {} })
    // Scrubbed fields are marked with the comparator validate() counted as scrubbing them.
    const counted = outcome.checks[0]!.counts.scrubbed
    const marked = secretReport.snapshots[0]!.findings[0]!.pair!.fields.filter((f) => f.scrubbedBy)
    expect(marked.map((f) => [f.name, f.scrubbedBy])).toEqual([
      ['project', 'ForeignKeyComparator'],
      ['public_key', 'HashObfuscatingComparator'],
      ['secret_key', 'HashObfuscatingComparator'],
      ['date_added', 'DatetimeEqualityComparator'],
    ])
    for (const field of marked) {
      expect(counted).toContainEqual({
        model: 'sentry.projectkey',
        comparator: field.scrubbedBy,
        field: field.name,
        instances: 1,
      })
    }
    for (const file of files) {
      const text = await readFile(file, 'utf8')
      expect(text, file).not.toContain(SECRET_KEY)
      expect(text, file).not.toContain('0123456789abcdef0123456789abcdef')
      expect(text, file).toContain('d4d...c93')
    }
  })
})

describe('JUnit XML escaping', () => {
  it('survives markup, quotes, line breaks and characters XML cannot carry', () => {
    const reason = 'a <b> & "c" \'d\' ]]> \u0001 end\nsecond line'
    const xml = formatJunitReport({
      command: 'compare',
      passed: false,
      generatedAt: '2026-01-02T03:04:05.000Z',
      snapshots: [
        {
          name: 'left & <right>.json',
          left: 'l',
          right: 'r',
          passed: false,
          findings: [
            {
              finding: {
                kind: 'UnequalJSON',
                on: { model: 'a."b"', ordinal: 1 },
                left_pk: 1,
                right_pk: 2,
                reason,
              },
            },
          ],
          stale: [],
          accepted: [],
          counts: { models: [], scrubbed: [] },
          rows: { left: 1, right: 1 },
        },
      ],
    })
    const parsed = parseJunit(xml)
    const suite = parsed.testsuites.testsuite[0]!
    expect(suite.name).toBe('left & <right>.json')
    const testCase = suite.testcase.find((c) => c.name === 'a."b"')!
    expect(testCase.failure![0]!.message).toBe(
      'UnequalJSON on InstanceID(model: \'a."b"\', ordinal: 1)',
    )
    expect(testCase.failure![0]!['#text']).toContain(
      'a <b> & "c" \'d\' ]]> \\u0001 end\nsecond line',
    )
    expect(suite.testcase.map((c) => c.name)).toEqual(['compare', 'a."b"'])
  })
})

describe('--report on the command line', () => {
  const onSharedServer = () => ({
    ROUNDTRIP_DATABASE_URL: inject('roundtripServer').maintenanceUrl,
  })

  it('check: writes each report, appends to GITHUB_STEP_SUMMARY, keeps the exit code', async () => {
    const dir = await tempDir('rt-cli-reports-')
    const summary = path.join(dir, 'summary.md')
    const files = ['check.json', 'check.xml', 'check.md', 'check.html'].map((name) =>
      path.join(dir, name),
    )
    const run = await runCli(
      ['check', SNAPSHOT, '--transform', RENAME, ...files.flatMap((file) => ['--report', file])],
      { ...onSharedServer(), GITHUB_STEP_SUMMARY: summary },
    )
    expect(run.code, run.stderr).toBe(1)
    for (const file of files) expect(run.stderr).toContain(`report: ${file}`)
    const json = JSON.parse(await readFile(files[0]!, 'utf8'))
    expect(json.snapshots[0].findings.map((f: { kind: string }) => f.kind)).toEqual(['UnequalJSON'])
    expect(parseJunit(await readFile(files[1]!, 'utf8')).testsuites.failures).toBe('2')
    expect(await readFile(summary, 'utf8')).toBe(`\n${await readFile(files[2]!, 'utf8')}`)
    expect(await readFile(files[3]!, 'utf8')).toContain('id="finding-count" data-count="1"')
  })

  it('compare: builds the report from the two files', async () => {
    const dir = await tempDir('rt-cli-reports-')
    const entries = JSON.parse(await readFile(SNAPSHOT, 'utf8')) as Entry[]
    const changed = entries.map((e) =>
      e.model === 'sentry.projectkey'
        ? { ...e, fields: { ...e.fields, secret_key: 'f'.repeat(32), label: 'Changed' } }
        : e,
    )
    const right = await writeTempBackup(changed)
    const files = ['compare.json', 'compare.html'].map((name) => path.join(dir, name))
    const run = await runCli([
      'compare',
      SNAPSHOT,
      right,
      ...files.flatMap((file) => ['--report', file]),
    ])
    expect(run.code, run.stderr).toBe(1)
    const json = JSON.parse(await readFile(files[0]!, 'utf8'))
    expect(json).toMatchObject({ command: 'compare', passed: false })
    expect(json.snapshots[0].snapshot).toBe(`${SNAPSHOT} → ${right}`)
    expect(json.snapshots[0].findings.map((f: { kind: string }) => f.kind)).toEqual([
      'HashObfuscatingComparator',
      'UnequalJSON',
    ])
    const html = await readFile(files[1]!, 'utf8')
    expect(html).toContain('id="finding-count" data-count="2"')
    // The rows come from the files: the changed label side by side, the secrets shortened.
    expect(html).toContain('&#34;Changed&#34;')
    expect(html).toContain('&#34;fff...fff&#34;')
    expect(html).not.toContain(SECRET_KEY)
    expect(html).not.toContain('f'.repeat(32))
  })

  it('refuses an unknown extension as a usage error naming the supported ones', async () => {
    expect(() => reportFormatOf('report.txt')).toThrow(/one of \.json, \.xml, \.md or \.html/)
    expect(reportFormatOf('REPORT.HTML')).toBe('.html')
    for (const command of [
      ['check', SNAPSHOT],
      ['compare', SNAPSHOT, SNAPSHOT],
    ]) {
      const run = await runCli([...command, '--report', 'out.json', '--report', 'report.txt'])
      expect(run.code, run.stderr).toBe(2)
      expect(run.stderr).toContain('unsupported report format ".txt" for report.txt')
      expect(run.stderr).toContain('.json, .xml, .md or .html')
    }
  })
})
