import { comparatorFindingJson } from '../findings/comparator-findings.ts'
import type { Report, ReportedFinding } from './report-model.ts'

/** Bumped when a consumer of the JSON report would have to change. */
export const JSON_REPORT_VERSION = 1

/**
 * The `.json` report: per snapshot, the verdict, the findings (also the stale expectations and
 * the accepted findings) in the JSON form of spec §4.7, and the counts of what was compared.
 * Keys are sorted, as in the findings file, so two reports diff cleanly.
 */
export function formatJsonReport(report: Report): string {
  const findings = (list: readonly ReportedFinding[]) =>
    list.map((reported) => comparatorFindingJson(reported.finding))
  const document = {
    version: JSON_REPORT_VERSION,
    command: report.command,
    passed: report.passed,
    generatedAt: report.generatedAt,
    server: report.server ?? null,
    snapshots: report.snapshots.map((snapshot) => ({
      snapshot: snapshot.name,
      left: snapshot.left,
      right: snapshot.right,
      passed: snapshot.passed,
      expectationsFile: snapshot.expectationsFile ?? null,
      durationMs: snapshot.durationMs === undefined ? null : Math.round(snapshot.durationMs),
      rows: snapshot.rows,
      findings: findings(snapshot.findings),
      stale: findings(snapshot.stale),
      accepted: findings(snapshot.accepted),
      counts: snapshot.counts,
    })),
  }
  return `${JSON.stringify(sortKeys(document), null, 2)}\n`
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>
    return Object.fromEntries(
      Object.keys(record)
        .sort()
        .map((key) => [key, sortKeys(record[key])]),
    )
  }
  return value
}
