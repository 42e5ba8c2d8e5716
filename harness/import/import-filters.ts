import type { ModelRegistry } from '../application/model-registry.ts'
import { HarnessError } from '../errors.ts'
import type { RawBackupEntry } from '../backup/read-backup.ts'

/** Username and organization-slug filters as given by the user; undefined means "no filter". */
export interface FilterRequest {
  readonly usernames?: readonly string[] | undefined
  readonly organizationSlugs?: readonly string[] | undefined
}

/** Allowlists per model: a row passes when its field's value is in the set (spec §2.4). */
export type Allowlists = ReadonlyMap<string, { readonly field: string; readonly values: ReadonlySet<unknown> }>

export function hasFilters(request: FilterRequest): boolean {
  return request.usernames !== undefined || request.organizationSlugs !== undefined
}

/**
 * Turns the requested filters into allowlists, by reading the backup once beforehand: an
 * organization filter keeps the users who are members of the kept organizations, and models that
 * follow the users (e-mail addresses) keep only the kept users' values, wherever in the file
 * those rows come. An empty filter keeps nothing.
 */
export async function buildAllowlists(
  registry: ModelRegistry,
  request: FilterRequest,
  entries: AsyncIterable<RawBackupEntry>,
): Promise<Allowlists> {
  const declared = registry.filters
  if (!declared) {
    throw new HarnessError({
      code: 'USAGE',
      stage: 'import',
      message: 'filters unavailable: the application declares no filter semantics',
      hint: 'Declare `filters` in the relocation metadata, or import without --filter-usernames/--filter-org-slugs',
    })
  }
  if (request.organizationSlugs !== undefined && !declared.organizations) {
    throw new HarnessError({
      code: 'USAGE',
      stage: 'import',
      message: 'organization filter unavailable: the application declares no organizations',
      hint: 'Import without --filter-org-slugs',
    })
  }
  const users = declared.users
  const orgs = declared.organizations
  const follow = declared.followUsers ?? []
  const userRows: { pk: number; fields: Record<string, unknown> }[] = []
  const orgPkBySlug = new Map<unknown, number>()
  const members: { org: unknown; user: unknown }[] = []
  for await (const raw of entries) {
    const entry = raw.value as { model?: unknown; pk?: unknown; fields?: Record<string, unknown> }
    if (typeof entry.fields !== 'object' || entry.fields === null) continue
    if (entry.model === users.model && typeof entry.pk === 'number') userRows.push({ pk: entry.pk, fields: entry.fields })
    if (orgs && entry.model === orgs.model && typeof entry.pk === 'number') orgPkBySlug.set(entry.fields[orgs.slugField], entry.pk)
    if (orgs && entry.model === orgs.members.model) {
      members.push({ org: entry.fields[orgs.members.organizationField], user: entry.fields[orgs.members.userField] })
    }
  }

  const lists = new Map<string, { field: string; values: Set<unknown> }>()
  let keptUsers = userRows
  if (request.usernames !== undefined) {
    const wanted = new Set<unknown>(request.usernames)
    lists.set(users.model, { field: users.usernameField, values: wanted })
    keptUsers = keptUsers.filter((row) => wanted.has(row.fields[users.usernameField]))
  }
  if (request.organizationSlugs !== undefined && orgs) {
    const slugs = new Set<unknown>(request.organizationSlugs)
    lists.set(orgs.model, { field: orgs.slugField, values: slugs })
    const orgPks = new Set([...orgPkBySlug].filter(([slug]) => slugs.has(slug)).map(([, pk]) => pk))
    const memberUsers = new Set(members.filter((m) => orgPks.has(m.org as number) && m.user !== null).map((m) => m.user))
    keptUsers = keptUsers.filter((row) => memberUsers.has(row.pk))
    // Members' users, narrowed further by a username filter if both were given.
    lists.set(users.model, { field: 'pk', values: new Set(keptUsers.map((row) => row.pk)) })
  }
  for (const rule of follow) {
    const values = new Set(keptUsers.map((row) => row.fields[rule.userField]).filter((value) => value !== null && value !== undefined))
    lists.set(rule.model, { field: rule.field, values })
  }
  return lists
}
