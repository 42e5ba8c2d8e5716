/**
 * The reference application's relocation rules: everything about moving Sentry's rows between
 * installations that prisma/schema.prisma cannot say. This is the one place they live; the harness
 * reads tables, columns, types, relations and unique sets from the schema and the rest from here.
 *
 * Sources: Sentry's model_dependencies/detailed.json (scopes, relocation_dependencies, hybrid-cloud
 * and implicit foreign keys) and the backup spec (custom ordinals §4.1, e-mail fields §5.3, import
 * shims §2.5). tests/reference-schema.test.ts checks this file against detailed.json.
 */
import { defineRelocation } from '../harness/application/relocation-metadata.ts'

export const relocation = defineRelocation({
  models: {
    'sentry.integration': { scope: 'Global' },
    'sentry.option': { scope: 'Config', customOrdinal: ['key'] },
    'sentry.organization': { scope: 'Organization' },
    'sentry.projecttemplate': { scope: 'Organization' },
    'sentry.relay': { scope: 'Config', customOrdinal: ['relay_id'] },
    'sentry.relayusage': { scope: 'Config', customOrdinal: ['relay_id', 'version'] },
    'sentry.team': {
      scope: 'Organization',
      // Replaced by owner_user_id / owner_team on the models that pointed at sentry.actor.
      deletedFields: ['actor'],
    },
    'sentry.user': { scope: 'User', customOrdinal: ['username'], emailFields: ['email'] },
    'sentry.userip': { scope: 'Global', customOrdinal: ['user', 'ip_address'] },
    'sentry.userpermission': { scope: 'Config', customOrdinal: ['user', 'permission'] },
    'sentry.userrole': { scope: 'Config', customOrdinal: ['name'] },
    'sentry.userroleuser': { scope: 'Config' },
    'sentry.project': { scope: 'Organization' },
    'sentry.organizationmember': {
      scope: 'Organization',
      plainForeignKeys: {
        user_id: { model: 'sentry.user', kind: 'HybridCloudForeignKey' },
        inviter_id: { model: 'sentry.user', kind: 'HybridCloudForeignKey' },
      },
      emailFields: ['email'],
    },
    'sentry.environment': {
      scope: 'Organization',
      plainForeignKeys: {
        organization_id: { model: 'sentry.organization', kind: 'ImplicitForeignKey' },
      },
    },
    'sentry.email': {
      scope: 'User',
      customOrdinal: ['email'],
      // Emails are imported after the users that own them, although no foreign key says so.
      dependsOn: ['sentry.user'],
      emailFields: ['email'],
    },
    'sentry.authenticator': { scope: 'Global' },
    'sentry.apiapplication': { scope: 'Global' },
    'sentry.useroption': {
      scope: 'User',
      // Sentry orders user options by (user, key) only when organization_id and project_id are
      // both null (per-user global options) and by pk otherwise; the harness's ordinal logic has
      // to apply that condition, this list cannot express it.
      customOrdinal: ['user', 'key'],
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
    'sentry.projectkey': { scope: 'Organization' },
    'sentry.organizationmemberteam': { scope: 'Organization' },
  },
  // Old exports carry sentry.actor rows; Sentry removed the model and drops them on import.
  deletedModels: ['sentry.actor'],
})
