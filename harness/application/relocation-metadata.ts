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
   * to order rows for comparison (spec §4.1). Foreign keys to users are looked through to usernames.
   * Default: none (rows are ordered by pk).
   */
  readonly customOrdinal?: readonly string[]
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
}

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
}

/** Identity function that gives an application's metadata file its types. */
export function defineRelocation(metadata: RelocationMetadata): RelocationMetadata {
  return metadata
}
