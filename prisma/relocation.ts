/**
 * The reference application's relocation rules: everything about moving Sentry's rows between
 * installations that prisma/schema.prisma cannot say. This is the one place they live; the harness
 * reads tables, columns, types, relations and unique sets from the schema and the rest from here.
 *
 * Sources: Sentry's model_dependencies/detailed.json (scopes, relocation_dependencies, hybrid-cloud
 * and implicit foreign keys) and the backup spec (custom ordinals §4.1, e-mail fields §5.3, import
 * shims §2.5, the explicit comparators of Sentry's default map §5.3, in Sentry's order).
 * tests/reference-schema.test.ts checks this file against detailed.json, and
 * tests/default-comparators.test.ts the comparator map built from it against Sentry's snapshot.
 */
import { randomBytes } from 'node:crypto'
import { createPrismaClient } from './client.ts'
import {
  autoSuffix,
  dateUpdated,
  hashObfuscating,
  ignored,
  secretHex,
  userPasswordObfuscating,
} from '../comparators/index.ts'
import {
  defineRelocation,
  type ImportRow,
  type ImportRowContext,
} from '../harness/application/relocation-metadata.ts'

/** Option keys that describe one installation and are never exported (spec §3). */
const INSTALL_OPTION_KEYS = [
  'sentry:install-id',
  'sentry:latest_version',
  'sentry:last_worker_ping',
  'sentry:last_worker_version',
]
const USERNAME_MAX_LENGTH = 128
/** Sentry suffixes organization slugs within 30 characters, below the column's 50 (spec §2.9). */
const ORGANIZATION_SLUG_MAX_LENGTH = 30

export const relocation = defineRelocation({
  models: {
    'sentry.integration': { scope: 'Global', comparators: [dateUpdated('date_updated')] },
    'sentry.option': {
      scope: 'Config',
      customOrdinal: ['key'],
      collisions: [{ kind: 'config', fields: ['key'] }],
      // Per-install bookkeeping that Sentry never exports (spec §3).
      exportExclude: { key: INSTALL_OPTION_KEYS },
    },
    'sentry.organization': {
      scope: 'Organization',
      normalize: (row) => {
        if (typeof row.fields.slug === 'string') row.fields.slug = slugify(row.fields.slug)
      },
      collisions: [{ kind: 'suffix', field: 'slug', maxLength: ORGANIZATION_SLUG_MAX_LENGTH }],
      comparators: [autoSuffix('slug')],
    },
    'sentry.projecttemplate': { scope: 'Organization', comparators: [dateUpdated('date_updated')] },
    'sentry.relay': {
      scope: 'Config',
      customOrdinal: ['relay_id'],
      collisions: [{ kind: 'config', fields: ['relay_id'] }],
      comparators: [hashObfuscating('relay_id', 'public_key')],
    },
    'sentry.relayusage': {
      scope: 'Config',
      customOrdinal: ['relay_id', 'version'],
      collisions: [{ kind: 'config', fields: ['relay_id', 'version'] }],
      comparators: [hashObfuscating('relay_id', 'public_key')],
    },
    'sentry.team': {
      scope: 'Organization',
      // Replaced by owner_user_id / owner_team on the models that pointed at sentry.actor.
      deletedFields: ['actor'],
      comparators: [ignored('org_role')],
    },
    'sentry.user': {
      scope: 'User',
      customOrdinal: ['username'],
      emailFields: ['email'],
      normalize: sanitizeUser,
      collisions: [
        {
          kind: 'suffix',
          field: 'username',
          maxLength: USERNAME_MAX_LENGTH,
          ignoreCase: true,
          suffixAllDigits: true,
          reuseWhen: 'mergeUsers',
        },
      ],
      comparators: [
        autoSuffix('username'),
        dateUpdated('last_active'),
        // The import rotates unclaimed users' passwords; the password comparator judges these.
        ignored('last_password_change', 'is_unclaimed', 'is_password_expired'),
        userPasswordObfuscating(),
      ],
    },
    'sentry.userip': {
      scope: 'Global',
      customOrdinal: ['user', 'ip_address'],
      skipIfTargetReused: ['user'],
      comparators: [dateUpdated('first_seen', 'last_seen'), ignored('country_code', 'region_code')],
    },
    'sentry.userpermission': {
      scope: 'Config',
      customOrdinal: ['user', 'permission'],
      skipIfTargetReused: ['user'],
      collisions: [{ kind: 'config', fields: ['permission', 'user'] }],
    },
    'sentry.userrole': {
      scope: 'Config',
      customOrdinal: ['name'],
      collisions: [{ kind: 'config', fields: ['name'] }],
      comparators: [dateUpdated('date_updated')],
    },
    'sentry.userroleuser': { scope: 'Config', comparators: [dateUpdated('date_updated')] },
    'sentry.project': { scope: 'Organization' },
    'sentry.organizationmember': {
      scope: 'Organization',
      plainForeignKeys: {
        user_id: { model: 'sentry.user', kind: 'HybridCloudForeignKey' },
        inviter_id: { model: 'sentry.user', kind: 'HybridCloudForeignKey' },
      },
      // An inviter who was not imported does not cost the member its membership (spec §2.9).
      nullIfTargetMissing: ['inviter_id'],
      collisions: [{ kind: 'clear', fields: ['token'], alsoClear: ['token_expires_at'] }],
      emailFields: ['email'],
      comparators: [hashObfuscating('token')],
    },
    'sentry.environment': {
      scope: 'Organization',
      plainForeignKeys: {
        organization_id: { model: 'sentry.organization', kind: 'ImplicitForeignKey' },
      },
      // Our own migration environment_display_name renamed it (Sentry's exports say `name`).
      renamedFields: { name: 'display_name' },
    },
    'sentry.email': {
      scope: 'User',
      customOrdinal: ['email'],
      // Emails are imported after the users that own them, although no foreign key says so.
      dependsOn: ['sentry.user'],
      // Get-or-create on the address (spec §2.9).
      collisions: [{ kind: 'reuse', fields: ['email'] }],
      emailFields: ['email'],
      comparators: [dateUpdated('date_added')],
    },
    'sentry.authenticator': { scope: 'Global' },
    'sentry.apiapplication': {
      scope: 'Global',
      comparators: [hashObfuscating('client_id', 'client_secret')],
    },
    'sentry.useroption': {
      scope: 'User',
      // Sentry orders user options by (user, key) only when organization_id and project_id are
      // both null (per-user global options), and by pk otherwise.
      customOrdinal: ['user', 'key'],
      customOrdinalWhen: (fields) => fields.organization_id == null && fields.project_id == null,
      // Sentry lets a later global option with the same user and key replace the earlier one.
      duplicateOrdinal: 'lastWins',
      skipIfTargetReused: ['user'],
      plainForeignKeys: {
        project_id: { model: 'sentry.project', kind: 'HybridCloudForeignKey' },
        organization_id: { model: 'sentry.organization', kind: 'HybridCloudForeignKey' },
      },
    },
    'sentry.useremail': {
      scope: 'User',
      customOrdinal: ['user', 'email'],
      dependsOn: ['sentry.email'],
      emailFields: ['email'],
      skipIfTargetReused: ['user'],
      comparators: [dateUpdated('date_hash_added'), ignored('validation_hash', 'is_verified')],
      normalize: (row, context) => {
        if (context.scope === 'Global') return
        row.fields.is_verified = false
        row.fields.validation_hash = context.randomHex(16)
        row.fields.date_hash_added = context.now.toISOString()
      },
    },
    'sentry.rule': {
      scope: 'Organization',
      plainForeignKeys: {
        environment_id: { model: 'sentry.environment', kind: 'ImplicitForeignKey' },
        owner_user_id: { model: 'sentry.user', kind: 'HybridCloudForeignKey' },
      },
      // Replaced by owner_user_id / owner_team.
      deletedFields: ['owner'],
    },
    'sentry.projectteam': { scope: 'Organization' },
    'sentry.projectoption': { scope: 'Organization' },
    'sentry.projectkey': {
      scope: 'Organization',
      collisions: [
        { kind: 'regenerate', field: 'public_key', generate: () => randomBytes(16).toString('hex') },
        { kind: 'regenerate', field: 'secret_key', generate: () => randomBytes(16).toString('hex') },
      ],
      comparators: [
        hashObfuscating('public_key', 'secret_key'),
        secretHex(16, 'public_key', 'secret_key'),
      ],
    },
    'sentry.organizationmemberteam': { scope: 'Organization' },
  },
  // Old exports carry sentry.actor rows; Sentry removed the model and drops them on import.
  deletedModels: ['sentry.actor'],
  // Transforms get the reference application's Prisma client as `prisma`.
  transformClient: (databaseUrl) => {
    const client = createPrismaClient(databaseUrl)
    return { client, close: () => client.$disconnect() }
  },
  filters: {
    users: { model: 'sentry.user', usernameField: 'username' },
    organizations: {
      model: 'sentry.organization',
      slugField: 'slug',
      members: { model: 'sentry.organizationmember', organizationField: 'organization', userField: 'user_id' },
    },
    // E-mail rows have no foreign key to their user; they follow the users by address.
    followUsers: [{ model: 'sentry.email', field: 'email', userField: 'email' }],
    privilegedUsers: {
      flagFields: ['is_staff', 'is_superuser'],
      via: [
        { model: 'sentry.userpermission', userField: 'user' },
        { model: 'sentry.userroleuser', userField: 'user' },
      ],
    },
  },
})

/**
 * Users imported outside a Global restore are untrusted (spec §2.1): they lose staff, superuser
 * and managed status (kept in a Config import), are marked unclaimed and get a random password.
 * A Global restore keeps users as they were, except that an already unclaimed user's password is
 * rotated.
 */
function sanitizeUser(row: ImportRow, context: ImportRowContext): void {
  const fields = row.fields
  if (context.scope === 'Global') {
    if (fields.is_unclaimed === true) fields.password = unusablePassword(context)
    return
  }
  if (context.scope !== 'Config') {
    fields.is_staff = false
    fields.is_superuser = false
    fields.is_managed = false
  }
  fields.is_unclaimed = true
  fields.password = unusablePassword(context)
}

/** Django's form of a password nobody knows: "!" and 40 random characters. */
function unusablePassword(context: ImportRowContext): string {
  return `!${context.randomHex(20)}`
}

/** Sentry's slug rule for imported organizations: slugify, "_" → "-", no leading/trailing "-". */
function slugify(value: string): string {
  return value
    .normalize('NFKD')
    .replace(/[^\x00-\x7f]/g, '')
    .toLowerCase()
    .replace(/[^\w\s-]/g, '')
    .replace(/[-\s]+/g, '-')
    .replace(/_/g, '-')
    .replace(/^-+|-+$/g, '')
}
