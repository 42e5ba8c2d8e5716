import type { Command } from 'commander'
import { loadApplication } from '../../application/load-application.ts'
import { HarnessError } from '../../errors.ts'
import { parseDatabaseUrl } from '../../database/url-provider.ts'
import { applyMigrations } from '../../schema/migrator.ts'
import { EXIT_OK } from '../exit-codes.ts'
import type { CliIo } from '../output.ts'

interface MigrateFlags {
  readonly databaseUrl?: string
  readonly to?: string
  readonly app: string
}

/** `roundtrip migrate`: apply the application's migrations to an existing database. */
export function registerMigrateCommand(program: Command, io: CliIo, setExitCode: (code: number) => void) {
  program
    .command('migrate')
    .description("apply the application's migrations to a database, recorded as Prisma records them")
    .option('--database-url <url>', 'the database to migrate (required)')
    .option('--to <migration>', 'apply migrations only up to and including this one')
    .option('--app <dir>', 'folder with schema.prisma, migrations/ and relocation.ts', 'prisma')
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
      const application = await loadApplication({ dir: flags.app })
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
