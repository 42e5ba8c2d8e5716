/**
 * The one exception type of the harness. Differences in data are findings, never errors:
 * a `HarnessError` means the harness itself could not do its job (boot, schema, bad input, …).
 * Callers branch on `code`, never on the message text.
 */
export type HarnessErrorCode =
  | 'PROVIDER_UNAVAILABLE'
  | 'DATABASE_START_FAILED'
  | 'CONTAINER_START_FAILED'
  | 'CONTAINER_STOP_FAILED'
  | 'DATABASE_URL_INVALID'
  | 'DATABASE_NOT_OWNED'
  | 'SCHEMA_APPLY_FAILED'
  | 'MIGRATION_NOT_FOUND'
  | 'MIGRATION_HISTORY_INVALID'
  | 'APPLICATION_INVALID'
  | 'BACKUP_INVALID'
  | 'IMPORT_FAILED'
  | 'EXPORT_FAILED'
  | 'COMPARATOR_FAILED'
  | 'COMPARATOR_CONFLICT'
  | 'SNAPSHOT_MISSING'
  | 'TRANSFORM_FAILED'
  | 'DECRYPTION_FAILED'
  | 'CONFIG_INVALID'
  | 'USAGE'

/** Where in the pipeline the error happened. */
export type HarnessStage =
  | 'boot'
  | 'schema'
  | 'application'
  | 'import'
  | 'transform'
  | 'export'
  | 'validate'
  | 'crypto'
  | 'cli'
  | 'config'

/** Structured, identifying values: whatever helps a person find the culprit. */
export interface HarnessErrorContext {
  readonly database?: string
  readonly provider?: string
  readonly migration?: string
  readonly file?: string
  readonly model?: string
  readonly field?: string
  readonly ordinal?: number
  readonly pk?: number | string
  readonly [key: string]: unknown
}

export interface HarnessErrorOptions {
  readonly code: HarnessErrorCode
  readonly stage: HarnessStage
  /** "<what failed>: <why> (<identifying values>)" — lowercase, no trailing advice. */
  readonly message: string
  /** One sentence telling the reader what to do next. */
  readonly hint?: string
  readonly context?: HarnessErrorContext
  readonly cause?: unknown
}

export class HarnessError extends Error {
  override readonly name = 'HarnessError'
  readonly code: HarnessErrorCode
  readonly stage: HarnessStage
  readonly hint: string | undefined
  readonly context: HarnessErrorContext

  constructor(options: HarnessErrorOptions) {
    super(options.hint ? `${options.message}. ${options.hint}` : options.message, {
      cause: options.cause,
    })
    this.code = options.code
    this.stage = options.stage
    this.hint = options.hint
    this.context = options.context ?? {}
  }
}

export function isHarnessError(error: unknown, code?: HarnessErrorCode): error is HarnessError {
  return error instanceof HarnessError && (code === undefined || error.code === code)
}

/** The message of any thrown value, for wrapping foreign errors into a `HarnessError`. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message
  return String(error)
}
