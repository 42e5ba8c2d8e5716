import type { Command } from 'commander'
import { loadApplication } from '../../application/load-application.ts'
import { HarnessError } from '../../errors.ts'
import { parseDatabaseUrl } from '../../database/url-provider.ts'
import { applyMigrations } from '../../schema/migrator.ts'
import { EXIT_OK } from '../exit-codes.ts'
import { appDir, appOption, configOption, loadCliConfig, type AppFlags } from '../config-option.ts'
import type { CliIo } from '../output.ts'

interface MigrateFlags extends AppFlags {
  readonly databaseUrl?: string
  readonly to?: string
}

/** `roundtrip migrate`: apply the application's migrations to an existing database. */
export function registerMigrateCommand(program: Command, io: CliIo, setExitCode: (code: number) => void) {
  program
    .command('migrate')
    .description("apply the application's migrations to a database, recorded as Prisma records them")
    .option('--database-url <url>', 'the database to migrate (required)')
    .option('--to <migration>', 'apply migrations only up to and including this one')
    .addOption(appOption())
      .addOption(configOption())
    .addHelpText('after', '\nExample:\n  $ roundtrip migrate --database-url postgres://app@localhost:5432/app_test')
    .action(async (flags: MigrateFlags) => {
      if (!flags.databaseUrl) {
        throw new HarnessError({
          code: 'USAGE',
          stage: 'cli',
          message: 'migrate needs --database-url',
          hint: 'Name the database to migrate, e.g. --database-url postgres://user@localhost/app',
        })
      }
      const config = await loadCliConfig(flags)
      const application = await loadApplication({ dir: appDir(flags, config) })
      const result = await applyMigrations(parseDatabaseUrl(flags.databaseUrl), application.migrations, {
        to: flags.to,
      })
      for (const migration of result.results) {
        io.out(`${migration.status.padEnd(14)} ${migration.name}`)
      }
      io.err(`${result.applied.length} migration(s) applied`)
      setExitCode(EXIT_OK)
    })
}
