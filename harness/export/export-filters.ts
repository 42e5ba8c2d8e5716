import type pg from 'pg'
import type { ModelRegistry, RegistryModel } from '../application/model-registry.ts'
import { quoteIdentifier } from '../database/database-names.ts'
import { HarnessError } from '../errors.ts'
import type { FilterRequest } from '../import/import-filters.ts'
import type { BackupScope } from '../import/import-types.ts'

/** A model's export allowlist: rows whose `field` (or pk) is among `values`. */
export interface ExportAllowlist {
  readonly field: string
  readonly values: ReadonlySet<string | number>
}

/**
 * The allowlists of an export (spec §3 step 2), computed from the database up front: an
 * organization filter keeps its members' users, a Config export keeps privileged users, and in
 * every scope but Global the models that follow users keep only the exported users' values.
 */
export async function exportAllowlists(
  client: pg.ClientBase,
  registry: ModelRegistry,
  scope: BackupScope,
  request: FilterRequest,
): Promise<Map<string, ExportAllowlist>> {
  const lists = new Map<string, ExportAllowlist>()
  const declared = registry.filters
  const wantsFilter = request.usernames !== undefined || request.organizationSlugs !== undefined
  if (!declared) {
    if (wantsFilter) {
      throw new HarnessError({
        code: 'USAGE',
        stage: 'export',
        message: 'filters unavailable: the application declares no filter semantics',
        hint: 'Declare `filters` in the relocation metadata, or export without filters',
      })
    }
    return lists
  }
  const users = registry.get(declared.users.model)!
  // Pks of the users that will be exported; undefined means all of them.
  let userPks: Set<number> | undefined
  const narrow = (pks: Iterable<number>) => {
    const next = new Set(pks)
    userPks = userPks ? new Set([...userPks].filter((pk) => next.has(pk))) : next
  }
  if (request.usernames !== undefined) {
    narrow(await pksWhere(client, users, `${col(users, declared.users.usernameField)} = ANY($1::text[])`, [request.usernames]))
  }
  if (request.organizationSlugs !== undefined) {
    const orgs = declared.organizations
    if (!orgs) {
      throw new HarnessError({ code: 'USAGE', stage: 'export', message: 'organization filter unavailable: the application declares no organizations' })
    }
    const orgModel = registry.get(orgs.model)!
    const orgPks = await pksWhere(client, orgModel, `${col(orgModel, orgs.slugField)} = ANY($1::text[])`, [request.organizationSlugs])
    lists.set(orgModel.name, { field: 'pk', values: new Set(orgPks) })
    const memberModel = registry.get(orgs.members.model)!
    const userColumn = col(memberModel, orgs.members.userField)
    const result = await client.query<{ user: string }>(
      `SELECT DISTINCT ${userColumn} AS user FROM ${quoteIdentifier(memberModel.table)}
        WHERE ${col(memberModel, orgs.members.organizationField)} = ANY($1::bigint[]) AND ${userColumn} IS NOT NULL`,
      [orgPks],
    )
    narrow(result.rows.map((row) => Number(row.user)))
  }
  if (scope === 'Config' && declared.privilegedUsers) {
    const { flagFields, via } = declared.privilegedUsers
    const conditions = [
      ...flagFields.map((flag) => `${col(users, flag)} IS TRUE`),
      ...via.map((v) => {
        const model = registry.get(v.model)!
        return `${quoteIdentifier(users.pkColumn)} IN (SELECT ${col(model, v.userField)} FROM ${quoteIdentifier(model.table)})`
      }),
    ]
    narrow(await pksWhere(client, users, conditions.length > 0 ? conditions.join(' OR ') : 'false', []))
  }
  if (userPks) lists.set(users.name, { field: 'pk', values: userPks })
  if (scope !== 'Global') {
    for (const follow of declared.followUsers ?? []) {
      const result = await client.query<{ value: string }>(
        `SELECT DISTINCT ${col(users, follow.userField)}::text AS value FROM ${quoteIdentifier(users.table)}
          WHERE ${col(users, follow.userField)} IS NOT NULL AND ($1::bigint[] IS NULL OR ${quoteIdentifier(users.pkColumn)} = ANY($1::bigint[]))`,
        [userPks ? [...userPks] : null],
      )
      lists.set(follow.model, { field: follow.field, values: new Set(result.rows.map((row) => row.value)) })
    }
  }
  return lists
}

function col(model: RegistryModel, field: string): string {
  return quoteIdentifier(model.fieldsByName.get(field)!.column)
}

async function pksWhere(client: pg.ClientBase, model: RegistryModel, condition: string, params: unknown[]): Promise<number[]> {
  const result = await client.query<{ pk: string }>(
    `SELECT ${quoteIdentifier(model.pkColumn)} AS pk FROM ${quoteIdentifier(model.table)} WHERE ${condition}`,
    params,
  )
  return result.rows.map((row) => Number(row.pk))
}
