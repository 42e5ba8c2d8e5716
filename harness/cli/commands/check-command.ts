import { access, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { Option, type Command } from 'commander'
import { defaultComparators } from '../../../comparators/default-comparators.ts'
import { loadApplication } from '../../application/load-application.ts'
import { check, type SnapshotCheck } from '../../check/check.ts'
import { findObsoleteBaselines } from '../../check/obsolete-baselines.ts'
import { updateExpectations } from '../../check/update-expectations.ts'
import { HarnessError } from '../../errors.ts'
import { checkReport } from '../../reports/report-model.ts'
import { writeReports } from '../../reports/write-reports.ts'
import { formatComparatorFindingsJson, prettyComparatorFindings } from '../../findings/comparator-findings.ts'
import { addDatabaseOptions, toStartServerOptions, type DatabaseFlags } from '../database-options.ts'
import { EXIT_FAILURE, EXIT_OK } from '../exit-codes.ts'
import { appDir, appOption, configOption, loadCliConfig, type AppFlags } from '../config-option.ts'
import { configuredSnapshots } from '../../config/load-config.ts'
import type { Colours } from '../colours.ts'
import { stderrColours, type CliIo } from '../output.ts'
import { progressFor } from '../progress-display.ts'
import { reportOption } from '../report-option.ts'

interface CheckFlags extends DatabaseFlags, AppFlags {
  readonly transform?: string[]
  readonly fromMigration?: string
  readonly expect?: string
  readonly findingsFile?: string
  readonly report?: string[]
  readonly cycles?: string
  readonly update?: boolean
  readonly silent?: boolean
  readonly decryptWith?: string
}

/** `roundtrip check`: the round trip, with a verdict per snapshot. */
export function registerCheckCommand(program: Command, io: CliIo, setExitCode: (code: number) => void) {
  addDatabaseOptions(
    program
      .command('check')
      .description('import each snapshot into a fresh database, export it again, and fail unless only the intended changes remain')
      .argument('[snapshots...]', 'backup files to check (default: `snapshots` in the config file)')
      .addOption(new Option('--transform <module>', 'a module whose function changes the data between import and export (repeatable; replaces the config file\'s `transforms`)').argParser(collect))
      .option('--from-migration <name>', 'import at the schema as of this migration, then run the later migrations')
      .option('--expect <file>', 'expectations file (one snapshot only; default: <snapshot>.expect.json when present)')
      .option('--findings-file <file>', 'write the findings of all snapshots as JSON')
      .addOption(reportOption())
      .option('--cycles <n>', 'import→export cycles; 2 or more also requires identical exports (default: 1)')
      .option('--update', 'rewrite the expectations files to what the round trip does now (never on CI)')
      .option('--silent', 'print nothing; the exit code is the verdict')
      .option('--decrypt-with <private.pem>', 'the snapshots are encrypted tarballs; decrypt them with this RSA private key')
      .addOption(appOption())
      .addOption(configOption()),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  $ roundtrip check snapshots/fresh_install.json\n  $ roundtrip check                      # the snapshots listed in roundtrip.config.ts\n  $ roundtrip check snapshots/*.json --cycles 2 --findings-file findings.json\n  $ roundtrip check snapshots/*.json --report junit.xml --report report.html',
    )
    .action(async (given: string[], flags: CheckFlags) => {
      const say = flags.silent ? () => {} : io.err
      const colours = stderrColours(io)
      const config = await loadCliConfig(flags)
      // `snapshots/*.json` also matches the expectations files beside the snapshots.
      const named = given.filter((file) => !file.endsWith('.expect.json'))
      if (given.length > 0 && named.length === 0) usage('no snapshots given (only expectations files)')
      const snapshots = named.length > 0 ? named : await configuredSnapshots(config)
      if (snapshots.length === 0) {
        usage(
          config.file
            ? `no snapshots given, and ${path.basename(config.file)} lists none: name them, or add \`snapshots\` to the config file`
            : 'no snapshots given: name them (roundtrip check snapshots/*.json), or list them under `snapshots` in roundtrip.config.ts',
        )
      }
      const cycles = flags.cycles !== undefined ? Number(flags.cycles) : (config.cycles ?? 1)
      if (!Number.isInteger(cycles) || cycles < 1) usage(`--cycles must be a whole number of at least 1, not "${flags.cycles}"`)
      if (flags.expect && snapshots.length > 1) usage('--expect names the expectations of one snapshot; give one snapshot, or use <snapshot>.expect.json files')
      if (flags.update && process.env.CI) usage('--update is refused on CI (CI is set): baselines are never written there')
      const transforms = flags.transform ?? config.transforms ?? []
      const reports = flags.report ?? config.reports ?? []
      for (const file of [...snapshots, ...transforms, ...(flags.expect ? [flags.expect] : []), ...(flags.decryptWith ? [flags.decryptWith] : [])]) {
        await access(file).catch(() => usage(`file not found: ${file}`))
      }
      const application = await loadApplication({ dir: appDir(flags, config) })
      const comparators = defaultComparators(application.registry, { extra: config.comparators ?? [] })
      const progress = progressFor(io, flags.silent, colours)
      const result = await check({
        application,
        snapshots,
        transforms,
        fromMigration: flags.fromMigration ?? config.fromMigration,
        expectations: flags.expect,
        ...(config.expectationsFor ? { expectationsFor: config.expectationsFor } : {}),
        cycles,
        comparators,
        serverOptions: toStartServerOptions(flags, config.database),
        decryptWith: flags.decryptWith,
        onProgress: progress.listener,
        // Only --update needs every row of every snapshot in memory; reports need only the
        // rows findings name, which the check keeps either way.
        keepRows: flags.update === true,
      }).finally(() => progress.clear())
      say(`database: ${result.server}`)
      for (const outcome of result.checks) {
        say(describe(outcome, colours))
        if (!outcome.passed && !flags.silent) io.err(prettyComparatorFindings([...outcome.findings, ...outcome.stale]))
      }
      if (flags.findingsFile) {
        await writeFile(flags.findingsFile, formatComparatorFindingsJson(result.checks.flatMap((c) => [...c.findings, ...c.stale])))
      }
      if (reports.length > 0) {
        await writeReports(checkReport(result), reports)
        for (const file of reports) say(`report: ${file}`)
      }
      for (const obsolete of await findObsoleteBaselines(snapshots)) say(`obsolete expectations (no snapshot): ${obsolete}`)
      if (flags.update) {
        for (const outcome of result.checks) {
          say(`updated ${await updateExpectations(outcome, application.registry, comparators, flags.expect ?? config.expectationsFor?.(outcome.snapshot))}`)
        }
        setExitCode(EXIT_OK)
        return
      }
      const failed = result.checks.filter((c) => !c.passed).length
      const summary = `${result.checks.length - failed} passed, ${failed} failed`
      say(failed > 0 ? colours.red(summary) : colours.green(summary))
      setExitCode(result.passed ? EXIT_OK : EXIT_FAILURE)
    })
}

function describe(outcome: SnapshotCheck, colours: Colours): string {
  const seconds = (outcome.durationMs / 1000).toFixed(2)
  const rows = `${outcome.rows.snapshot} rows`
  const expectations = outcome.expectationsFile ? `, expectations ${outcome.expectationsFile}` : ''
  if (outcome.passed) {
    const accepted = outcome.accepted.length > 0 ? `, ${outcome.accepted.length} accepted findings` : ''
    return `${colours.green('PASS')} ${outcome.snapshot} (${rows}${expectations}${accepted}, ${seconds} s)`
  }
  const parts = [`${outcome.findings.length} findings`, ...(outcome.stale.length > 0 ? [`${outcome.stale.length} stale expectations`] : [])]
  return `${colours.red('FAIL')} ${outcome.snapshot}: ${parts.join(', ')} (${rows}${expectations}, ${seconds} s)`
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value]
}

function usage(message: string): never {
  throw new HarnessError({ code: 'USAGE', stage: 'cli', message })
}

