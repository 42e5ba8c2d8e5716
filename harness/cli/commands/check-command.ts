import { access, writeFile } from 'node:fs/promises'
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
import type { CliIo } from '../output.ts'
import { reportOption } from '../report-option.ts'

interface CheckFlags extends DatabaseFlags {
  readonly transform: string[]
  readonly fromMigration?: string
  readonly expect?: string
  readonly findingsFile?: string
  readonly report: string[]
  readonly cycles: string
  readonly update?: boolean
  readonly app: string
  readonly silent?: boolean
  readonly decryptWith?: string
}

/** `roundtrip check`: the round trip, with a verdict per snapshot. */
export function registerCheckCommand(program: Command, io: CliIo, setExitCode: (code: number) => void) {
  addDatabaseOptions(
    program
      .command('check')
      .description('import each snapshot into a fresh database, export it again, and fail unless only the intended changes remain')
      .argument('<snapshots...>', 'backup files to check')
      .addOption(new Option('--transform <module>', 'a module whose function changes the data between import and export (repeatable)').argParser(collect).default([]))
      .option('--from-migration <name>', 'import at the schema as of this migration, then run the later migrations')
      .option('--expect <file>', 'expectations file (one snapshot only; default: <snapshot>.expect.json when present)')
      .option('--findings-file <file>', 'write the findings of all snapshots as JSON')
      .addOption(reportOption())
      .option('--cycles <n>', 'import→export cycles; 2 or more also requires identical exports', '1')
      .option('--update', 'rewrite the expectations files to what the round trip does now (never on CI)')
      .option('--silent', 'print nothing; the exit code is the verdict')
      .option('--decrypt-with <private.pem>', 'the snapshots are encrypted tarballs; decrypt them with this RSA private key')
      .option('--app <dir>', 'folder with schema.prisma, migrations/ and relocation.ts', 'prisma'),
  )
    .addHelpText('after', '\nExamples:\n  $ roundtrip check snapshots/fresh_install.json\n  $ roundtrip check snapshots/*.json --cycles 2 --findings-file findings.json\n  $ roundtrip check snapshots/*.json --report junit.xml --report report.html')
    .action(async (given: string[], flags: CheckFlags) => {
      const say = flags.silent ? () => {} : io.err
      // `snapshots/*.json` also matches the expectations files beside the snapshots.
      const snapshots = given.filter((file) => !file.endsWith('.expect.json'))
      if (snapshots.length === 0) usage('no snapshots given (only expectations files)')
      const cycles = Number(flags.cycles)
      if (!Number.isInteger(cycles) || cycles < 1) usage(`--cycles must be a whole number of at least 1, not "${flags.cycles}"`)
      if (flags.expect && snapshots.length > 1) usage('--expect names the expectations of one snapshot; give one snapshot, or use <snapshot>.expect.json files')
      if (flags.update && process.env.CI) usage('--update is refused on CI (CI is set): baselines are never written there')
      for (const file of [...snapshots, ...flags.transform, ...(flags.expect ? [flags.expect] : []), ...(flags.decryptWith ? [flags.decryptWith] : [])]) {
        await access(file).catch(() => usage(`file not found: ${file}`))
      }
      const application = await loadApplication({ dir: flags.app })
      const result = await check({
        application,
        snapshots,
        transforms: flags.transform,
        fromMigration: flags.fromMigration,
        expectations: flags.expect,
        cycles,
        serverOptions: toStartServerOptions(flags),
        decryptWith: flags.decryptWith,
      })
      say(`database: ${result.server}`)
      for (const outcome of result.checks) {
        say(describe(outcome))
        if (!outcome.passed && !flags.silent) io.err(prettyComparatorFindings([...outcome.findings, ...outcome.stale]))
      }
      if (flags.findingsFile) {
        await writeFile(flags.findingsFile, formatComparatorFindingsJson(result.checks.flatMap((c) => [...c.findings, ...c.stale])))
      }
      if (flags.report.length > 0) {
        await writeReports(checkReport(result), flags.report)
        for (const file of flags.report) say(`report: ${file}`)
      }
      for (const obsolete of await findObsoleteBaselines(snapshots)) say(`obsolete expectations (no snapshot): ${obsolete}`)
      if (flags.update) {
        const comparators = defaultComparators(application.registry)
        for (const outcome of result.checks) {
          say(`updated ${await updateExpectations(outcome, application.registry, comparators, flags.expect)}`)
        }
        setExitCode(EXIT_OK)
        return
      }
      const failed = result.checks.filter((c) => !c.passed).length
      say(`${result.checks.length - failed} passed, ${failed} failed`)
      setExitCode(result.passed ? EXIT_OK : EXIT_FAILURE)
    })
}

function describe(outcome: SnapshotCheck): string {
  const seconds = (outcome.durationMs / 1000).toFixed(2)
  const rows = `${outcome.rows.snapshot} rows`
  const expectations = outcome.expectationsFile ? `, expectations ${outcome.expectationsFile}` : ''
  if (outcome.passed) {
    const accepted = outcome.accepted.length > 0 ? `, ${outcome.accepted.length} accepted findings` : ''
    return `PASS ${outcome.snapshot} (${rows}${expectations}${accepted}, ${seconds} s)`
  }
  const parts = [`${outcome.findings.length} findings`, ...(outcome.stale.length > 0 ? [`${outcome.stale.length} stale expectations`] : [])]
  return `FAIL ${outcome.snapshot}: ${parts.join(', ')} (${rows}${expectations}, ${seconds} s)`
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value]
}

function usage(message: string): never {
  throw new HarnessError({ code: 'USAGE', stage: 'cli', message })
}

