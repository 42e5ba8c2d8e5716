import { appendFile } from 'node:fs/promises'
import { prettyComparatorFinding, type ComparatorFinding } from '../findings/comparator-findings.ts'
import type { Report, ReportedFinding, SnapshotReport } from './report-model.ts'

/**
 * The `.md` report: a summary for a pull request or a CI job page (GitHub renders it as the job's
 * step summary). Per snapshot: the verdict, a table of what was compared per model, and the
 * findings in their pretty form.
 */
export function formatMarkdownReport(report: Report): string {
  const failed = report.snapshots.filter((s) => !s.passed).length
  const total = report.snapshots.length
  const noun = report.command === 'check' ? 'snapshot' : 'comparison'
  const title = report.passed
    ? `✅ roundtrip ${report.command}: ${plural(total, noun)} passed`
    : `❌ roundtrip ${report.command}: ${failed} of ${plural(total, noun)} failed`
  const lines = [`# ${title}`, '']
  lines.push(
    `Generated ${report.generatedAt}${report.server ? ` on ${code(report.server)}` : ''}.`,
    '',
  )
  for (const snapshot of report.snapshots) lines.push(...snapshotSection(snapshot))
  return `${lines.join('\n').trimEnd()}\n`
}

/** GitHub's step summary file, when set: the Markdown report is appended to it as well. */
export async function appendStepSummary(
  markdown: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<boolean> {
  const file = env.GITHUB_STEP_SUMMARY
  if (!file) return false
  // Other steps may have written to the summary already; ours starts on a fresh line.
  await appendFile(file, `\n${markdown}`)
  return true
}

function snapshotSection(snapshot: SnapshotReport): string[] {
  const verdict = snapshot.passed ? '✅ PASS' : '❌ FAIL'
  const facts = [
    `${snapshot.rows.left} rows left, ${snapshot.rows.right} right`,
    plural(snapshot.findings.length, 'finding'),
    ...(snapshot.stale.length > 0 ? [plural(snapshot.stale.length, 'stale expectation')] : []),
    ...(snapshot.accepted.length > 0 ? [plural(snapshot.accepted.length, 'accepted finding')] : []),
    ...(snapshot.durationMs === undefined ? [] : [`${(snapshot.durationMs / 1000).toFixed(2)} s`]),
  ]
  const lines = [`## ${verdict} ${code(snapshot.name)}`, '']
  lines.push(`- left: ${escapeText(snapshot.left)}`, `- right: ${escapeText(snapshot.right)}`)
  if (snapshot.expectationsFile) lines.push(`- expectations: ${code(snapshot.expectationsFile)}`)
  lines.push(`- ${facts.join(' · ')}`, '')
  lines.push(...countsTable(snapshot), '')
  lines.push(...findingList('Findings', snapshot.findings))
  lines.push(...findingList('Stale expectations', snapshot.stale))
  if (snapshot.accepted.length > 0) {
    lines.push(
      `<details><summary>Accepted by the expectations (${snapshot.accepted.length})</summary>`,
      '',
    )
    for (const { finding } of snapshot.accepted) lines.push(`- ${escapeText(instance(finding))}`)
    lines.push('', '</details>', '')
  }
  return lines
}

function countsTable(snapshot: SnapshotReport): string[] {
  const findingsOf = (model: string) =>
    [...snapshot.findings, ...snapshot.stale].filter((r) => r.finding.on.model === model).length
  const rows = snapshot.counts.models.map((m) => {
    const scrubbed = snapshot.counts.scrubbed
      .filter((s) => s.model === m.model)
      .map((s) => `${s.comparator}: ${s.field} ×${s.instances}`)
      .join('<br>')
    const findings = findingsOf(m.model)
    return [
      cell(code(m.model)),
      String(m.leftInstances),
      String(m.rightInstances),
      String(m.comparedInstances),
      String(m.comparedFields),
      cell(scrubbed),
      findings > 0 ? `**${findings}**` : '0',
    ]
  })
  return [
    '| model | left | right | instances compared | fields compared | scrubbed by comparators | findings |',
    '| --- | ---: | ---: | ---: | ---: | --- | ---: |',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ]
}

function findingList(title: string, list: readonly ReportedFinding[]): string[] {
  if (list.length === 0) return []
  const lines = [`### ${title} (${list.length})`, '']
  for (const { finding } of list) {
    lines.push(
      `**${escapeText(instance(finding))}**`,
      '',
      ...fenced(prettyComparatorFinding(finding)),
      '',
    )
  }
  return lines
}

function instance(finding: ComparatorFinding): string {
  const ordinal = finding.on.ordinal ? ` #${finding.on.ordinal}` : ''
  return `${finding.kind} on ${finding.on.model}${ordinal}`
}

/** A fenced block whose fence is longer than any run of backticks in the text. */
function fenced(text: string): string[] {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length))
  const fence = '`'.repeat(Math.max(3, longest + 1))
  return [`${fence}text`, text, fence]
}

/** An inline code span that survives backticks in the text. */
function code(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length))
  const ticks = '`'.repeat(longest + 1)
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : ''
  return `${ticks}${pad}${text.replace(/\r?\n/g, ' ')}${pad}${ticks}`
}

/** Table cells end at a pipe or a line break. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>')
}

/** Plain text: Markdown and HTML markup characters are shown, not interpreted. */
function escapeText(text: string): string {
  return cell(text.replace(/[\\`*_[\]<>#]/g, (c) => `\\${c}`))
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`
}
