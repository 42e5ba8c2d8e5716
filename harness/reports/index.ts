/** Reports of a check or a compare: JSON, JUnit XML, Markdown and a self-contained HTML page. */
export {
  checkReport,
  compareReport,
  type CompareReportOptions,
  type FieldView,
  type Report,
  type ReportedFinding,
  type RowPair,
  type SnapshotReport,
} from './report-model.ts'
export { formatJsonReport, JSON_REPORT_VERSION } from './json-report.ts'
export { formatJunitReport } from './junit-report.ts'
export { appendStepSummary, formatMarkdownReport } from './markdown-report.ts'
export { formatHtmlReport } from './html-report.ts'
export {
  REPORT_FORMATS,
  reportFormatOf,
  writeReports,
  type ReportExtension,
  type WriteReportsOptions,
} from './write-reports.ts'
