import { Option, type Command } from 'commander'
import { loadConfig, type LoadedConfig } from '../config/load-config.ts'

/** The flags of every command that loads the application: `--app` and `--config`. */
export interface AppFlags {
  readonly app?: string
  readonly config?: string
}

/** The application's folder when neither a flag nor the config file names one. */
export const DEFAULT_APP_DIR = 'prisma'

export function appOption(): Option {
  return new Option('--app <dir>', `folder with schema.prisma, migrations/ and relocation.ts (default: ${DEFAULT_APP_DIR}, or \`app\` in the config file)`)
}

export function configOption(): Option {
  return new Option('--config <file>', 'settings file (default: roundtrip.config.ts in the working folder, when there is one)')
}

export function addAppOptions(command: Command): Command {
  return command.addOption(appOption()).addOption(configOption())
}

/** The config file a command runs with: the one named by `--config`, else the one found. */
export function loadCliConfig(flags: AppFlags): Promise<LoadedConfig> {
  return loadConfig(flags.config ? { file: flags.config } : {})
}

/** Flag, then config file, then default: a flag always wins. */
export function appDir(flags: AppFlags, config: LoadedConfig): string {
  return flags.app ?? config.app ?? DEFAULT_APP_DIR
}
