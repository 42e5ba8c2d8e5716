import { writeFile } from 'node:fs/promises'
import type { Operation } from 'fast-json-patch'
import type { ComparatorMap } from '../../comparators/default-comparators.ts'
import type { ModelRegistry } from '../application/model-registry.ts'
import type { BackupEntry } from '../backup/backup-entry.ts'
import { HarnessError } from '../errors.ts'
import { validate } from '../validate/validate.ts'
import { applyExpectations, expectationsPathFor, readExpectations, rowKey, type Expectations } from './expectations.ts'

/**
 * Expectations that describe what the round trip does now, written afresh from the snapshot and
 * its export: rows lost and gained, field changes as JSON Patch (from the structured changes of
 * each `UnequalJSON`), and every other finding accepted as it is. Reviewers read the change as a
 * JSON diff of the file. Stale entries disappear because nothing old is carried over.
 */
export function expectationsFromRun(
  original: readonly BackupEntry[],
  exported: readonly BackupEntry[],
  registry: ModelRegistry,
  comparators: ComparatorMap,
): Expectations {
  const exportedKeys = new Set(exported.map((e) => rowKey(e.model, e.pk)))
  const originalKeys = new Set(original.map((e) => rowKey(e.model, e.pk)))
  const removed = original.filter((e) => !exportedKeys.has(rowKey(e.model, e.pk))).map((e) => ({ model: e.model, pk: e.pk }))
  const added = exported.filter((e) => !originalKeys.has(rowKey(e.model, e.pk)))
  const base = applyExpectations(original, { removed, added }, '<update>')
  const { findings } = validate(base, exported, { registry, comparators })
  const changes: { model: string; pk: number; patch: Operation[] }[] = []
  const accepted: { kind: string; model: string; ordinal: number | null }[] = []
  for (const finding of findings) {
    if (finding.kind === 'UnequalJSON' && finding.changes && finding.left_pk !== null) {
      const patch = finding.changes.map((change): Operation => {
        const path = `/${change.path.map((p) => String(p).replaceAll('~', '~0').replaceAll('/', '~1')).join('/')}`
        if (change.kind === 'removed') return { op: 'remove', path }
        return { op: change.kind === 'added' ? 'add' : 'replace', path, value: change.right }
      })
      changes.push({ model: finding.on.model, pk: finding.left_pk, patch })
    } else {
      accepted.push({ kind: finding.kind, model: finding.on.model, ordinal: finding.on.ordinal })
    }
  }
  const result: { -readonly [K in keyof Expectations]: Expectations[K] } = {}
  if (changes.length > 0) result.changes = changes
  if (removed.length > 0) result.removed = removed
  if (added.length > 0) result.added = added
  if (accepted.length > 0) result.accepted = accepted
  return result
}

/** Writes an expectations file; never on CI, where baselines are only ever read. */
export async function writeExpectations(file: string, expectations: Expectations, previous: Expectations): Promise<void> {
  if (process.env.CI) {
    throw new HarnessError({
      code: 'USAGE',
      stage: 'cli',
      message: `refusing to update ${file}: baselines are never written on CI (CI is set)`,
      hint: 'Run the update locally and commit the file',
      context: { file },
    })
  }
  const comment = (previous as { $comment?: unknown }).$comment
  await writeFile(file, `${JSON.stringify(comment === undefined ? expectations : { $comment: comment, ...expectations }, null, 2)}\n`)
}

/**
 * Rewrites the expectations of one checked snapshot to what its round trip did (`--update`,
 * `vitest -u`); returns the file written.
 */
export async function updateExpectations(
  outcome: { readonly snapshot: string; readonly original: readonly BackupEntry[]; readonly exported: readonly BackupEntry[] },
  registry: ModelRegistry,
  comparators: ComparatorMap,
  file = expectationsPathFor(outcome.snapshot),
): Promise<string> {
  await writeExpectations(file, expectationsFromRun(outcome.original, outcome.exported, registry, comparators), await readExpectations(file))
  return file
}
