/**
 * The append-only columns validate holds per row: they must give back every value at its index
 * across growth and block boundaries, like the arrays they replace.
 */
import { describe, expect, it } from 'vitest'
import { NumberColumn, ValueColumn } from '../harness/validate/columns.ts'

describe('columns', () => {
  it('keep numbers at their index as they grow, and search them when ascending', () => {
    const column = new NumberColumn(4)
    const pushed: number[] = []
    for (let i = 0; i < 10_000; i++) {
      const value = i * 3 + 0.5
      column.push(value)
      pushed.push(value)
    }
    expect(column.length).toBe(10_000)
    expect([...column.view()]).toEqual(pushed)
    expect(column.at(4)).toBe(12.5)
    expect(column.indexOfSorted(3 * 9_999 + 0.5)).toBe(9_999)
    expect(column.indexOfSorted(0.5)).toBe(0)
    expect(column.indexOfSorted(1)).toBe(-1)
    // Room beyond the length holds zeros, which a search must not find.
    expect(new NumberColumn(8).indexOfSorted(0)).toBe(-1)
  })

  it('hold no array while the numbers go up or down by one step, and every number after', () => {
    const cases: number[][] = [
      Array.from({ length: 5_000 }, (_, i) => i + 1), // pks 1, 2, 3, …
      Array.from({ length: 300 }, (_, i) => 7 + 2 * i), // another step
      Array.from({ length: 300 }, () => 1), // a flag that is always 1
      Array.from({ length: 300 }, (_, i) => 300 - i), // down
      [0.1, 0.3, 0.5, 0.7], // a step floating point cannot hold exactly
      [0, -0, 0], // -0 is not 0
      [NaN, NaN],
      [1, 2, 3, 3, 4],
      [...Array.from({ length: 100 }, (_, i) => i), 5, 6, 7], // breaks past the first capacity
    ]
    for (const numbers of cases) {
      const column = new NumberColumn(16)
      numbers.forEach((n) => column.push(n))
      expect(column.length).toBe(numbers.length)
      numbers.forEach((n, i) => expect(Object.is(column.at(i), n), `${numbers} at ${i}`).toBe(true))
      expect([...column.view()].map((n) => Object.is(n, -0) ? '-0' : n)).toEqual(
        numbers.map((n) => (Object.is(n, -0) ? '-0' : n)),
      )
    }
    const pks = new NumberColumn()
    for (let pk = 41; pk < 5_041; pk++) pks.push(pk)
    expect(pks.consecutiveFrom()).toBe(41)
    expect(pks.indexOfSorted(41)).toBe(0)
    expect(pks.indexOfSorted(5_040)).toBe(4_999)
    expect(pks.indexOfSorted(5_041)).toBe(-1)
    expect(pks.indexOfSorted(40.5)).toBe(-1)
    pks.push(6_000)
    expect(pks.consecutiveFrom()).toBeUndefined()
    expect(pks.indexOfSorted(6_000)).toBe(5_000)
    expect(pks.indexOfSorted(100)).toBe(59)
    const odd = new NumberColumn()
    for (let i = 0; i < 50; i++) odd.push(2 * i + 1)
    expect(odd.consecutiveFrom()).toBeUndefined()
    expect([odd.indexOfSorted(1), odd.indexOfSorted(99), odd.indexOfSorted(2)]).toEqual([0, 49, -1])
  })

  it('keep values of any kind at their index across blocks', () => {
    const column = new ValueColumn<unknown>()
    const pushed: unknown[] = []
    for (let i = 0; i < 9_000; i++) {
      const value = i % 3 === 0 ? { i } : i % 3 === 1 ? `v${i}` : null
      column.push(value)
      pushed.push(value)
    }
    expect(column.length).toBe(9_000)
    for (const i of [0, 4_095, 4_096, 4_097, 8_191, 8_192, 8_999]) expect(column.at(i)).toBe(pushed[i])
  })
})
