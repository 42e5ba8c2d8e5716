import { existsSync } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { tsImport } from 'tsx/esm/api'
import { isDynamicPattern, glob } from 'tinyglobby'
import { PROVIDER_NAMES } from '../database/types.ts'
import { HarnessError } from '../errors.ts'
import type { DatabaseConfig, RoundtripConfig } from './define-config.ts'

/** The names looked for in the working folder when no `--config` is given, in this order. */
export const CONFIG_FILE_NAMES = ['roundtrip.config.ts', 'roundtrip.config.mts', 'roundtrip.config.js', 'roundtrip.config.mjs'] as const

/** A config file read and checked, with every path made absolute against the file's folder. */
export interface LoadedConfig {
  /** Absolute path of the file; undefined when there is none (every setting then defaults). */
  readonly file: string | undefined
  /** The folder relative paths in the file are relative to. */
  readonly dir: string
  readonly app?: string
  /** As written in the file (files or globs, relative to `dir`). */
  readonly snapshots?: readonly string[]
  readonly transforms?: readonly string[]
  readonly expectationsFor?: (snapshot: string) => string
  readonly fromMigration?: string
  readonly comparators?: RoundtripConfig['comparators']
  readonly database?: DatabaseConfig
  readonly cycles?: number
  readonly reports?: readonly string[]
}

export interface LoadConfigOptions {
  /** A config file named on the command line: it must exist. */
  readonly file?: string
  /** Where to look for a `roundtrip.config.*` when `file` is not given. Default: the cwd. */
  readonly cwd?: string
}

/**
 * Finds and loads the config file. Without `file`, a missing config is no error: the CLI then
 * runs on flags and defaults alone.
 * @throws HarnessError `CONFIG_INVALID` naming the file and the setting, for a named file that
 *   does not exist, one that does not load, or a setting of the wrong kind
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const cwd = options.cwd ?? process.cwd()
  const file = options.file ? path.resolve(cwd, options.file) : findConfigFile(cwd)
  if (!file) return { file: undefined, dir: cwd }
  if (!existsSync(file)) throw configError(file, 'the file does not exist', 'Check the path given to --config')
  let loaded: { default?: unknown }
  try {
    // tsx loads TypeScript whatever the folder's package.json says; a `.ts` outside a
    // `"type": "module"` package comes back compiled to CommonJS, its exports one level down.
    loaded = (await tsImport(pathToFileURL(file).href, import.meta.url)) as { default?: unknown }
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error)
    throw configError(file, `it could not be loaded: ${reason}`, 'Fix the error in the file; it must be a module that TypeScript or Node can run')
  }
  const config = isCommonJsWrapper(loaded.default) ? loaded.default.default : loaded.default
  if (config === undefined) {
    throw configError(file, 'it has no default export', "End it with `export default defineConfig({ … })`, importing defineConfig from 'roundtrip/config'")
  }
  return resolveConfig(file, checkConfig(file, config))
}

export function findConfigFile(cwd: string): string | undefined {
  return CONFIG_FILE_NAMES.map((name) => path.join(cwd, name)).find((candidate) => existsSync(candidate))
}

/**
 * The snapshot files the config lists, in a stable order, relative to `cwd` when they are below
 * it (so messages show the short paths a person typed). Globs that match nothing are errors: a
 * CI job that checks nothing must not pass.
 */
export async function configuredSnapshots(config: LoadedConfig, cwd = process.cwd()): Promise<string[]> {
  const files: string[] = []
  for (const pattern of config.snapshots ?? []) {
    const matches = isDynamicPattern(pattern)
      ? (await glob(pattern, { cwd: config.dir, absolute: true, onlyFiles: true, expandDirectories: false })).sort()
      : existsSync(path.resolve(config.dir, pattern))
        ? [path.resolve(config.dir, pattern)]
        : []
    const snapshots = matches.filter((match) => !match.endsWith('.expect.json'))
    if (snapshots.length === 0) {
      throw configError(config.file!, `snapshots: "${pattern}" matches no snapshot file`, 'Fix the pattern, or remove it from `snapshots`')
    }
    for (const snapshot of snapshots) {
      const relative = path.relative(cwd, snapshot)
      const shown = relative.startsWith('..') ? snapshot : relative
      if (!files.includes(shown)) files.push(shown)
    }
  }
  return files
}

const KNOWN_KEYS = new Set(['app', 'snapshots', 'transforms', 'expectations', 'fromMigration', 'comparators', 'database', 'cycles', 'reports'])
const DATABASE_KEYS = new Set(['provider', 'pgMajor', 'url', 'image'])

/** Checks the shape of what the file exports, naming the first wrong setting. */
function checkConfig(file: string, config: unknown): RoundtripConfig {
  if (!isPlainObject(config)) throw configError(file, 'its default export is not an object', 'Export `defineConfig({ … })`')
  for (const key of Object.keys(config)) {
    if (!KNOWN_KEYS.has(key)) throw configError(file, `unknown setting \`${key}\``, `Known settings: ${[...KNOWN_KEYS].join(', ')}`)
  }
  const expect = (key: string, ok: boolean, kind: string) => {
    if (!ok) throw configError(file, `\`${key}\` must be ${kind}, not ${describe(config[key])}`, 'Fix that setting')
  }
  const has = (key: string) => config[key] !== undefined
  if (has('app')) expect('app', typeof config.app === 'string', 'a folder path')
  for (const key of ['snapshots', 'transforms', 'reports']) {
    if (has(key)) expect(key, isStringArray(config[key]), 'a list of paths')
  }
  if (has('expectations')) expect('expectations', typeof config.expectations === 'string' || typeof config.expectations === 'function', 'a folder path or a function of the snapshot path')
  if (has('fromMigration')) expect('fromMigration', typeof config.fromMigration === 'string', 'a migration name')
  if (has('cycles')) expect('cycles', Number.isInteger(config.cycles) && (config.cycles as number) >= 1, 'a whole number of at least 1')
  if (has('comparators')) {
    const list = config.comparators
    expect('comparators', Array.isArray(list) && list.every((r) => isPlainObject(r) && typeof r.model === 'string' && isPlainObject(r.comparator)), 'a list of { model, comparator }')
  }
  if (has('database')) {
    const database = config.database
    expect('database', isPlainObject(database), 'an object')
    const db = database as Record<string, unknown>
    for (const key of Object.keys(db)) {
      if (!DATABASE_KEYS.has(key)) throw configError(file, `unknown setting \`database.${key}\``, `Known: ${[...DATABASE_KEYS].join(', ')}`)
    }
    const check = (key: string, ok: boolean, kind: string) => {
      if (!ok) throw configError(file, `\`database.${key}\` must be ${kind}, not ${describe(db[key])}`, 'Fix that setting')
    }
    if (db.provider !== undefined) check('provider', PROVIDER_NAMES.includes(db.provider as never), `one of ${PROVIDER_NAMES.join(', ')}`)
    if (db.pgMajor !== undefined) check('pgMajor', Number.isInteger(db.pgMajor) && (db.pgMajor as number) >= 10, 'a PostgreSQL major version such as 15')
    if (db.url !== undefined) check('url', typeof db.url === 'string', 'a postgres:// URL')
    if (db.image !== undefined) check('image', typeof db.image === 'string', 'an image name')
  }
  return config as RoundtripConfig
}

function resolveConfig(file: string, config: RoundtripConfig): LoadedConfig {
  const dir = path.dirname(file)
  const at = (p: string) => path.resolve(dir, p)
  const { expectations } = config
  return {
    file,
    dir,
    ...(config.app !== undefined ? { app: at(config.app) } : {}),
    ...(config.snapshots ? { snapshots: config.snapshots } : {}),
    ...(config.transforms ? { transforms: config.transforms.map(at) } : {}),
    ...(config.reports ? { reports: config.reports.map(at) } : {}),
    ...(typeof expectations === 'string'
      ? { expectationsFor: (snapshot: string) => path.join(at(expectations), `${path.basename(snapshot)}.expect.json`) }
      : typeof expectations === 'function'
        ? { expectationsFor: (snapshot: string) => at(expectations(snapshot)) }
        : {}),
    ...(config.fromMigration !== undefined ? { fromMigration: config.fromMigration } : {}),
    ...(config.comparators ? { comparators: config.comparators } : {}),
    ...(config.database ? { database: config.database } : {}),
    ...(config.cycles !== undefined ? { cycles: config.cycles } : {}),
  }
}

function configError(file: string, problem: string, hint: string): HarnessError {
  return new HarnessError({ code: 'CONFIG_INVALID', stage: 'config', message: `config ${file}: ${problem}`, hint, context: { file } })
}

function isCommonJsWrapper(value: unknown): value is { default?: unknown } {
  return typeof value === 'object' && value !== null && (value as { __esModule?: unknown }).__esModule === true
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string')
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : Array.isArray(value) ? 'a list' : typeof value === 'object' ? 'an object' : String(value)
}
