import type { HarnessError } from '../errors.ts'
import type { FieldChange } from './comparator-findings.ts'

/** The JSON form of a finding (spec §4.7): these keys, written with sorted keys, nulls included. */
export interface FindingJson {
  readonly finding: 'ComparatorFinding' | 'RpcImportError' | 'RpcExportError'
  readonly kind: string
  readonly left_pk: number | null
  readonly on: { readonly model: string; readonly ordinal: number | null }
  readonly reason: string
  readonly right_pk: number | null
  /** `UnequalJSON` comparator findings only: the changed values (not part of Sentry's form). */
  readonly changes?: readonly FieldChange[]
}

/** A failed import or export as the one-element findings list Sentry's CLI writes. */
export function errorFinding(error: HarnessError): FindingJson {
  const context = error.context
  return {
    finding: error.stage === 'export' ? 'RpcExportError' : 'RpcImportError',
    // Malformed JSON is Sentry's DeserializationFailed too: the input could not become rows.
    kind: typeof context.kind === 'string' ? context.kind : error.code === 'BACKUP_INVALID' ? 'DeserializationFailed' : 'Unknown',
    left_pk: typeof context.pk === 'number' ? context.pk : null,
    on: { model: typeof context.model === 'string' ? context.model : '', ordinal: typeof context.ordinal === 'number' ? context.ordinal : null },
    reason: typeof context.reason === 'string' ? context.reason : error.message,
    right_pk: null,
  }
}

/** Findings as the `--findings-file` JSON: an array, indent 2, keys sorted. */
export function formatFindingsJson(findings: readonly FindingJson[]): string {
  return JSON.stringify(findings.map(sortKeys), null, 2)
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]))
  }
  return value
}

/** The pretty form (spec §4.4): `RpcImportError(` … `)`, pks only when truthy, reason when set. */
export function prettyFinding(finding: FindingJson): string {
  const on = `InstanceID(model: '${finding.on.model}'${finding.on.ordinal ? `, ordinal: ${finding.on.ordinal}` : ''})`
  const lines = [`    kind: ${finding.kind}`, `    on: ${on}`]
  if (finding.left_pk) lines.push(`    left_pk: ${finding.left_pk}`)
  if (finding.right_pk) lines.push(`    right_pk: ${finding.right_pk}`)
  if (finding.reason) lines.push(`    reason: ${finding.reason}`)
  return `${finding.finding}(\n${lines.join(',\n')}\n)`
}
