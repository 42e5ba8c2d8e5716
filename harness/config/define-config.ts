import type { ComparatorRegistration } from '../../comparators/default-comparators.ts'
import type { ProviderName } from '../database/types.ts'

/**
 * `roundtrip.config.ts`: what `roundtrip` checks and how, so a project's command line stays short
 * and CI runs exactly what a person runs. Every path is relative to the config file's folder.
 * A flag given on the command line wins over the same setting here.
 */
export interface RoundtripConfig {
  /** Folder with schema.prisma, migrations/ and relocation.ts. Default: `prisma`. */
  readonly app?: string
  /**
   * Snapshots `roundtrip check` checks when it is given none: files or globs
   * (`snapshots/*.json`). Expectations files (`*.expect.json`) that a glob matches are skipped.
   */
  readonly snapshots?: readonly string[]
  /** Transform modules run, in order, between import and export. Default: none. */
  readonly transforms?: readonly string[]
  /**
   * Where a snapshot's expectations file is: a folder holding `<snapshot file name>.expect.json`,
   * or a function from the snapshot's path (as `check` received it) to the file's path.
   * Default: beside the snapshot.
   */
  readonly expectations?: string | ((snapshot: string) => string)
  /** Import at the schema as of this migration, then run the later ones. Default: the latest. */
  readonly fromMigration?: string
  /** Comparators added to the default map, per model, after the declared ones. */
  readonly comparators?: readonly ComparatorRegistration[]
  /** Where the throwaway PostgreSQL comes from. Default: automatic (embedded, then container). */
  readonly database?: DatabaseConfig
  /** Import→export cycles per snapshot; 2 or more also requires identical exports. Default: 1. */
  readonly cycles?: number
  /** Reports written after every check (`.json`, `.xml`, `.md`, `.html`). Default: none. */
  readonly reports?: readonly string[]
}

export interface DatabaseConfig {
  readonly provider?: ProviderName
  /** PostgreSQL major version, e.g. 15. */
  readonly pgMajor?: number
  /** An existing server to create throwaway databases on (implies provider `url`). */
  readonly url?: string
  /** Container image for provider `container`. */
  readonly image?: string
}

/**
 * Types a config file, as vitest's `defineConfig` does: it returns its argument, so the file gets
 * completion and checking without a build step.
 * @example
 * export default defineConfig({ snapshots: ['snapshots/*.json'], database: { pgMajor: 15 } })
 */
export function defineConfig(config: RoundtripConfig): RoundtripConfig {
  return config
}
