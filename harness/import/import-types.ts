import type { ImportFlags, RelocationScope } from '../application/relocation-metadata.ts'

/** The scope of an import or export (spec §2.1). Each includes the ones before it. */
export type BackupScope = 'User' | 'Organization' | 'Config' | 'Global'

export const BACKUP_SCOPES: readonly BackupScope[] = ['User', 'Organization', 'Config', 'Global']

/** The model scopes each backup scope takes in. */
export const SCOPE_MEMBERS: Readonly<Record<BackupScope, readonly RelocationScope[]>> = {
  User: ['User'],
  Organization: ['User', 'Organization'],
  Config: ['User', 'Config'],
  Global: ['User', 'Organization', 'Config', 'Global'],
}

/** Error kinds of a failed import, Sentry's names (spec §2.8) plus our own where Sentry has none. */
export type ImportErrorKind =
  | 'UnknownModel'
  | 'DeserializationFailed'
  | 'ValidationError'
  | 'IntegrityError'
  | 'DatabaseError'
  | 'NonContiguousModel'
  | 'SchemaNotReady'

/** Why a row of the backup did not become a row of the database. */
export type DropReason =
  /** The model (or the row) is outside the import's scope. */
  | 'outOfScope'
  /** A username or organization filter left it out. */
  | 'filtered'
  /** A foreign key pointed at a row that was not imported (Sentry drops these silently). */
  | 'missingForeignKey'
  /** Its parent was matched to an existing row (a merged user), so it is not imported. */
  | 'parentReused'
  /** The application's normalize hook left it out. */
  | 'skippedByHook'
  /** A model the application has deleted (an import shim). */
  | 'deletedModel'

export const DROP_REASONS: readonly DropReason[] = [
  'outOfScope',
  'filtered',
  'missingForeignKey',
  'parentReused',
  'skippedByHook',
  'deletedModel',
]

/** What happened to the rows of one model. */
export interface ModelImportSummary {
  readonly model: string
  /** Rows of this model in the backup. */
  readonly rows: number
  /** Inserted as new rows. */
  readonly inserted: number
  /** Matched to an existing row, which was kept (Sentry's `Existing`). */
  readonly existing: number
  /** Matched to an existing row, which took the imported values (Sentry's `Overwrite`). */
  readonly overwritten: number
  /** Rows not imported, by reason. Beyond Sentry, so that nothing disappears unseen. */
  readonly dropped: Readonly<Record<DropReason, number>>
}

export interface ImportSummary {
  readonly scope: BackupScope
  readonly file: string
  /** Entries read from the backup. */
  readonly entries: number
  /** Per model, in the order the models appeared in the backup. */
  readonly models: readonly ModelImportSummary[]
  readonly durationMs: number
}

export type { ImportFlags }
