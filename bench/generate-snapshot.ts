// `npm run gen -- --rows N [--seed S] [--out file]`: a valid, deterministic snapshot of the
// reference application with N rows in realistic proportions. Streamed: every model's rows are
// computed from their index alone (foreign keys by arithmetic), so a million rows need no more
// memory than a thousand.
import { createWriteStream } from 'node:fs'
import { finished } from 'node:stream/promises'
import { parseArgs } from 'node:util'
import { createBackupWriter } from '../harness/backup/write-backup.ts'

/** Rows per organization "block", by model: the shape of a typical small organization. */
const BLOCK = {
  'sentry.organization': 1,
  'sentry.team': 4,
  'sentry.user': 20,
  'sentry.project': 6,
  'sentry.organizationmember': 20,
  'sentry.email': 20,
  'sentry.useroption': 10,
  'sentry.useremail': 20,
  'sentry.rule': 6,
  'sentry.projectteam': 6,
  'sentry.projectoption': 12,
  'sentry.projectkey': 6,
  'sentry.organizationmemberteam': 20,
} as const
const BLOCK_ROWS = Object.values(BLOCK).reduce((a, b) => a + b, 0)
/** Install-wide options that exist whatever the size. */
const BASE_OPTIONS = 10

/** Models in the reference application's dependency order (sorted.json's subsequence). */
const ORDER = [
  'sentry.option',
  'sentry.organization',
  'sentry.team',
  'sentry.user',
  'sentry.project',
  'sentry.organizationmember',
  'sentry.email',
  'sentry.useroption',
  'sentry.useremail',
  'sentry.rule',
  'sentry.projectteam',
  'sentry.projectoption',
  'sentry.projectkey',
  'sentry.organizationmemberteam',
] as const

type Model = (typeof ORDER)[number]

export interface GenerateOptions {
  readonly rows: number
  readonly seed?: number
}

/** How many rows of each model a snapshot of `rows` rows has; the total is exactly `rows`. */
export function plan(rows: number): Record<Model, number> {
  const blocks = Math.floor(Math.max(0, rows - BASE_OPTIONS) / BLOCK_ROWS)
  const counts = { 'sentry.option': 0 } as Record<Model, number>
  for (const [model, perBlock] of Object.entries(BLOCK)) counts[model as Model] = perBlock * blocks
  counts['sentry.option'] = rows - blocks * BLOCK_ROWS
  return counts
}

/** A small, fast, seedable PRNG (mulberry32), so the same seed gives the same bytes. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const WORDS = ['alpha', 'Zoë', 'señal', 'Ωmega', '名前', 'déjà', 'vu', 'crème', 'brûlée', 'Straße', 'naïve', '🚀rocket', 'kō', 'data']

export async function* generateEntries(options: GenerateOptions): AsyncGenerator<{ model: string; pk: number; fields: Record<string, unknown> }> {
  const counts = plan(options.rows)
  const rnd = seededRandom(options.seed ?? 1)
  const pick = <T>(items: readonly T[]) => items[Math.floor(rnd() * items.length)]!
  const words = (n: number) => Array.from({ length: n }, () => pick(WORDS)).join(' ')
  const base = Date.UTC(2023, 0, 1)
  const date = (i: number) => new Date(base + i * 61_000 + Math.floor(rnd() * 1000)).toISOString()
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(rnd() * 16).toString(16)).join('')
  const per = (model: Model) => BLOCK[model as keyof typeof BLOCK]

  for (const model of ORDER) {
    for (let i = 0; i < counts[model]; i += 1) {
      const pk = i + 1
      const block = Math.floor(i / (per(model) ?? 1))
      const org = block + 1
      const userOf = (k: number) => block * BLOCK['sentry.user'] + (k % BLOCK['sentry.user']) + 1
      let fields: Record<string, unknown>
      switch (model) {
        case 'sentry.option':
          fields = { key: `bench:option-${pk}`, last_updated: date(i), last_updated_by: 'unknown', value: i % 3 === 0 ? rnd() * 1e6 : JSON.stringify(words(3)) }
          break
        case 'sentry.organization':
          fields = { name: `Org ${words(2)}`.slice(0, 64), slug: `org-${pk}`, status: 0, date_added: date(i), default_role: 'member', is_test: false, flags: '1' }
          break
        case 'sentry.team':
          fields = { organization: org, slug: `team-${pk}`, name: `Team ${words(2)}`.slice(0, 64), status: 0, idp_provisioned: false, date_added: date(i), org_role: null }
          break
        case 'sentry.user':
          fields = {
            password: `pbkdf2_sha256$600000$${hex(12)}$${hex(44)}`,
            last_login: null,
            username: `user-${pk}@example.com`,
            name: words(2).slice(0, 200),
            email: `user-${pk}@example.com`,
            is_staff: pk % 50 === 0,
            is_active: true,
            is_unclaimed: false,
            is_superuser: pk % 100 === 0,
            is_managed: false,
            is_sentry_app: null,
            is_password_expired: false,
            last_password_change: date(i),
            flags: '0',
            session_nonce: null,
            date_joined: date(i),
            last_active: date(i + 1),
            avatar_type: 0,
            avatar_url: null,
          }
          break
        case 'sentry.project':
          fields = { slug: `project-${pk}`, name: `Project ${words(3)}`.slice(0, 200), forced_color: null, organization: org, public: false, date_added: date(i), status: 0, first_event: null, flags: '10', platform: pick(['python', 'javascript', 'go', null]), template: null }
          break
        case 'sentry.organizationmember': {
          const user = userOf(i)
          fields = { organization: org, user_id: user, email: null, role: i % 20 === 0 ? 'owner' : 'member', flags: '0', token: null, date_added: date(i), token_expires_at: null, has_global_access: true, inviter_id: i % 20 === 0 ? null : userOf(block * 20), invite_status: 0, type: 50, user_is_active: true, user_email: `user-${user}@example.com` }
          break
        }
        case 'sentry.email':
          fields = { email: `user-${pk}@example.com`, date_added: date(i) }
          break
        case 'sentry.useroption':
          fields = { user: userOf(i * 2), project_id: null, organization_id: null, key: `bench:${i % 7}-${i}`, value: JSON.stringify(words(2)) }
          break
        case 'sentry.useremail':
          fields = { user: pk, email: `user-${pk}@example.com`, validation_hash: hex(32), date_hash_added: date(i), is_verified: pk % 3 !== 0 }
          break
        case 'sentry.rule':
          fields = { project: pk, environment_id: null, label: `Send a notification for ${words(4)}`.slice(0, 256), data: JSON.stringify({ match: 'all', actions: [{ id: 'mail', note: words(12) }] }), status: 0, source: 0, date_added: date(i), owner_user_id: null, owner_team: null }
          break
        case 'sentry.projectteam':
          fields = { project: pk, team: block * BLOCK['sentry.team'] + (i % BLOCK['sentry.team']) + 1 }
          break
        case 'sentry.projectoption':
          fields = { project: Math.floor(i / 2) + 1, key: `sentry:option-${i % 2}`, value: i % 2 === 0 ? i : words(5) }
          break
        case 'sentry.projectkey':
          fields = { project: pk, label: 'Default', public_key: hex(32), secret_key: hex(32), roles: '1', status: 0, date_added: date(i), rate_limit_count: null, rate_limit_window: null, data: { dynamicSdkLoaderOptions: { hasReplay: true, hasPerformance: rnd() < 0.5 } } }
          break
        case 'sentry.organizationmemberteam':
          fields = { team: block * BLOCK['sentry.team'] + (i % BLOCK['sentry.team']) + 1, organizationmember: pk, is_active: true, role: null }
          break
      }
      yield { model, pk, fields }
    }
  }
}

/** Writes a generated snapshot to `file` in the export layout; returns rows and bytes. */
export async function generateSnapshot(file: string, options: GenerateOptions): Promise<{ rows: number; bytes: number }> {
  const stream = createWriteStream(file)
  const writer = createBackupWriter(stream, { indent: 2 })
  let rows = 0
  for await (const entry of generateEntries(options)) {
    await writer.write(entry)
    rows += 1
  }
  const bytes = await writer.end()
  stream.end()
  await finished(stream)
  return { rows, bytes }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: { rows: { type: 'string', default: '10000' }, seed: { type: 'string', default: '1' }, out: { type: 'string' } },
  })
  const rows = Number(values.rows)
  if (!Number.isInteger(rows) || rows < 0) {
    process.stderr.write(`--rows must be a whole number, not "${values.rows}"\n`)
    process.exit(2)
  }
  const out = values.out ?? `snapshots/generated-${rows}.json`
  const started = performance.now()
  const result = await generateSnapshot(out, { rows, seed: Number(values.seed) })
  process.stderr.write(`wrote ${out}: ${result.rows} rows, ${(result.bytes / 1e6).toFixed(1)} MB in ${((performance.now() - started) / 1000).toFixed(1)} s\n`)
}
