/**
 * The pk → ordinal lookups validate() keeps for every model of a side take shortcuts by the shape
 * of the pks (a range, a table by offset when they are integers close together, ascending, packed
 * with the ordinal into one number for a native sort, or sorted and searched). Each must answer as
 * a Map filled in ordinal order would.
 */
import { describe, expect, it } from 'vitest'
import { NumberColumn } from '../harness/validate/columns.ts'
import { PkOrdinalStore } from '../harness/validate/pk-ordinals.ts'

/** What a Map filled in ordinal order answers: the later row wins for a repeated pk. */
function expected(pks: readonly number[]): Map<number, number> {
  const map = new Map<number, number>()
  pks.forEach((pk, i) => map.set(pk, i + 1))
  return map
}

/** Both as an array and as the column validate hands over (which holds no array for a range). */
function expectLikeAMap(pks: readonly number[], byPkOnly: boolean): void {
  const column = new NumberColumn()
  for (const pk of pks) column.push(pk)
  for (const given of [[...pks], column]) expectLookupLikeAMap(pks, given, byPkOnly)
}

function expectLookupLikeAMap(
  pks: readonly number[],
  given: number[] | NumberColumn,
  byPkOnly: boolean,
): void {
  const store = new PkOrdinalStore()
  store.add('app.thing', given, byPkOnly)
  store.finish()
  const map = expected(pks)
  for (const pk of pks) expect(store.ordinalOf('app.thing', pk), `pk ${pk}`).toBe(map.get(pk))
  for (const absent of [-7, 0.5, 2 ** 40 + 1, 999_999]) {
    if (!map.has(absent)) expect(store.ordinalOf('app.thing', absent)).toBeUndefined()
  }
  expect(store.ordinalOf('app.thing', String(pks[0]))).toBeUndefined()
  expect(store.ordinalOf('app.other', pks[0])).toBeUndefined()
}

/** A deterministic shuffle of 0..n-1 times `step`, plus `offset`. */
function scattered(n: number, step: number, offset: number): number[] {
  return Array.from({ length: n }, (_, i) => ((i * 7919) % n) * step + offset)
}

describe('pk ordinals', () => {
  it('answer like a Map for pks in a range, ascending with gaps, and in any order', () => {
    expectLikeAMap([5, 6, 7, 8], true)
    expectLikeAMap([2, 3, 10, 11, 40], true)
    expectLikeAMap(scattered(5000, 3, 1), true)
    // Keyed rows: numbered by key, so their pks come in any order.
    expectLikeAMap(scattered(5000, 3, 1), false)
    expectLikeAMap([9, 1, 4], false)
  })

  it('answer like a Map for integer pks close together, in any order', () => {
    // A shuffled range (keyed rows of an import), with gaps, negative, from a large pk, tiny.
    expectLikeAMap(scattered(5000, 1, 1), false)
    expectLikeAMap(scattered(5000, 2, -3000), false)
    expectLikeAMap(scattered(5000, 1, 2 ** 45), false)
    expectLikeAMap([9, 1, 4], false)
    expectLikeAMap([7], false)
    // Ascending with gaps, numbered by pk; and -0, which a Map finds as 0.
    expectLikeAMap([2, 3, 10, 11, 40], true)
    expectLikeAMap([3, -0, 1], false)
    // Not integers, or too far apart for a table: sorted instead.
    expectLikeAMap([2.5, 1, 3], false)
    expectLikeAMap([1, 1_000_000, 5], false)
  })

  it('answer like a Map for pks too large or negative to pack with their ordinal', () => {
    expectLikeAMap(scattered(3000, 2 ** 22, 2 ** 32), false)
    expectLikeAMap([2 ** 33, 5, 2 ** 32, 0, 2 ** 32 - 1], false)
    expectLikeAMap([3, -2, 8, -9, 1], false)
    expectLikeAMap([3, -2, 8, -9, 1], true)
  })

  it('let the later row win for a pk given twice, packed or not', () => {
    expectLikeAMap([4, 2, 4, 1], false)
    expectLikeAMap([4000, 2, 4000, 1], false)
    expectLikeAMap([2 ** 40, 2, 2 ** 40, 1], false)
    expectLikeAMap([1, 2, 2, 3], true)
  })
})
