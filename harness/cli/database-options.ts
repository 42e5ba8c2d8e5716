import { Option, type Command } from 'commander'
import { HarnessError } from '../errors.ts'
import { PROVIDER_NAMES, type ProviderName } from '../database/types.ts'
import type { StartServerOptions } from '../database/start-server.ts'

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
    .option('--pg-major <major>', 'PostgreSQL major version (default: 15)')
    .option('--database-url <url>', 'use this existing server (implies --provider url)')
    .option('--image <image>', 'container image for --provider container (default: postgres:<major>)')
}

export function toStartServerOptions(flags: DatabaseFlags): StartServerOptions {
  return {
    ...(flags.provider ? { provider: flags.provider } : {}),
    ...(flags.databaseUrl ? { databaseUrl: flags.databaseUrl } : {}),
    ...(flags.image ? { image: flags.image } : {}),
    ...(flags.pgMajor !== undefined ? { pgMajor: parseMajorFlag(flags.pgMajor) } : {}),
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
