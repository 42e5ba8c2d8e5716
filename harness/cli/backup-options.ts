import { Option, type Command } from 'commander'
import { HarnessError } from '../errors.ts'
import { BACKUP_SCOPES, type BackupScope } from '../import/import-types.ts'
import type { FilterRequest } from '../import/import-filters.ts'
import { appOption, configOption, type AppFlags } from './config-option.ts'

/** Flags shared by `import` and `export`. */
export interface BackupFlags extends AppFlags {
  readonly databaseUrl?: string
  readonly scope: string
  readonly filterUsernames?: string
  readonly filterOrgSlugs?: string
}

export function addBackupOptions(command: Command): Command {
  return command
    .option('--database-url <url>', 'the database (required)')
    .addOption(
      new Option('--scope <scope>', 'which models travel').choices(BACKUP_SCOPES.map((s) => s.toLowerCase())).default('global'),
    )
    .option('--filter-usernames <names>', 'only these users (comma-separated; empty means no filter)')
    .option('--filter-org-slugs <slugs>', 'only these organizations and their members (comma-separated)')
    .addOption(appOption())
    .addOption(configOption())
}

export function scopeOf(flags: BackupFlags): BackupScope {
  return BACKUP_SCOPES.find((s) => s.toLowerCase() === flags.scope.toLowerCase())!
}

/** Sentry's filter strings: split on ",", and an empty string means no filter. */
export function filtersOf(flags: BackupFlags): FilterRequest {
  const split = (value: string | undefined) => (value ? value.split(',').map((s) => s.trim()).filter(Boolean) : undefined)
  return { usernames: split(flags.filterUsernames), organizationSlugs: split(flags.filterOrgSlugs) }
}

export function requireDatabaseUrl(flags: BackupFlags, command: string): string {
  if (flags.databaseUrl) return flags.databaseUrl
  throw new HarnessError({
    code: 'USAGE',
    stage: 'cli',
    message: `${command} needs --database-url`,
    hint: 'Name the database, e.g. --database-url postgres://user@localhost/app',
  })
}
