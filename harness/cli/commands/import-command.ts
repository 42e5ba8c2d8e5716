import { access, writeFile } from 'node:fs/promises'
import { Writable } from 'node:stream'
import type { Command } from 'commander'
import pg from 'pg'
import { loadApplication, type Application } from '../../application/load-application.ts'
import { openPlainBackup } from '../../crypto/backup-files.ts'
import { parseDatabaseUrl } from '../../database/url-provider.ts'
import { HarnessError, isHarnessError } from '../../errors.ts'
import { errorFinding, formatFindingsJson, prettyFinding } from '../../findings/import-export-findings.ts'
import { importBackup } from '../../import/import-backup.ts'
import type { ImportSummary } from '../../import/import-types.ts'
import { addBackupOptions, filtersOf, requireDatabaseUrl, scopeOf, type BackupFlags } from '../backup-options.ts'
import { canAsk, confirm } from '../confirm.ts'
import { EXIT_FAILURE, EXIT_OK } from '../exit-codes.ts'
import { appDir, loadCliConfig } from '../config-option.ts'
import { stderrColours, writeErrorLine, type CliIo } from '../output.ts'
import { progressFor } from '../progress-display.ts'

interface ImportFlags extends BackupFlags {
  readonly mergeUsers?: boolean
  readonly overwriteConfigs?: boolean
  readonly prompt: boolean
  readonly silent?: boolean
  readonly findingsFile?: string
  readonly decryptWith?: string
}

export const WIPE_WARNING =
  "Proceeding will irrecoverably delete all existing data in the application's tables of this database before importing. Are you sure you want to continue?"

/** `roundtrip import`: read a backup into a database, in one transaction. */
export function registerImportCommand(program: Command, io: CliIo, setExitCode: (code: number) => void) {
  addBackupOptions(program.command('import').argument('<file>', 'the backup to import').description('import a backup into a database'))
    .option('--merge-users', 'reuse existing users with the same username instead of suffixing')
    .option('--overwrite-configs', 'overwrite colliding config rows (options, relays, roles) with the imported values')
    .option('--no-prompt', 'do not ask before emptying the tables (Global scope)')
    .option('--silent', 'print nothing (a confirmation is still asked for)')
    .option('--findings-file <file>', 'write [] or the import error, as findings JSON')
    .option('--decrypt-with <private.pem>', 'the backup is an encrypted tarball; decrypt it with this RSA private key')
    .addHelpText('after', '\nExample:\n  $ roundtrip import snapshots/fresh_install.json --database-url postgres://app@localhost/app_test --no-prompt')
    .action(async (file: string, flags: ImportFlags) => {
      const say = flags.silent ? () => {} : io.err
      const databaseUrl = parseDatabaseUrl(requireDatabaseUrl(flags, 'import'))
      await access(file).catch(() => {
        throw new HarnessError({ code: 'USAGE', stage: 'cli', message: `backup file not found: ${file}`, hint: 'Check the path' })
      })
      // Decrypted before anything else, so a wrong key fails before the confirmation is asked.
      await using backup = await openPlainBackup(file, flags.decryptWith)
      const application = await loadApplication({ dir: appDir(flags, await loadCliConfig(flags)) })
      const scope = scopeOf(flags)
      if (scope === 'Global' && flags.prompt && (await hasData(databaseUrl, application))) {
        if (!canAsk()) {
          throw new HarnessError({
            code: 'USAGE',
            stage: 'cli',
            message: 'import refused: a Global import empties the tables first, and there is no terminal to confirm it on',
            hint: 'Pass --no-prompt to confirm in advance',
          })
        }
        const output = flags.silent ? new Writable({ write: (_chunk, _encoding, done) => done() }) : process.stderr
        if (!(await confirm(WIPE_WARNING, output))) {
          say('Import cancelled.')
          setExitCode(EXIT_OK)
          return
        }
      }
      const progress = progressFor(io, flags.silent, stderrColours(io))
      try {
        const summary = await importBackup({
          application,
          databaseUrl,
          source: backup.path,
          file: backup.name,
          scope,
          filters: filtersOf(flags),
          flags: { mergeUsers: flags.mergeUsers ?? false, overwriteConfigs: flags.overwriteConfigs ?? false },
          onProgress: progress.listener,
        }).finally(() => progress.clear())
        for (const line of describeSummary(summary)) say(line)
        if (flags.findingsFile) await writeFile(flags.findingsFile, formatFindingsJson([]))
        setExitCode(EXIT_OK)
      } catch (error) {
        // Bad data (including malformed JSON) is a failed import, reported as a finding; anything
        // else (a server that went away) is an ordinary error.
        if (!isHarnessError(error) || (error.code !== 'IMPORT_FAILED' && error.code !== 'BACKUP_INVALID')) throw error
        const finding = errorFinding(error)
        if (flags.findingsFile) await writeFile(flags.findingsFile, formatFindingsJson([finding]))
        io.err(prettyFinding(finding))
        writeErrorLine(io, error.message)
        setExitCode(EXIT_FAILURE)
      }
    })
}

async function hasData(databaseUrl: string, application: Application): Promise<boolean> {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    for (const model of application.registry.models.values()) {
      const result = await client.query(`SELECT 1 FROM "${model.table}" LIMIT 1`).catch(() => ({ rowCount: 0 }))
      if (result.rowCount) return true
    }
    return false
  } finally {
    await client.end()
  }
}

/** A per-model table of what happened, then a one-line total. */
export function describeSummary(summary: ImportSummary): string[] {
  const lines: string[] = []
  const width = Math.max(5, ...summary.models.map((m) => m.model.length))
  lines.push(`${'model'.padEnd(width)}  rows  inserted  existing  overwritten  dropped`)
  for (const m of summary.models) {
    const dropped = Object.entries(m.dropped).filter(([, n]) => n > 0).map(([reason, n]) => `${n} ${reason}`).join(', ')
    lines.push(
      `${m.model.padEnd(width)}  ${String(m.rows).padStart(4)}  ${String(m.inserted).padStart(8)}  ${String(m.existing).padStart(8)}  ${String(m.overwritten).padStart(11)}  ${dropped || '0'}`,
    )
  }
  const inserted = summary.models.reduce((n, m) => n + m.inserted, 0)
  lines.push(`imported ${inserted} of ${summary.entries} rows (${summary.scope} scope) in ${(summary.durationMs / 1000).toFixed(2)} s`)
  return lines
}

