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
