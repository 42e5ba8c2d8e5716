import { Option, type Command } from 'commander'
import { HarnessError } from '../errors.ts'
import { PROVIDER_NAMES, type ProviderName } from '../database/types.ts'
import type { StartServerOptions } from '../database/start-server.ts'
import type { DatabaseConfig } from '../config/define-config.ts'

/** The flags every command that starts or uses a database server accepts. */
export interface DatabaseFlags {
  readonly provider?: ProviderName
  readonly pgMajor?: string
  readonly databaseUrl?: string
  readonly image?: string
}

export function addDatabaseOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--provider <name>', 'where the throwaway PostgreSQL comes from (default: automatic)').choices(
        PROVIDER_NAMES,
      ),
    )
    .option('--pg-major <major>', 'PostgreSQL major version (default: 15, or `database.pgMajor` in the config file)')
    .option('--database-url <url>', 'use this existing server (implies --provider url)')
    .option('--image <image>', 'container image for --provider container (default: postgres:<major>)')
}

/**
 * Flags first, then the config file's `database`. A provider chosen by flag discards the file's
 * URL (unless the flag is `url`), and a URL given by flag discards the file's provider: the
 * command line says where the database is, whole.
 */
export function toStartServerOptions(flags: DatabaseFlags, config: DatabaseConfig = {}): StartServerOptions {
  const provider = flags.provider ?? (flags.databaseUrl ? undefined : config.provider)
  const databaseUrl = flags.databaseUrl ?? (flags.provider && flags.provider !== 'url' ? undefined : config.url)
  const image = flags.image ?? config.image
  const pgMajor = flags.pgMajor !== undefined ? parseMajorFlag(flags.pgMajor) : config.pgMajor
  return {
    ...(provider ? { provider } : {}),
    ...(databaseUrl ? { databaseUrl } : {}),
    ...(image ? { image } : {}),
    ...(pgMajor !== undefined ? { pgMajor } : {}),
  }
}

function parseMajorFlag(value: string): number {
  const major = Number(value)
  if (!Number.isInteger(major) || major < 10 || major > 99) {
    throw new HarnessError({
      code: 'USAGE',
      stage: 'cli',
      message: `--pg-major must be a PostgreSQL major version such as 15, not "${value}"`,
    })
  }
  return major
}
