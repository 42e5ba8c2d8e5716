import { createWriteStream } from 'node:fs'
import { finished } from 'node:stream/promises'
import type { Command } from 'commander'
import { loadApplication } from '../../application/load-application.ts'
import { encryptingDestination } from '../../crypto/backup-files.ts'
import { parseDatabaseUrl } from '../../database/url-provider.ts'
import { HarnessError } from '../../errors.ts'
import { exportBackup } from '../../export/export-backup.ts'
import { addBackupOptions, filtersOf, requireDatabaseUrl, scopeOf, type BackupFlags } from '../backup-options.ts'
import { EXIT_OK } from '../exit-codes.ts'
import { appDir, loadCliConfig } from '../config-option.ts'
import { stderrColours, type CliIo } from '../output.ts'
import { progressFor } from '../progress-display.ts'

interface ExportFlags extends BackupFlags {
  readonly indent: string
  readonly silent?: boolean
  readonly encryptWith?: string
}

/** `roundtrip export`: write a database out as a backup, to a file or standard output. */
export function registerExportCommand(program: Command, io: CliIo, setExitCode: (code: number) => void) {
  addBackupOptions(
    program.command('export').argument('[dest]', 'where to write; "-" or nothing for standard output').description('export a database as a backup'),
  )
    .option('--indent <n>', 'spaces per level', '2')
    .option('--silent', 'print nothing but the export')
    .option('--encrypt-with <public.pem>', 'write an encrypted tarball for this RSA public key instead of JSON')
    .addHelpText('after', '\nExample:\n  $ roundtrip export backup.json --database-url postgres://app@localhost/app --scope organization --filter-org-slugs acme')
    .action(async (dest: string | undefined, flags: ExportFlags) => {
      const indent = Number(flags.indent)
      if (!Number.isInteger(indent) || indent < 0 || indent > 16) {
        throw new HarnessError({ code: 'USAGE', stage: 'cli', message: `--indent must be a whole number from 0 to 16, not "${flags.indent}"` })
      }
      const databaseUrl = parseDatabaseUrl(requireDatabaseUrl(flags, 'export'))
      const application = await loadApplication({ dir: appDir(flags, await loadCliConfig(flags)) })
      const toStdout = dest === undefined || dest === '-'
      // Encrypted: the export goes to a temporary file first, then into the tarball.
      await using encrypting = flags.encryptWith
        ? await encryptingDestination(toStdout ? process.stdout : dest, flags.encryptWith)
        : undefined
      const destination = encrypting?.stream ?? (toStdout ? process.stdout : createWriteStream(dest))
      const progress = progressFor(io, flags.silent, stderrColours(io))
      const summary = await exportBackup({ application, databaseUrl, destination, scope: scopeOf(flags), filters: filtersOf(flags), indent, onProgress: progress.listener }).finally(() => progress.clear())
      if (!toStdout) {
        destination.end()
        await finished(destination)
      }
      const encrypted = await encrypting?.finish()
      if (!flags.silent) io.err(`exported ${summary.rows} rows of ${summary.models.filter((m) => m.rows > 0).length} models (${summary.bytes} bytes) in ${(summary.durationMs / 1000).toFixed(2)} s`)
      if (encrypted && !flags.silent) io.err(`encrypted into a ${encrypted.tarballBytes}-byte tarball`)
      setExitCode(EXIT_OK)
    })
}
