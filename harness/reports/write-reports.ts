import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { HarnessError } from '../errors.ts'
import { formatHtmlReport } from './html-report.ts'
import { formatJsonReport } from './json-report.ts'
import { formatJunitReport } from './junit-report.ts'
import { appendStepSummary, formatMarkdownReport } from './markdown-report.ts'
import type { Report } from './report-model.ts'

/** Report formats by file extension: the extension of `--report <path>` chooses the format. */
export const REPORT_FORMATS = {
  '.json': formatJsonReport,
  '.xml': formatJunitReport,
  '.md': formatMarkdownReport,
  '.html': formatHtmlReport,
} as const satisfies Record<string, (report: Report) => string>

export type ReportExtension = keyof typeof REPORT_FORMATS

/**
 * The format of a report file, by its extension (any case).
 * @throws HarnessError `USAGE` naming the supported extensions
 */
export function reportFormatOf(file: string): ReportExtension {
  const extension = path.extname(file).toLowerCase()
  if (extension in REPORT_FORMATS) return extension as ReportExtension
  const supported = Object.keys(REPORT_FORMATS)
  throw new HarnessError({
    code: 'USAGE',
    stage: 'cli',
    message: `unsupported report format ${extension ? `"${extension}"` : '(no extension)'} for ${file}: the extension chooses the format, one of ${supported.slice(0, -1).join(', ')} or ${supported.at(-1)}`,
    hint: 'Name the report file with one of the supported extensions',
    context: { file },
  })
}

export interface WriteReportsOptions {
  /** Where `GITHUB_STEP_SUMMARY` is read from. Default: `process.env`. */
  readonly env?: NodeJS.ProcessEnv
}

/**
 * Writes the report to every file, in the format of its extension, creating missing folders; a
 * Markdown report is also appended to `GITHUB_STEP_SUMMARY` when that is set (once, however many
 * Markdown files are asked for).
 * @throws HarnessError `USAGE` for an unsupported extension, before anything is written
 */
export async function writeReports(
  report: Report,
  files: readonly string[],
  options: WriteReportsOptions = {},
): Promise<void> {
  const formats = files.map((file) => ({ file, extension: reportFormatOf(file) }))
  const rendered = new Map<ReportExtension, string>()
  const render = (extension: ReportExtension) => {
    if (!rendered.has(extension)) rendered.set(extension, REPORT_FORMATS[extension](report))
    return rendered.get(extension)!
  }
  for (const { file, extension } of formats) {
    await mkdir(path.dirname(path.resolve(file)), { recursive: true })
    await writeFile(file, render(extension))
  }
  const markdown = rendered.get('.md')
  if (markdown !== undefined) await appendStepSummary(markdown, options.env)
}
