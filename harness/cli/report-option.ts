import { InvalidArgumentError, Option } from 'commander'
import { isHarnessError } from '../errors.ts'
import { REPORT_FORMATS, reportFormatOf } from '../reports/write-reports.ts'

/**
 * `--report <path>`, repeatable: the extension chooses the format. An unsupported extension is a
 * usage error (exit 2) when the command line is read, before any work is done.
 */
export function reportOption(): Option {
  const formats = Object.keys(REPORT_FORMATS).join(', ')
  return new Option(
    '--report <path>',
    `write a report; the extension chooses the format: ${formats} (repeatable)`,
  )
    .argParser((value: string, previous: string[] | undefined) => {
      try {
        reportFormatOf(value)
      } catch (error) {
        if (isHarnessError(error)) throw new InvalidArgumentError(error.message)
        throw error
      }
      return [...(previous ?? []), value]
    })
}
