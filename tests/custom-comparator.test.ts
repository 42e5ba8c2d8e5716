/**
 * Writing a comparator, end to end: the example of README.md's "Writing a comparator" section
 * lives here, between `#region readme:` markers, and the last test checks that the README shows
 * exactly this code, so the documented example is one that runs.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { defaultComparators } from '../comparators/index.ts'
import type { Application } from '../harness/application/load-application.ts'
import type { BackupEntry } from '../harness/backup/backup-entry.ts'
import { HarnessError } from '../harness/errors.ts'
import { validate } from '../harness/validate/index.ts'
import { checkComparatorCase } from '../comparators/testing.ts'
import { REPO_ROOT } from './support/processes.ts'
import { readFixture, referenceApplication } from './support/reference-app.ts'
// #region readme:comparator
import { defineComparator, finding, presentFields } from '../comparators/index.ts'
import type { Comparator, ComparatorFinding } from '../comparators/index.ts'

/** Names the import may re-case ("Backend" → "backend"): equal when compared ignoring case. */
export function caseInsensitive(...fields: string[]): Comparator {
  return defineComparator({
    name: 'CaseInsensitiveComparator',
    fields,
    reflexive: true,
    ordinalOnlyInFindings: true,
    compare: (on, left, right) => {
      const findings: ComparatorFinding[] = []
      for (const field of presentFields(fields, left, right)) {
        const before = String(left.fields[field])
        const after = String(right.fields[field])
        if (before.toLowerCase() === after.toLowerCase()) continue
        findings.push(
          finding(
            'CaseInsensitiveComparator',
            on,
            left,
            right,
            `the left value (${before}) of \`${field}\` was not equal, ignoring case, to the right value (${after})`,
          ),
        )
      }
      return findings
    },
  })
}
// #endregion

// #region readme:table-test
import { SCRUBBED } from '../comparators/index.ts'
import { tableTestComparator } from '../comparators/testing.ts'

tableTestComparator(caseInsensitive('name'), [
  {
    name: 'accepts a re-cased name',
    left: { name: 'Backend' },
    right: { name: 'backend' },
    compare: [],
  },
  {
    name: 'reports a different name',
    left: { name: 'Backend' },
    right: { name: 'Frontend' },
    compare: [{ kind: 'CaseInsensitiveComparator', reason: ['`name`', 'Backend', 'Frontend'] }],
  },
  {
    name: 'reports a name missing on one side',
    left: { name: 'Backend' },
    right: { name: null },
    existence: [{ kind: 'CaseInsensitiveComparatorExistenceCheck', reason: ['right `name`'] }],
  },
  {
    name: 'takes the name out of the final diff',
    left: { name: 'Backend' },
    right: { name: 'backend' },
    scrubbed: {
      left: { 'CaseInsensitiveComparator::name': SCRUBBED },
      right: { 'CaseInsensitiveComparator::name': SCRUBBED },
    },
  },
])
// #endregion

describe('a comparator of our own in validate()', () => {
  let application: Application
  let before: BackupEntry[]
  let after: BackupEntry[]
  beforeAll(async () => {
    application = await referenceApplication()
    before = await readFixture('fresh-install.json')
    after = before.map((e) =>
      e.model === 'sentry.team' ? { ...e, fields: { ...e.fields, name: 'TESTING' } } : e,
    )
  })

  it('decides instead of the final diff once registered for a model and field', () => {
    // #region readme:register
    const comparators = defaultComparators(application.registry, {
      extra: [{ model: 'sentry.team', comparator: caseInsensitive('name') }],
    })
    const { findings, counts } = validate(before, after, {
      registry: application.registry,
      comparators,
    })
    // #endregion
    expect(findings).toEqual([])
    expect(counts.scrubbed).toContainEqual({
      model: 'sentry.team',
      comparator: 'CaseInsensitiveComparator',
      field: 'name',
      instances: 1,
    })
  })

  it('leaves the field to the final diff when it is not registered', () => {
    const { findings } = validate(before, after, { registry: application.registry })
    expect(findings.map((f) => [f.kind, f.on.model])).toEqual([['UnequalJSON', 'sentry.team']])
  })

  it('is refused at start-up for a field the model does not have', () => {
    const register = () =>
      defaultComparators(application.registry, {
        extra: [{ model: 'sentry.team', comparator: caseInsensitive('nickname') }],
      })
    expect(register).toThrow(HarnessError)
    expect(register).toThrow(
      'relocation metadata invalid: comparators (CaseInsensitiveComparator) names a field the model does not have (model sentry.team, field nickname)',
    )
  })
})

describe('the ordinalOnlyInFindings promise', () => {
  it('is held to by the table-test helper: the same findings whatever the ordinal', () => {
    const peeking = defineComparator({
      name: 'PeekingComparator',
      fields: ['name'],
      ordinalOnlyInFindings: true,
      compare: (on, left, right) => (on.ordinal === 1 ? [finding('PeekingComparator', on, left, right, 'the first row')] : []),
    })
    const peekingCase = { name: 'peeks', left: { name: 'a' }, right: { name: 'a' }, compare: [{ kind: 'PeekingComparator' as const }] }
    expect(checkComparatorCase(peeking, peekingCase)).toEqual([
      'compare: declares ordinalOnlyInFindings but finds otherwise when only `on.ordinal` changes',
    ])
    const differing = { name: 'differs', left: { name: 'Backend' }, right: { name: 'Frontend' }, compare: [{ kind: 'CaseInsensitiveComparator' as const }] }
    expect(checkComparatorCase(caseInsensitive('name'), differing)).toEqual([])
  })
})

describe('README.md', () => {
  it('shows exactly the example code of this file', () => {
    const source = readFileSync(new URL(import.meta.url), 'utf8')
    const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8')
    const regions = [
      ...source.matchAll(/^( *)\/\/ #region readme:[\w-]+\n([\s\S]*?)^ *\/\/ #endregion$/gm),
    ]
    expect(regions.map((r) => r[0].split('\n')[0]!.trim())).toEqual([
      '// #region readme:comparator',
      '// #region readme:table-test',
      '// #region readme:register',
    ])
    for (const [, indent, code] of regions) {
      const dedented = code!
        .split('\n')
        .map((line) => line.slice(indent!.length))
        .join('\n')
      expect(readme).toContain(`\`\`\`ts\n${dedented}\`\`\``)
    }
  })
})
