/**
 * validate() takes shortcuts (comparators skipped for equal values, scrubs worked out instead of
 * run, files compared a model at a time as they are read). These tests hold it to the
 * straightforward procedure on many backups with random differences: the same findings, in the
 * same order, the same counts and the same errors, whichever way the backups are given.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateEntries, seededRandom } from '../bench/generate-snapshot.ts'
import { defineComparator, type Comparator } from '../comparators/index.ts'
import { defaultComparators, type ComparatorMap } from '../comparators/default-comparators.ts'
import type { Application } from '../harness/application/load-application.ts'
import type { BackupEntry } from '../harness/backup/backup-entry.ts'
import { validate, validateBackups, type ValidateResult } from '../harness/validate/index.ts'
import { SLICE_ENTRIES, streamFiles } from '../harness/validate/validate.ts'
import { fourUsers, readFixture, referenceApplication } from './support/reference-app.ts'
import { category, selfReferencingApplication } from './support/self-referencing-app.ts'

let app: Application
let dir: string
let generated: BackupEntry[]
let fixtures: BackupEntry[]
let defaults: ComparatorMap
beforeAll(async () => {
  app = await referenceApplication()
  dir = await mkdtemp(path.join(os.tmpdir(), 'rt-validate-streaming-'))
  generated = []
  for await (const entry of generateEntries({ rows: 700, seed: 3 })) generated.push(entry)
  fixtures = [...(await readFixture('fresh-install.json')), ...(await fourUsers())]
  defaults = defaultComparators(app.registry)
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

/**
 * The same comparators, stripped of what lets validate() take shortcuts: copies are neither
 * reflexive nor known to scrub the standard way, so every check and scrub runs on every pair.
 */
function straightforward(map: ComparatorMap): ComparatorMap {
  return new Map([...map].map(([model, list]) => [model, list.map((c) => ({ ...c }) as Comparator)]))
}

/** A copy of `entries` with a few random differences of the kinds an import can make. */
function mutate(entries: readonly BackupEntry[], seed: number): BackupEntry[] {
  const rnd = seededRandom(seed)
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)]!
  let out: BackupEntry[] = entries.map((e) => ({ ...e, fields: structuredClone(e.fields) }))
  const changes = 1 + Math.floor(rnd() * 4)
  for (let n = 0; n < changes; n++) {
    const index = Math.floor(rnd() * out.length)
    const entry = out[index]!
    const fields = Object.keys(entry.fields)
    const field = fields.length > 0 ? pick(fields) : undefined
    switch (Math.floor(rnd() * 12)) {
      case 0: // a changed value
        if (field) entry.fields[field] = typeof entry.fields[field] === 'string' ? `${entry.fields[field]}x` : 7
        break
      case 1: // a value gone
        if (field) entry.fields[field] = null
        break
      case 2: // a field gone
        if (field) delete entry.fields[field]
        break
      case 3: // a field added
        entry.fields.extra = 'new'
        break
      case 4: // other pks for a whole model, as a fresh install gives
        out = out.map((e) => (e.model === entry.model ? { ...e, pk: e.pk + 1000 } : e))
        break
      case 5: // a row missing
        out.splice(index, 1)
        break
      case 6: // two rows swapped
        if (index + 1 < out.length) [out[index], out[index + 1]] = [out[index + 1]!, out[index]!]
        break
      case 7: // a datetime written without milliseconds, or moved on
        for (const f of fields) {
          const value = entry.fields[f]
          if (typeof value === 'string' && /\.\d{3}Z$/.test(value)) {
            entry.fields[f] = rnd() < 0.5 ? value.replace(/\.\d{3}Z$/, 'Z') : value.replace(/^\d{4}/, '2099')
          }
        }
        break
      case 8: // a model's rows moved to the end: the file is no longer in one run per model
        out = [...out.filter((e) => e.model !== entry.model), ...out.filter((e) => e.model === entry.model)]
        break
      case 9: // a foreign key pointing elsewhere
        for (const f of fields) if (typeof entry.fields[f] === 'number') entry.fields[f] = (entry.fields[f] as number) + 1
        break
      case 10: // a row repeated
        out.splice(index, 0, { ...entry, fields: structuredClone(entry.fields) })
        break
      default: // nested value changed
        entry.fields[field ?? 'data'] = { nested: [1, rnd() < 0.5 ? 'a' : 'b'] }
    }
  }
  return out
}

let files = 0
async function write(entries: readonly BackupEntry[], compact: boolean): Promise<string> {
  const file = path.join(dir, `${files++}.json`)
  await writeFile(file, compact ? JSON.stringify(entries) : JSON.stringify(entries, null, 2))
  return file
}

type Outcome = ValidateResult | { error: string; code: unknown }

async function outcome(run: () => ValidateResult | Promise<ValidateResult>): Promise<Outcome> {
  try {
    return await run()
  } catch (error) {
    // Read from files, an entry's problem also names the file and position.
    const message = (error as Error).message.replace(/, [^,]+\.json, line \d+, column \d+\)/, ')')
    return { error: message, code: (error as { code?: unknown }).code }
  }
}

async function expectSameEverywhere(
  left: BackupEntry[],
  right: BackupEntry[],
  comparators: ComparatorMap = defaults,
  compactRight = false,
): Promise<Outcome> {
  const registry = app.registry
  const expected = await outcome(() =>
    validate(left, right, { registry, comparators: straightforward(comparators) }),
  )
  const inMemory = await outcome(() => validate(left, right, { registry, comparators }))
  const leftFile = await write(left, false)
  const rightFile = await write(right, compactRight)
  const streamed = await outcome(() => validateBackups(leftFile, rightFile, { registry, comparators }))
  expect(inMemory).toEqual(expected)
  expect(streamed).toEqual(expected)
  return expected
}

describe('validate() against the straightforward procedure', () => {
  it('agrees on identical backups, generated and Sentry’s', async () => {
    const found = await expectSameEverywhere(generated, generated)
    expect(found).toMatchObject({ findings: [] })
    await expectSameEverywhere(fixtures, fixtures)
    await expectSameEverywhere(fixtures, fixtures, defaults, true)
  })

  it('agrees on 60 generated backups with random differences', async () => {
    const kinds = new Set<string>()
    for (let seed = 1; seed <= 60; seed++) {
      const found = await expectSameEverywhere(generated, mutate(generated, seed), defaults, seed % 3 === 0)
      if ('findings' in found) for (const f of found.findings) kinds.add(f.kind)
      else kinds.add(String(found.code))
    }
    // The differences reach the structural checks, the comparators and the final diff.
    expect([...kinds]).toEqual(expect.arrayContaining(['UnequalCounts', 'UnequalJSON', 'UnorderedInput']))
  })

  it('agrees on 40 of Sentry’s backups with random differences', async () => {
    for (let seed = 100; seed < 140; seed++) {
      await expectSameEverywhere(mutate(fixtures, seed + 1000), mutate(fixtures, seed), defaults, seed % 2 === 0)
    }
  })

  it('reports the same comparator failure, and none when the backups differ in structure', async () => {
    const broken = defineComparator({
      name: 'BrokenComparator',
      fields: ['key'],
      compare: (on) => {
        if (on.ordinal === 3) throw new Error('boom')
        return []
      },
    })
    const comparators = new Map(defaults)
    comparators.set('sentry.useroption', [...(defaults.get('sentry.useroption') ?? []), broken])
    comparators.set('sentry.option', [...(defaults.get('sentry.option') ?? []), broken])
    const failed = await expectSameEverywhere(generated, generated, comparators)
    expect(failed).toMatchObject({ code: 'COMPARATOR_FAILED' })
    expect((failed as { error: string }).error).toContain('(model sentry.option, ordinal 3)')
    // Read side by side, without being read again holding every row: a model numbered by pk
    // that throws from its third pair on fails at its third, even where an earlier model did not.
    const fromThird = defineComparator({
      name: 'BrokenComparator',
      fields: ['slug'],
      ordinalOnlyInFindings: true,
      compare: (on) => {
        if (on.ordinal! >= 3) throw new Error(`boom at ${on.ordinal}`)
        return []
      },
    })
    const byPk = new Map(defaults)
    byPk.set('sentry.project', [...(defaults.get('sentry.project') ?? []), fromThird])
    const file = await write(generated, false)
    const streamed = await outcome(async () => (await streamFiles(file, file, app.registry, byPk))!.result)
    expect(streamed).toMatchObject({ code: 'COMPARATOR_FAILED' })
    expect((streamed as { error: string }).error).toContain('boom at 3 (model sentry.project, ordinal 3)')
    expect(streamed).toEqual(await expectSameEverywhere(generated, generated, byPk))
    const fewer = generated.filter((e, i) => !(e.model === 'sentry.projectkey' && i % 2 === 0))
    expect(await expectSameEverywhere(generated, fewer, comparators)).toMatchObject({
      findings: [{ kind: 'UnequalCounts' }],
    })
  })

  it('gives comparators each row’s own ordinal, keyed rows included', async () => {
    // A comparator that reports the ordinals it is given; the right side lists the keyed user
    // options backwards, so their rows are paired by key, not as they come.
    const ordinals = defineComparator({
      name: 'OrdinalsComparator',
      fields: ['key'],
      compare: (on, left, right) => [
        {
          kind: 'OrdinalsComparator',
          on,
          left_pk: left.pk,
          right_pk: right.pk,
          reason: `on ${on.ordinal}, left ${left.ordinal}, right ${right.ordinal}`,
        },
      ],
    })
    const comparators = new Map(defaults)
    comparators.set('sentry.useroption', [...(defaults.get('sentry.useroption') ?? []), ordinals])
    const options = generated.filter((e) => e.model === 'sentry.useroption')
    const at = generated.indexOf(options[0]!)
    const backwards = [...generated]
    backwards.splice(at, options.length, ...[...options].reverse())
    const found = await expectSameEverywhere(generated, backwards, comparators)
    const reasons = 'findings' in found ? found.findings.map((f) => f.reason) : []
    expect(reasons.length).toBe(options.length)
    expect(reasons).toContain(`on 1, left 1, right 1`)
  })

  it('gives the left side’s invalid entry even when the right side has one earlier', async () => {
    const bad = (entries: BackupEntry[], at: number) =>
      entries.map((e, i) => (i === at ? { ...e, model: 'sentry.nosuchmodel' } : e))
    const found = await expectSameEverywhere(bad(generated, 600), bad(generated, 20))
    expect(found).toMatchObject({ code: 'BACKUP_INVALID' })
    expect((found as { error: string }).error).toMatch(/^left backup invalid/)
  })

  it('pairs the last of a repeated key when both files repeat it in step', async () => {
    // A global user option given twice on each side, where the later one wins (Sentry's rule for
    // them): the first ones differ, the last ones agree. Pairing the rows as they come would
    // compare the first ones with each other.
    const at = generated.findIndex((e) => e.model === 'sentry.useroption')
    // The option's row twice, the first with another value; user options renumbered so that
    // their pks stay ascending and unique while their keys (user, key) repeat.
    const twice = (first: string) =>
      generated
        .flatMap((e, i) => (i === at ? [{ ...e, fields: { ...e.fields, value: first } }, e] : [e]))
        .map((e, i) => (e.model === 'sentry.useroption' ? { ...e, pk: i } : e))
    const left = twice('"first left"')
    const right = twice('"first right"')
    expect(await expectSameEverywhere(left, right)).toMatchObject({ findings: [] })
    // Different last ones are found.
    const other = { value: '"other"' }
    const changed = right.map((e, i) => (i === at + 1 ? { ...e, fields: { ...e.fields, ...other } } : e))
    expect(await expectSameEverywhere(left, changed)).toMatchObject({
      findings: [{ kind: 'UnequalJSON', on: { model: 'sentry.useroption' } }],
    })
  })

  it('pairs keyed rows whose keys print alike only with their own, in step or not', async () => {
    const keys = [null, 'null', '\u0000null', '\u0000', '', 1, '1', ['null'], { null: 1 }, [1, '1']]
    const option = (key: unknown, pk: number, value: string): BackupEntry => ({
      model: 'sentry.option',
      pk,
      fields: { key, last_updated: '2023-06-22T00:00:00.000Z', last_updated_by: 'unknown', value },
    })
    const rows = (order: readonly number[], changed: number) =>
      order.map((k, i) => option(keys[k], i + 1, k === changed ? '"b"' : '"a"'))
    const inOrder = keys.map((_, k) => k)
    // In step: both files list the keys in the same order; one value differs, on the key "null".
    const same = await expectSameEverywhere(rows(inOrder, -1), rows(inOrder, 1))
    expect(same).toMatchObject({ findings: [{ kind: 'UnequalJSON', left_pk: 2, right_pk: 2 }] })
    // Out of step: the right file lists them backwards, so the rows pair through their key texts.
    const backwards = await expectSameEverywhere(rows(inOrder, -1), rows([...inOrder].reverse(), 1))
    expect(backwards).toMatchObject({ findings: [{ kind: 'UnequalJSON', left_pk: 2, right_pk: 9 }] })
    // Neighbours swapped: each right row first meets a left row whose key prints like its own.
    const swapped = inOrder.map((k) => (k % 2 === 0 ? k + 1 : k - 1))
    const found = await expectSameEverywhere(rows(inOrder, -1), rows(swapped, -1))
    expect(found).toMatchObject({ findings: [] })
  })

  it('looks up foreign keys of models later in the file', async () => {
    // Projects before their organizations: lookups wait until the organizations are read.
    const late = [
      ...generated.filter((e) => e.model !== 'sentry.organization'),
      ...generated.filter((e) => e.model === 'sentry.organization'),
    ]
    const moved = late.map((e) =>
      e.model === 'sentry.project' && e.pk === 20 ? { ...e, fields: { ...e.fields, organization: 1 } } : e,
    )
    const found = await expectSameEverywhere(late, moved)
    expect(found).toMatchObject({ findings: [{ kind: 'ForeignKeyComparator' }] })
    // Read side by side, the projects' pairs wait for the organizations instead of every row
    // being read again.
    const streamed = await streamFiles(await write(late, false), await write(moved, true), app.registry, defaults)
    expect(streamed?.result).toEqual(found)
  })
})

describe('validate() of two files read side by side', () => {
  let big: BackupEntry[]
  beforeAll(async () => {
    big = []
    for await (const entry of generateEntries({ rows: 20_000, seed: 8 })) big.push(entry)
  })

  /** Each model's rows, in the file's order. */
  const countOf = (entries: readonly BackupEntry[], model: string) => entries.filter((e) => e.model === model).length

  it('compares rows as their partners come: a few hundred wait at most, keyed models included', async () => {
    // Changes on a keyed model (users, paired by username) and on one numbered by pk.
    let users = 0
    const changed = big.map((e) => {
      if (e.model === 'sentry.user' && users++ % 97 === 0) return { ...e, fields: { ...e.fields, name: 'renamed' } }
      if (e.model === 'sentry.organizationmember' && e.pk % 89 === 0) return { ...e, fields: { ...e.fields, role: 'owner' } }
      return e
    })
    expect(countOf(big, 'sentry.user')).toBeGreaterThan(4 * SLICE_ENTRIES)
    const streamed = await streamFiles(await write(big, false), await write(changed, true), app.registry, defaults)
    // Not given up and redone holding every row, and never more than one side's turn waiting.
    expect(streamed).toBeDefined()
    expect(streamed!.peakWaiting).toBeGreaterThan(0)
    expect(streamed!.peakWaiting).toBeLessThanOrEqual(SLICE_ENTRIES)
    const expected = validate(big, changed, { registry: app.registry, comparators: straightforward(defaults) })
    expect(streamed!.result).toEqual(expected)
    const kinds = new Set(expected.findings.map((f) => `${f.on.model} ${f.kind}`))
    expect(kinds).toEqual(new Set(['sentry.user UnequalJSON', 'sentry.organizationmember UnequalJSON']))
  })

  it('parses once a text both files hold at the same place, and finds every change', async () => {
    let users = 0
    const changed = big.map((e) => {
      if (e.model === 'sentry.user' && users++ % 101 === 0) return { ...e, fields: { ...e.fields, is_active: false } }
      if (e.model === 'sentry.projectkey' && e.pk % 7 === 0) return { ...e, fields: { ...e.fields, label: 'other' } }
      return e
    })
    const unchanged = changed.filter((e, i) => e === big[i]).length
    const streamed = await streamFiles(await write(big, false), await write(changed, false), app.registry, defaults)
    // Each reader parses a few hundred entries ahead of what it hands out, stopping where its
    // decoded piece ends; where the changes moved the right file's pieces, it may run a few
    // entries past what the left has parsed, and parses those itself.
    expect(streamed!.sharedParses).toBeLessThanOrEqual(unchanged)
    expect(streamed!.sharedParses).toBeGreaterThan(unchanged * 0.99)
    expect(unchanged).toBeLessThan(big.length)
    const expected = validate(big, changed, { registry: app.registry, comparators: straightforward(defaults) })
    expect(streamed!.result).toEqual(expected)
    expect(new Set(expected.findings.map((f) => f.on.model))).toEqual(new Set(['sentry.user', 'sentry.projectkey']))
  })

  it('numbers the right side’s keyed rows in the left’s order while their keys are the same', async () => {
    const keyedModels = new Set(
      big
        .filter((e) => {
          const model = app.registry.get(e.model)!
          return model.customOrdinal.length > 0 && (model.rules.customOrdinalWhen?.(e.fields) ?? true)
        })
        .map((e) => e.model),
    )
    expect(keyedModels.size).toBeGreaterThanOrEqual(4)
    // Written compact, the right file holds none of the left's bytes: equal keys, not shared ones.
    const left = await write(big, false)
    const same = await streamFiles(left, await write(big, true), app.registry, defaults)
    expect(same!.keyOrdersTaken).toBe(keyedModels.size)
    // Two e-mails swapped: their keys are no longer at the same places, and that model is sorted.
    const at = big.findIndex((e) => e.model === 'sentry.email') + 40
    expect(big[at + 1]!.model).toBe('sentry.email')
    const swapped = [...big.slice(0, at), big[at + 1]!, big[at]!, ...big.slice(at + 2)]
    const streamed = await streamFiles(left, await write(swapped, true), app.registry, defaults)
    expect(streamed!.keyOrdersTaken).toBe(keyedModels.size - 1)
    const expected = validate(big, swapped, { registry: app.registry, comparators: straightforward(defaults) })
    expect(streamed!.result).toEqual(expected)
    expect(same!.result).toEqual(validate(big, big, { registry: app.registry, comparators: defaults }))
  })

  it('reads again holding every row when keyed rows do not pair by key', async () => {
    // One username changed: the user's key is gone from the right side, so pairs by ordinal shift.
    let users = 0
    const changed = big.map((e) =>
      e.model === 'sentry.user' && users++ === 5 ? { ...e, fields: { ...e.fields, username: 'zz-renamed' } } : e,
    )
    const left = await write(big, false)
    const right = await write(changed, false)
    expect(await streamFiles(left, right, app.registry, defaults)).toBeUndefined()
    const expected = validate(big, changed, { registry: app.registry, comparators: straightforward(defaults) })
    expect(await validateBackups(left, right, { registry: app.registry, comparators: defaults })).toEqual(expected)
    expect(expected.findings.length).toBeGreaterThan(1)
  })
})

describe('validate() of a model whose rows point at each other', () => {
  let tree: Application
  beforeAll(async () => {
    tree = await selfReferencingApplication()
  })

  it('compares the rows as they come, each once its model has been read on both sides', async () => {
    // Several turns of each side, each row pointing at one before or after it, or at none.
    const count = 3 * SLICE_ENTRIES
    const parentOf = (i: number) => (i % 5 === 0 ? null : ((i * 7919) % count) + 1)
    const left = Array.from({ length: count }, (_, i) => category(i + 1, parentOf(i), `category ${i}`))
    // Imported afresh: other pks, the same tree; and one row moved to another parent.
    const shift = (pk: number | null) => (pk === null ? null : pk + 1000)
    const right = left.map((e, i) =>
      category(e.pk + 1000, i === 701 ? shift(3) : shift(parentOf(i)), `category ${i}`),
    )
    const comparators = defaultComparators(tree.registry)
    const expected = validate(left, right, { registry: tree.registry, comparators: straightforward(comparators) })
    expect(expected.findings).toMatchObject([
      { kind: 'ForeignKeyComparator', on: { model: 'shop.category', ordinal: 702 } },
    ])
    const streamed = await streamFiles(await write(left, false), await write(right, false), tree.registry, comparators)
    expect(streamed?.result).toEqual(expected)
    const same = await streamFiles(await write(left, false), await write(left, true), tree.registry, comparators)
    expect(same?.result).toEqual(validate(left, left, { registry: tree.registry, comparators }))
    expect(same?.result.findings).toEqual([])
  })
})
