import type { Comparator } from '../../comparators/comparator.ts'

/**
 * The relocation metadata an application declares next to its Prisma schema: what the schema
 * alone cannot say about how rows move between installations. The harness reads models, tables,
 * columns, types, primary keys, relations and unique sets from the Prisma schema; everything
 * below is what is added on top. Nothing here is specific to one application.
 */

/** Which backups a model belongs to (spec §2.1). */
export type RelocationScope = 'Excluded' | 'User' | 'Organization' | 'Config' | 'Global'

export const RELOCATION_SCOPES: readonly RelocationScope[] = [
  'Excluded',
  'User',
  'Organization',
  'Config',
  'Global',
]

/**
 * How a foreign key is implemented (spec §2.4). Relations declared in the Prisma schema are
 * `FlexibleForeignKey` unless a model says otherwise; plain integer columns that point at another
 * model without a constraint are `HybridCloudForeignKey` or `ImplicitForeignKey`.
 */
export type ForeignKeyKind =
  | 'FlexibleForeignKey'
  | 'DefaultForeignKey'
  | 'HybridCloudForeignKey'
  | 'OneToOneCascadeDeletes'
  | 'DefaultOneToOneField'
  | 'ImplicitForeignKey'

/** A foreign key stored in a plain integer column, with no relation in the Prisma schema. */
export interface PlainForeignKey {
  /** The export name of the target model, e.g. `"sentry.user"`. */
  readonly model: string
  /** Default: `HybridCloudForeignKey`. */
  readonly kind?: 'HybridCloudForeignKey' | 'ImplicitForeignKey'
}

/** Relocation metadata of one model. */
export interface ModelRelocation {
  /**
   * The Prisma model this entry describes. Default: the model whose lower-cased name equals the
   * part after the dot, so `"sentry.organizationmember"` is `OrganizationMember`.
   */
  readonly prismaModel?: string
  /**
   * The scope, or the set of scopes a row may fall in when the model decides per row (spec §2.1).
   */
  readonly scope: RelocationScope | readonly RelocationScope[]
  /**
   * Export field names whose values identify a row across installations, used instead of the pk
   * to order rows for comparison (spec §4.1). Foreign keys to the user model (`filters.users`) are
   * looked through to its `usernameField`. Default: none (rows are ordered by pk).
   */
  readonly customOrdinal?: readonly string[]
  /**
   * Which rows the custom ordinal applies to; the others are ordered by pk and take the ordinals
   * before the keyed ones (spec §4.1: Sentry orders user options by user and key only when they
   * belong to no organization and no project). Receives the row's fields. Default: every row.
   */
  readonly customOrdinalWhen?: (fields: Readonly<Record<string, unknown>>) => boolean
  /**
   * What a second row with the same custom ordinal means when comparing: `'finding'` reports a
   * `DuplicateCustomOrdinal`; `'lastWins'` lets the later row silently replace the earlier one
   * (Sentry's rule for user options). Either way the count is taken after de-duplication.
   * Default: `'finding'`.
   */
  readonly duplicateOrdinal?: 'finding' | 'lastWins'
  /**
   * The comparators that `validate()` applies to this model's rows, in order (spec §5.3): how its
   * fields may legitimately differ after a round trip. The automatic ones (datetime equality on
   * models listed here, e-mail obfuscation, foreign keys) are added after them from the schema.
   * Every field they name must exist, and no field may be named twice by comparators of the same
   * name; both are checked when the registry is built. Default: none.
   */
  readonly comparators?: readonly Comparator[]
  /**
   * Models that must be imported before this one although no foreign key says so (Sentry's
   * `relocation_dependencies`). Export model names. Default: none.
   */
  readonly dependsOn?: readonly string[]
  /** Plain integer columns that are foreign keys, keyed by export field name (`user_id`). */
  readonly plainForeignKeys?: Readonly<Record<string, PlainForeignKey>>
  /**
   * The kind of relation-backed foreign keys whose kind is not `FlexibleForeignKey`, keyed by
   * export field name (the Prisma relation field). Default: none.
   */
  readonly relationKinds?: Readonly<Record<string, ForeignKeyKind>>
  /** Fields holding e-mail addresses; comparators obfuscate them. Default: none. */
  readonly emailFields?: readonly string[]
  /**
   * Fields older backups carry that the current schema no longer has. The importer drops them
   * ("import shims", spec §2.5) instead of failing on an unknown field. Default: none.
   */
  readonly deletedFields?: readonly string[]
  /**
   * Fields the application has renamed since older backups were written: old export name → new
   * export name. The importer reads an old backup's value under the new name (an import shim like
   * `deletedFields`), so a backup from before the rename imports into the current schema. The new
   * name must be a field of the model and the old one must not. Default: none.
   */
  readonly renamedFields?: Readonly<Record<string, string>>
  /**
   * What happens when an imported row collides with an existing one (or an earlier row of the
   * same import) on a unique field set. Default: nothing special, so the database refuses the row
   * (an `IntegrityError` that fails the import).
   */
  readonly collisions?: readonly CollisionRule[]
  /**
   * Foreign keys whose target row was not imported are set to null instead of dropping the row
   * (Sentry's `OrganizationMember.inviter_id`). Export field names. Default: none.
   */
  readonly nullIfTargetMissing?: readonly string[]
  /**
   * Rows are skipped when the row this foreign key points at was matched to an existing row
   * instead of being inserted (children of merged users). Export field names. Default: none.
   */
  readonly skipIfTargetReused?: readonly string[]
  /**
   * Per-row changes on import, after foreign keys are remapped and before collisions are
   * resolved: sanitising users for a non-Global scope, resetting verification, and the like.
   * Return `'skip'` to leave the row out. Default: none.
   */
  readonly normalize?: (row: ImportRow, context: ImportRowContext) => void | 'skip'
  /**
   * Rows of this model left out of exports (Sentry's option keys that are never exported).
   * Export field name → values to leave out. Default: none.
   */
  readonly exportExclude?: Readonly<Record<string, readonly unknown[]>>
}

/** A row on its way into the database: `fields` may be changed in place. */
export interface ImportRow {
  readonly model: string
  /** The row's pk in the backup. */
  readonly sourcePk: number
  readonly fields: Record<string, unknown>
}

export interface ImportRowContext {
  /** The import's scope. */
  readonly scope: RelocationScope
  /** The import's flags. */
  readonly flags: ImportFlags
  /** A random secret, for fields that must be regenerated (passwords, hashes). */
  randomHex(bytes: number): string
  /** The import's start time, for fields reset to "now". */
  readonly now: Date
}

/** Sentry's import flags (spec §2.2). */
export interface ImportFlags {
  /** Reuse existing users with the same username instead of suffixing. Default: false. */
  readonly mergeUsers: boolean
  /** Overwrite config rows that collide, keeping their pk. Default: false. */
  readonly overwriteConfigs: boolean
}

/**
 * How a collision on a unique set is resolved (spec §2.2, §2.9). `fields` are export field names.
 * - `suffix`: give the imported row a new value, the old one plus "-" and random characters,
 *   within `maxLength` (usernames, organization slugs). With `reuseWhen` naming a set flag, the
 *   existing row is reused instead (`mergeUsers`).
 * - `reuse`: use the existing row instead of inserting (get-or-create, e.g. e-mail addresses).
 * - `config`: keep the existing row, or with `overwriteConfigs` overwrite it keeping its pk.
 * - `regenerate`: give the imported row a freshly generated value (keys, tokens).
 * - `clear`: set the listed fields to null on the imported row (a colliding invitation token).
 */
export type CollisionRule =
  | {
      readonly kind: 'suffix'
      readonly field: string
      readonly maxLength: number
      /** Compare ignoring case, as Sentry does for usernames. Default: false. */
      readonly ignoreCase?: boolean
      /** Always suffix values made only of digits (Sentry's usernames). Default: false. */
      readonly suffixAllDigits?: boolean
      readonly reuseWhen?: keyof ImportFlags
    }
  | { readonly kind: 'reuse'; readonly fields: readonly string[] }
  | { readonly kind: 'config'; readonly fields: readonly string[] }
  | { readonly kind: 'regenerate'; readonly field: string; readonly generate: () => string }
  | { readonly kind: 'clear'; readonly fields: readonly string[]; readonly alsoClear?: readonly string[] }

/** Everything an application declares about relocation, in one place. */
export interface RelocationMetadata {
  /**
   * Metadata per model, keyed by the model's name in backups (`"sentry.user"`). Every model of the
   * Prisma schema must appear here; a model that never travels is declared with scope `Excluded`.
   */
  readonly models: Readonly<Record<string, ModelRelocation>>
  /**
   * Models older backups carry that the application no longer has. Their rows are dropped on
   * import (spec §2.5). Default: none.
   */
  readonly deletedModels?: readonly string[]
  /** What `--filter-usernames` and `--filter-org-slugs` select by. Default: no filters offered. */
  readonly filters?: FilterDeclarations
  /**
   * A client of the application's own data layer (its Prisma client) that transforms receive as
   * `prisma`, opened on the round trip's database and closed after the transform. Default: none.
   */
  readonly transformClient?: (databaseUrl: string) => { readonly client: unknown; close(): Promise<void> }
}

/**
 * The application's filter semantics, declared rather than coded (spec §2.4, §3): which model and
 * field a username or organization filter selects by, how organizations lead to their members'
 * users, and which models follow the kept users (e-mail addresses that have no foreign key).
 */
export interface FilterDeclarations {
  /** The user model and its username field. */
  readonly users: { readonly model: string; readonly usernameField: string }
  /** The organization model, its slug field, and the membership model linking users to it. */
  readonly organizations?: {
    readonly model: string
    readonly slugField: string
    readonly members: { readonly model: string; readonly organizationField: string; readonly userField: string }
  }
  /**
   * Models filtered along with the users: rows of `model` are kept only when their `field` equals
   * the `userField` of a kept user (Sentry's `Email.email` allowlist). Default: none.
   */
  readonly followUsers?: readonly { readonly model: string; readonly field: string; readonly userField: string }[]
  /**
   * Which users a Config export keeps (spec §3): those with any of `flagFields` set, or with a
   * row in one of the `via` models. Default: every user.
   */
  readonly privilegedUsers?: {
    readonly flagFields: readonly string[]
    readonly via: readonly { readonly model: string; readonly userField: string }[]
  }
}

/** Identity function that gives an application's metadata file its types. */
export function defineRelocation(metadata: RelocationMetadata): RelocationMetadata {
  return metadata
}
