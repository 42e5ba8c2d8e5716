import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import fastJsonPatch, { type Operation } from 'fast-json-patch'
import type { BackupEntry } from '../backup/backup-entry.ts'
import { describeError, HarnessError } from '../errors.ts'
import type { ComparatorFinding } from '../findings/comparator-findings.ts'

/**
 * What a round trip is supposed to change, declared beside a snapshot
 * (`snapshots/<name>.expect.json`). Rows are named by model and pk: a Global import keeps pks,
 * so the snapshot's row and the exported row have the same pk.
 */
export interface Expectations {
  /**
   * The snapshot was exported by an older version of the application: import it at the schema as
   * of this migration, then run the later ones (the check's `fromMigration`, per snapshot).
   */
  readonly fromMigration?: string
  /** Intended field changes: JSON Patch operations (RFC 6902) on a row's `fields`. */
  readonly changes?: readonly { readonly model: string; readonly pk: number; readonly patch: readonly Operation[] }[]
  /** Rows the round trip is expected to lose. */
  readonly removed?: readonly { readonly model: string; readonly pk: number }[]
  /** Rows the round trip is expected to add. */
  readonly added?: readonly BackupEntry[]
  /** Findings accepted as they are, by kind and instance (ordinal omitted: any instance of the model). */
  readonly accepted?: readonly { readonly kind: string; readonly model: string; readonly ordinal?: number | null }[]
}

export const NO_EXPECTATIONS: Expectations = {}

/** `snapshots/x.json` → `snapshots/x.expect.json`. */
export function expectationsPathFor(snapshot: string): string {
  return snapshot.replace(/(\.json)?$/, '.expect.json')
}

/** Reads an expectations file; a missing file means "no changes intended". */
export async function readExpectations(file: string): Promise<Expectations> {
  if (!existsSync(file)) return NO_EXPECTATIONS
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Expectations
  } catch (error) {
    throw new HarnessError({
      code: 'BACKUP_INVALID',
      stage: 'validate',
      message: `expectations unreadable: ${describeError(error)} (${file})`,
      hint: 'An expectations file is a JSON object with changes, removed, added and accepted lists',
      context: { file },
    })
  }
}

const key = (model: string, pk: number) => `${model}\u0000${pk}`

/**
 * The snapshot as the round trip should return it: intended changes applied, expected losses
 * removed, expected additions added (each in its model's run, by pk, so the order stays valid).
 */
export function applyExpectations(entries: readonly BackupEntry[], expectations: Expectations, file: string): BackupEntry[] {
  const removed = new Set((expectations.removed ?? []).map((r) => key(r.model, r.pk)))
  const patches = new Map((expectations.changes ?? []).map((c) => [key(c.model, c.pk), c]))
  const result: BackupEntry[] = []
  for (const entry of entries) {
    if (removed.has(key(entry.model, entry.pk))) continue
    const change = patches.get(key(entry.model, entry.pk))
    if (!change) {
      result.push(entry)
      continue
    }
    const fields = structuredClone(entry.fields)
    try {
      fastJsonPatch.applyPatch(fields, structuredClone(change.patch) as Operation[], true, true)
    } catch (error) {
      throw new HarnessError({
        code: 'BACKUP_INVALID',
        stage: 'validate',
        message: `expected change cannot apply to ${entry.model} pk ${entry.pk}: ${describeError(error).split('\n')[0]} (${file})`,
        hint: 'Fix the JSON Patch so its paths exist in the snapshot row (paths are relative to `fields`)',
        context: { file, model: entry.model, pk: entry.pk },
      })
    }
    result.push({ ...entry, fields })
  }
  for (const added of expectations.added ?? []) {
    const last = result.findLastIndex((e) => e.model === added.model && e.pk < added.pk)
    const first = result.findIndex((e) => e.model === added.model)
    const at = last >= 0 ? last + 1 : first >= 0 ? first : result.length
    result.splice(at, 0, added)
  }
  return result
}

/** A finding about the expectations themselves: what they promised did not happen. */
export function staleFinding(model: string, pk: number | null, reason: string): ComparatorFinding {
  return { kind: 'Unknown', on: { model, ordinal: null }, left_pk: pk, right_pk: null, reason: `stale expectation: ${reason}` }
}

/**
 * Everything the expectations declare that the round trip did not do: a change that left the
 * value as it was, a row expected to disappear that is still there, an expected row that is
 * missing, an accepted finding that no longer occurs. Each is reported, so expectations cannot
 * silently outlive the behaviour they describe.
 */
export function findStale(
  original: readonly BackupEntry[],
  exported: ReadonlyMap<string, BackupEntry>,
  expectations: Expectations,
  findings: readonly ComparatorFinding[],
): ComparatorFinding[] {
  const stale: ComparatorFinding[] = []
  const originalRows = new Map(original.map((e) => [key(e.model, e.pk), e]))
  for (const change of expectations.changes ?? []) {
    const before = originalRows.get(key(change.model, change.pk))
    const after = exported.get(key(change.model, change.pk))
    if (!before || !after) {
      stale.push(staleFinding(change.model, change.pk, `changes expected on a row that is ${before ? 'not in the export' : 'not in the snapshot'}`))
      continue
    }
    for (const op of change.patch) {
      const paths = op.op === 'move' ? [op.from, op.path] : op.op === 'test' ? [] : [op.path]
      for (const path of paths) {
        const was = valueAt(before.fields, path)
        const is = valueAt(after.fields, path)
        if (JSON.stringify(was) === JSON.stringify(is)) {
          stale.push(staleFinding(change.model, change.pk, `the ${op.op} of \`${path}\` did not happen (the value is still ${JSON.stringify(is) ?? 'absent'})`))
        }
      }
    }
  }
  for (const row of expectations.removed ?? []) {
    if (exported.has(key(row.model, row.pk))) stale.push(staleFinding(row.model, row.pk, 'the row expected to disappear is still exported'))
  }
  for (const row of expectations.added ?? []) {
    if (!exported.has(key(row.model, row.pk))) stale.push(staleFinding(row.model, row.pk, 'the row expected to appear is not exported'))
  }
  for (const accepted of expectations.accepted ?? []) {
    if (!findings.some((f) => acceptedMatches(accepted, f))) {
      stale.push(staleFinding(accepted.model, null, `the accepted ${accepted.kind} finding${accepted.ordinal ? ` on ordinal ${accepted.ordinal}` : ''} no longer occurs`))
    }
  }
  return stale
}

export function acceptedMatches(
  accepted: { readonly kind: string; readonly model: string; readonly ordinal?: number | null },
  finding: ComparatorFinding,
): boolean {
  return (
    accepted.kind === finding.kind &&
    accepted.model === finding.on.model &&
    (accepted.ordinal === undefined || accepted.ordinal === null || accepted.ordinal === finding.on.ordinal)
  )
}

function valueAt(fields: Record<string, unknown>, pointer: string): unknown {
  try {
    return fastJsonPatch.getValueByPointer(fields, pointer)
  } catch {
    return undefined
  }
}

export { key as rowKey }
