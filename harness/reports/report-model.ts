import type { Comparator } from '../../comparators/comparator.ts'
import type { ComparatorMap } from '../../comparators/default-comparators.ts'
import { jsonEqual } from '../../comparators/json-values.ts'
import type { BackupEntry } from '../backup/backup-entry.ts'
import { readBackupEntries } from '../backup/read-backup.ts'
import { isCycleDrift, type CheckResult, type SnapshotCheck } from '../check/check.ts'
import type { ComparatorFinding, FieldChange } from '../findings/comparator-findings.ts'
import type { BackupSource, ValidateCounts, ValidateResult } from '../validate/validate.ts'

/**
 * What every report format renders: the verdict per snapshot, the counts of what was compared,
 * and each finding with its instance pair. Built once from a check or a compare, so the formats
 * agree, and built secret-safe: values of fields an obfuscating comparator covers are already
 * shortened here, so no format can print a secret whole.
 */
export interface Report {
  readonly command: 'check' | 'compare'
  readonly passed: boolean
  /** ISO 8601, when the report was built. */
  readonly generatedAt: string
  /** Which server the check used, and why (check only). */
  readonly server?: string
  readonly snapshots: readonly SnapshotReport[]
}

/** One snapshot's round trip (check), or the one pair of files (compare). */
export interface SnapshotReport {
  /** The snapshot file; for compare, `<left> → <right>`. */
  readonly name: string
  /** What the left side is: the snapshot with its expectations applied, or the left file. */
  readonly left: string
  /** What the right side is: the export, or the right file. */
  readonly right: string
  readonly passed: boolean
  readonly expectationsFile?: string
  /** Differences nothing accounts for. */
  readonly findings: readonly ReportedFinding[]
  /** Expectations that did not come true. */
  readonly stale: readonly ReportedFinding[]
  /** Findings the expectations accepted (no rows: they are not problems). */
  readonly accepted: readonly ReportedFinding[]
  readonly counts: ValidateCounts
  readonly rows: { readonly left: number; readonly right: number }
  readonly durationMs?: number
}

export interface ReportedFinding {
  /** As validate() reported it; its reason and changes had secrets shortened there or here. */
  readonly finding: ComparatorFinding
  /** The instance pair, when the finding names a row of either side that is known. */
  readonly pair?: RowPair
}

/** The left and the right row of a finding, field by field, secrets shortened. */
export interface RowPair {
  readonly model: string
  readonly leftPk: number | null
  readonly rightPk: number | null
  /** False when the side has no row with that pk (a row expected to appear, say). */
  readonly leftFound: boolean
  readonly rightFound: boolean
  /** The union of both rows' fields, in the left row's order, then the right's new ones. */
  readonly fields: readonly FieldView[]
}

export interface FieldView {
  readonly name: string
  /** The value as indented JSON (a secret: its shortened form); undefined when absent. */
  readonly left?: string
  readonly right?: string
  /** The two values differ (compared before shortening). */
  readonly changed: boolean
  /** The finding is about this field. */
  readonly named: boolean
  /**
   * The comparator that took this field out of the final diff: the first of the model's
   * comparators that covers it (the ones after it find the field gone). Absent: diffed.
   */
  readonly scrubbedBy?: string
  /** The values shown are the shortened forms of an obfuscating comparator. */
  readonly shortened: boolean
}

/** Reports of `roundtrip check`: rows come from the check's expected and exported entries. */
export function checkReport(result: CheckResult, options: { generatedAt?: Date } = {}): Report {
  return {
    command: 'check',
    passed: result.passed,
    generatedAt: (options.generatedAt ?? new Date()).toISOString(),
    server: result.server,
    snapshots: result.checks.map((check) => snapshotReport(check, result.comparators)),
  }
}

function snapshotReport(check: SnapshotCheck, comparators: ComparatorMap): SnapshotReport {
  const left = indexRows(check.expected)
  const right = indexRows(check.exported)
  const builder = new PairBuilder(comparators, check.counts, left, right)
  return {
    name: check.snapshot,
    left: 'expected (the snapshot with its expectations applied)',
    right: 'exported (after import, transforms and export)',
    passed: check.passed,
    ...(check.expectationsFile ? { expectationsFile: check.expectationsFile } : {}),
    // A later cycle's export is not kept: its pks would pick the wrong rows, so none are shown.
    findings: check.findings.map((f) => (isCycleDrift(f) ? { finding: f } : builder.reported(f))),
    // A stale expectation names its row by the left pk only; a Global import keeps pks.
    stale: check.stale.map((f) => builder.reported(f, { samePk: true })),
    accepted: check.accepted.map((finding) => ({ finding })),
    counts: check.counts,
    rows: { left: check.rows.snapshot, right: check.rows.exported },
    durationMs: check.durationMs,
  }
}

export interface CompareReportOptions {
  /** The left file, as the report names it. */
  readonly left: string
  readonly right: string
  /**
   * Where the rows are read from, when not from the files named `left` and `right` (the entries
   * of a decrypted backup, say). Default: those files.
   */
  readonly sources?: { readonly left: BackupSource; readonly right: BackupSource }
  readonly result: ValidateResult
  /** The comparators validate() ran. */
  readonly comparators: ComparatorMap
  readonly generatedAt?: Date
}

/**
 * Reports of `roundtrip compare`: the files are read again, streaming, and only the rows that
 * findings name are kept, so a report costs no more memory than the comparison did.
 */
export async function compareReport(options: CompareReportOptions): Promise<Report> {
  const { result, comparators } = options
  const leftKeys = new Set(
    result.findings.flatMap((f) => (f.left_pk === null ? [] : [rowKey(f.on.model, f.left_pk)])),
  )
  const rightKeys = new Set(
    result.findings.flatMap((f) => (f.right_pk === null ? [] : [rowKey(f.on.model, f.right_pk)])),
  )
  const [left, right] = await Promise.all([
    readRows(options.sources?.left ?? options.left, leftKeys),
    readRows(options.sources?.right ?? options.right, rightKeys),
  ])
  const builder = new PairBuilder(comparators, result.counts, left, right)
  const passed = result.findings.length === 0
  const instances = (side: 'leftInstances' | 'rightInstances') =>
    result.counts.models.reduce((sum, model) => sum + model[side], 0)
  return {
    command: 'compare',
    passed,
    generatedAt: (options.generatedAt ?? new Date()).toISOString(),
    snapshots: [
      {
        name: `${options.left} → ${options.right}`,
        left: options.left,
        right: options.right,
        passed,
        findings: result.findings.map((f) => builder.reported(f)),
        stale: [],
        accepted: [],
        counts: result.counts,
        rows: { left: instances('leftInstances'), right: instances('rightInstances') },
      },
    ],
  }
}

/** The JSON of a value as reports show it: indented, `undefined` shown as absent. */
export function displayJson(value: unknown): string {
  return JSON.stringify(value, null, 2) ?? 'undefined'
}

type RowIndex = ReadonlyMap<string, BackupEntry>

function rowKey(model: string, pk: number): string {
  return `${model}\u0000${pk}`
}

function indexRows(entries: readonly BackupEntry[]): RowIndex {
  return new Map(entries.map((entry) => [rowKey(entry.model, entry.pk), entry]))
}

async function readRows(source: BackupSource, keys: ReadonlySet<string>): Promise<RowIndex> {
  const rows = new Map<string, BackupEntry>()
  if (keys.size === 0) return rows
  const entries =
    typeof source === 'string'
      ? (async function* () {
          for await (const { value } of readBackupEntries(source)) yield value
        })()
      : source
  for await (const value of entries) {
    const entry = value as BackupEntry
    const key = rowKey(entry.model, entry.pk)
    if (keys.has(key)) rows.set(key, entry)
  }
  return rows
}

/**
 * Values shorter than this are not replaced inside other texts, as in validate()'s redaction: a
 * short value would match by accident and garble the text.
 */
const MIN_SECRET_LENGTH = 4

/** Builds the secret-safe instance pairs of findings. */
class PairBuilder {
  constructor(
    private readonly comparators: ComparatorMap,
    private readonly counts: ValidateCounts,
    private readonly left: RowIndex,
    private readonly right: RowIndex,
  ) {}

  reported(finding: ComparatorFinding, options: { samePk?: boolean } = {}): ReportedFinding {
    const model = finding.on.model
    const leftPk = finding.left_pk
    const rightPk = finding.right_pk ?? (options.samePk ? finding.left_pk : null)
    const leftRow = leftPk === null ? undefined : this.left.get(rowKey(model, leftPk))
    const rightRow = rightPk === null ? undefined : this.right.get(rowKey(model, rightPk))
    if (!leftRow && !rightRow) return { finding }
    const list = this.comparators.get(model) ?? []
    const secrets = new Secrets(list, leftRow, rightRow)
    // validate() scrubs only when it got as far as pairing instances (no structural findings).
    const scrubbed = (this.counts.models.find((m) => m.model === model)?.comparedInstances ?? 0) > 0
    const leftFields = leftRow?.fields ?? {}
    const rightFields = rightRow?.fields ?? {}
    const names = [...new Set([...Object.keys(leftFields), ...Object.keys(rightFields)])]
    const named = namedFields(finding, list, leftFields, rightFields)
    const fields = names.map((name): FieldView => {
      const shorten = list.find((c) => c.shorten && c.fields.includes(name))?.shorten
      const show = (fields: Record<string, unknown>) =>
        name in fields ? secrets.redact(displayJson(shortened(fields[name], shorten))) : undefined
      return {
        name,
        ...optional('left', show(leftFields)),
        ...optional('right', show(rightFields)),
        changed: !jsonEqual(leftFields[name], rightFields[name]),
        named: named.has(name),
        ...optional(
          'scrubbedBy',
          scrubbed && (name in leftFields || name in rightFields)
            ? list.find((c) => c.fields.includes(name))?.name
            : undefined,
        ),
        shortened: shorten !== undefined,
      }
    })
    return {
      finding: secrets.redactFinding(finding),
      pair: {
        model,
        leftPk,
        rightPk,
        leftFound: leftRow !== undefined,
        rightFound: rightRow !== undefined,
        fields,
      },
    }
  }
}

/**
 * The secret values of an instance pair (the fields obfuscating comparators cover) and their
 * shortened forms, to replace wherever else in the pair's texts they occur: inside another
 * field's JSON, or in a reason that validate() did not redact because its comparator does not
 * cover the field.
 */
class Secrets {
  private readonly ordered: [string, string][]

  constructor(list: readonly Comparator[], ...rows: (BackupEntry | undefined)[]) {
    const secrets = new Map<string, string>()
    for (const comparator of list) {
      if (!comparator.shorten) continue
      for (const field of comparator.fields) {
        for (const row of rows) {
          const value = row?.fields[field]
          for (const item of Array.isArray(value) ? value : [value]) {
            if (typeof item === 'string' && item.length >= MIN_SECRET_LENGTH) {
              secrets.set(item, comparator.shorten(item))
            }
          }
        }
      }
    }
    // Longest first, so a secret that contains another is replaced whole.
    this.ordered = [...secrets].sort(([a], [b]) => b.length - a.length)
  }

  redact(text: string): string {
    for (const [secret, short] of this.ordered) {
      if (text.includes(secret)) text = text.split(secret).join(short)
      // Inside JSON text a secret may appear escaped; its JSON form is replaced too.
      const escaped = JSON.stringify(secret).slice(1, -1)
      if (escaped !== secret && text.includes(escaped)) text = text.split(escaped).join(short)
    }
    return text
  }

  redactFinding(finding: ComparatorFinding): ComparatorFinding {
    if (this.ordered.length === 0) return finding
    const reason = this.redact(finding.reason)
    const changes = finding.changes?.map((change) => this.redactChange(change))
    return { ...finding, reason, ...(changes ? { changes } : {}) }
  }

  private redactChange(change: FieldChange): FieldChange {
    return {
      ...change,
      ...('left' in change ? { left: this.redactValue(change.left) } : {}),
      ...('right' in change ? { right: this.redactValue(change.right) } : {}),
    }
  }

  private redactValue(value: unknown): unknown {
    if (typeof value === 'string') return this.redact(value)
    if (Array.isArray(value)) return value.map((item) => this.redactValue(item))
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.redactValue(v)]))
    }
    return value
  }
}

/** A covered value in its shortened form: each element of a list, nulls as they are. */
function shortened(value: unknown, shorten: ((value: unknown) => string) | undefined): unknown {
  if (!shorten || value === null || value === undefined) return value
  return Array.isArray(value) ? value.map((item) => shorten(item)) : shorten(value)
}

/**
 * The fields a finding is about: the changed paths of an `UnequalJSON`; for a comparator's
 * finding, the fields of that comparator its reason names, else those of its fields that differ.
 */
function namedFields(
  finding: ComparatorFinding,
  list: readonly Comparator[],
  left: Record<string, unknown>,
  right: Record<string, unknown>,
): Set<string> {
  if (finding.kind === 'UnequalJSON') {
    return new Set((finding.changes ?? []).map((change) => String(change.path[0])))
  }
  const name = finding.kind.replace(/ExistenceCheck$/, '')
  const comparator = list.find((c) => c.name === name)
  if (!comparator) return new Set()
  const mentioned = comparator.fields.filter((field) => finding.reason.includes(`\`${field}\``))
  if (mentioned.length > 0) return new Set(mentioned)
  return new Set(comparator.fields.filter((field) => !jsonEqual(left[field], right[field])))
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string }
}
