/** One row of a backup: Django's serializer format, `{"model", "pk", "fields"}` (spec §1.1). */
export interface BackupEntry {
  readonly model: string
  readonly pk: number
  readonly fields: Record<string, unknown>
}

/** Why a parsed JSON value is not a backup entry, or undefined when it is one. */
export function entryShapeProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'the entry is not an object'
  const entry = value as Record<string, unknown>
  if (typeof entry.model !== 'string') return 'the entry has no `model` string'
  if (!/^[^.\s]+\.[^.\s]+$/.test(entry.model)) return `the model name "${entry.model}" is not of the form "<app>.<model>"`
  if (typeof entry.pk !== 'number' || !Number.isSafeInteger(entry.pk)) return 'the entry has no integer `pk` (below 2^53)'
  if (typeof entry.fields !== 'object' || entry.fields === null || Array.isArray(entry.fields)) {
    return 'the entry has no `fields` object'
  }
  const extra = Object.keys(entry).filter((key) => key !== 'model' && key !== 'pk' && key !== 'fields')
  if (extra.length > 0) return `the entry has unexpected keys: ${extra.join(', ')}`
  return undefined
}
