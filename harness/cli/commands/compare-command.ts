import { access, writeFile } from 'node:fs/promises'
import type { Command } from 'commander'
import { defaultComparators } from '../../../comparators/default-comparators.ts'
import { loadApplication } from '../../application/load-application.ts'
import { openPlainBackup } from '../../crypto/backup-files.ts'
import { HarnessError, isHarnessError } from '../../errors.ts'
import {
  formatComparatorFindingsJson,
  prettyComparatorFinding,
} from '../../findings/comparator-findings.ts'
import { compareReport } from '../../reports/report-model.ts'
import { writeReports } from '../../reports/write-reports.ts'
import { validateBackups, type ValidateResult } from '../../validate/validate.ts'
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from '../exit-codes.ts'
import { appDir, appOption, configOption, loadCliConfig, type AppFlags } from '../config-option.ts'
import type { CliIo } from '../output.ts'
import { reportOption } from '../report-option.ts'

interface CompareFlags extends AppFlags {
  readonly findingsFile?: string
  readonly report?: string[]
  readonly decryptLeftWith?: string
  readonly decryptRightWith?: string
}

/**
 * `roundtrip compare <left> <right>`: validate two exports with the application's default
 * comparators (Sentry's `backup compare`). Findings go to stderr in the pretty form, and to
 * `--findings-file` as JSON. Exit 0 without findings, 1 with findings, 2 when an input cannot be
 * read (the bad side is named, with line and column for broken JSON) or the command line is wrong.
 */
export function registerCompareCommand(
  program: Command,
  io: CliIo,
  setExitCode: (code: number) => void,
) {
  program
    .command('compare')
    .argument('<left>', 'the export before the round trip')
    .argument('<right>', 'the export after it')
    .description('compare two exports, instance by instance, through the comparators')
    .option('--findings-file <file>', 'also write the findings as JSON ([] when there are none)')
    .addOption(reportOption())
    .addOption(appOption())
      .addOption(configOption())
    .option(
      '--decrypt-left-with <private.pem>',
      'the left side is an encrypted tarball; decrypt it with this RSA private key',
    )
    .option(
      '--decrypt-right-with <private.pem>',
      'the right side is an encrypted tarball; decrypt it with this RSA private key',
    )
    .addHelpText(
      'after',
      '\nExample:\n  $ roundtrip compare before.json after.json --findings-file findings.json',
    )
    .action(async (left: string, right: string, flags: CompareFlags) => {
      for (const file of [left, right]) {
        await access(file).catch(() => {
          throw new HarnessError({
            code: 'USAGE',
            stage: 'cli',
            message: `backup file not found: ${file}`,
            hint: 'Check the path',
          })
        })
      }
      // A side that does not decrypt ends the command as Sentry's does: "invalid left side tarball".
      await using leftPlain = await openPlainBackup(left, flags.decryptLeftWith, { side: 'left' })
      await using rightPlain = await openPlainBackup(right, flags.decryptRightWith, {
        side: 'right',
      })
      const sources = { left: leftPlain.path, right: rightPlain.path }
      const config = await loadCliConfig(flags)
      const application = await loadApplication({ dir: appDir(flags, config) })
      const comparators = defaultComparators(application.registry, { extra: config.comparators ?? [] })
      let result: ValidateResult
      try {
        result = await validateBackups(sources.left, sources.right, {
          registry: application.registry,
          comparators,
        })
      } catch (error) {
        if (!isHarnessError(error, 'BACKUP_INVALID')) throw error
        io.err(describeInvalidInput(error))
        setExitCode(EXIT_USAGE)
        return
      }
      const { findings, counts } = result
      for (const finding of findings) io.err(`${prettyComparatorFinding(finding)}\n`)
      if (flags.findingsFile)
        await writeFile(flags.findingsFile, formatComparatorFindingsJson(findings))
      const reports = flags.report ?? config.reports ?? []
      if (reports.length > 0) {
        await writeReports(await compareReport({ left, right, sources, result, comparators }), reports)
        for (const file of reports) io.err(`report: ${file}`)
      }
      const instances = counts.models.reduce((sum, model) => sum + model.comparedInstances, 0)
      const fields = counts.models.reduce((sum, model) => sum + model.comparedFields, 0)
      const scrubbed = counts.scrubbed.reduce((sum, scrub) => sum + scrub.instances, 0)
      io.err(
        `compared ${plural(instances, 'instance pair')} of ${plural(counts.models.length, 'model')}: ${plural(fields, 'field value')}, ${scrubbed} of them scrubbed by comparators`,
      )
      io.err(`Done, found ${plural(findings.length, 'difference')}.`)
      setExitCode(findings.length === 0 ? EXIT_OK : EXIT_FAILURE)
    })
}

/** "Invalid left JSON in a.json at line 3, column 7: …" for broken JSON; the reason otherwise. */
function describeInvalidInput(error: HarnessError): string {
  const side = error.context.side
  if (error.stage === 'validate' || (side !== 'left' && side !== 'right'))
    return `roundtrip: ${error.message}`
  const prefix = 'invalid JSON in '
  return error.message.startsWith(prefix)
    ? `Invalid ${side} JSON in ${error.message.slice(prefix.length)}`
    : `Invalid ${side} JSON: ${error.message}`
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`
}
