/**
 * Keyed rows of the right side twin the left's while their keys are the same, position by
 * position: they then hold no keys and take the order the left's were sorted into. Whatever the
 * keys, the order of adding and of closing, a twin must number its rows exactly as rows sorted
 * alone do: the same ordinals, pks, rows and repeated keys, in the same order.
 */
import { describe, expect, it } from 'vitest'
import { seededRandom } from '../bench/generate-snapshot.ts'
import { NumberColumn } from '../harness/validate/columns.ts'
import type { Instance } from '../harness/validate/instance-index.ts'
import { KeyedRows } from '../harness/validate/keyed-rows.ts'

type Key = readonly unknown[]

interface Numbered {
  readonly ordinals: number[]
  readonly numbered: number[]
  readonly rows: (number | undefined)[] | undefined
  readonly repeated: [Key, number, number][]
  readonly fromTwin: boolean
}

function row(pk: number): Instance {
  return { model: 'm.m', pk, ordinal: 0, fields: {}, scrubbed: {}, text: undefined, position: -1 }
}

/** Keys get pks from `firstPk` on and sequence numbers from 100 on, in the order added. */
function adder(rows: KeyedRows, firstPk: number) {
  let added = 0
  return (key: Key) => {
    expect(rows.add(key, row(firstPk + added), 100 + added)).toBe(added)
    added++
  }
}

function close(rows: KeyedRows, alreadyNumbered: number): Numbered {
  const numbered = new NumberColumn()
  for (let i = 0; i < alreadyNumbered; i++) numbered.push(1000 + i)
  const repeated: [Key, number, number][] = []
  const order = rows.takeSorted(numbered, (key, pk, seq) => repeated.push([key, pk, seq]))
  return {
    ordinals: [...order.ordinals],
    numbered: [...numbered.view()],
    rows: order.rows?.map((r) => r.pk),
    repeated,
    fromTwin: order.fromTwin,
  }
}

/** What the rows give sorted on their own: no twin. */
function alone(
  keys: readonly Key[],
  width: number,
  keepRows: boolean,
  firstPk: number,
  base: number,
): Numbered {
  const rows = new KeyedRows(width, keepRows)
  const add = adder(rows, firstPk)
  for (const key of keys) add(key)
  return close(rows, base)
}

interface Case {
  readonly left: readonly Key[]
  readonly right: readonly Key[]
  /** How many left keys are added before each right key (the rest at the end); default all. */
  readonly leftAhead?: number
  /** The right side closes first. */
  readonly rightClosesFirst?: boolean
  readonly keepRows?: boolean
}

/** Runs two sides twinned, checks both against rows sorted alone; says whether the right twinned. */
function twinned(c: Case): boolean {
  const width = (c.left[0] ?? c.right[0] ?? [undefined]).length
  const keepRows = c.keepRows ?? false
  const left = new KeyedRows(width, keepRows)
  const right = new KeyedRows(width, keepRows)
  right.twinWith(left)
  const addLeft = adder(left, 1)
  const addRight = adder(right, 501)
  const ahead = c.leftAhead ?? c.left.length
  let l = 0
  for (; l < Math.min(ahead, c.left.length); l++) addLeft(c.left[l]!)
  for (const key of c.right) {
    addRight(key)
    if (l < c.left.length) addLeft(c.left[l++]!)
  }
  for (; l < c.left.length; l++) addLeft(c.left[l]!)
  // The sides have numbered other rows by pk before: 3 on the left, 5 on the right.
  let leftResult: Numbered
  let rightResult: Numbered
  if (c.rightClosesFirst) {
    rightResult = close(right, 5)
    leftResult = close(left, 3)
  } else {
    leftResult = close(left, 3)
    rightResult = close(right, 5)
  }
  const { fromTwin: _l, ...leftNumbering } = leftResult
  const { fromTwin, ...rightNumbering } = rightResult
  const { fromTwin: _a, ...leftAlone } = alone(c.left, width, keepRows, 1, 3)
  const { fromTwin: _b, ...rightAlone } = alone(c.right, width, keepRows, 501, 5)
  expect(leftNumbering).toEqual(leftAlone)
  expect(rightNumbering).toEqual(rightAlone)
  expect(_l).toBe(false)
  return fromTwin
}

const names = ['delta', 'alpha', 'charlie', 'bravo', 'alpha', 'echo', 'delta', 'delta']

describe('keyed rows twinning the other side’s', () => {
  it('take the other side’s order when every key is the same, repeated keys included', () => {
    const keys = names.map((n) => [n])
    expect(twinned({ left: keys, right: keys })).toBe(true)
    expect(twinned({ left: keys, right: keys, keepRows: true })).toBe(true)
    expect(twinned({ left: keys, right: keys, leftAhead: 2 })).toBe(true)
    // Equal copies of the same keys: the very same values, so still twins.
    expect(twinned({ left: keys, right: keys.map((k) => [...k]) })).toBe(true)
    const pairs = names.map((n, i) => [i % 3, n, null])
    expect(twinned({ left: pairs, right: pairs.map((k) => [...k]) })).toBe(true)
    const unicode = ['z', '\u{1F600}', '\uFF5E', 'a\u0000', ''].map((n) => [n])
    expect(twinned({ left: unicode, right: unicode })).toBe(true)
  })

  it('sort on their own from the first key that differs, wherever it is', () => {
    const keys = names.map((n) => [n])
    for (let at = 0; at < keys.length; at++) {
      const right = keys.map((k, i) => (i === at ? ['zulu'] : k))
      expect(twinned({ left: keys, right })).toBe(false)
      expect(twinned({ left: keys, right, leftAhead: 0 })).toBe(false)
      expect(twinned({ left: keys, right, leftAhead: at })).toBe(false)
      expect(twinned({ left: keys, right, rightClosesFirst: true, leftAhead: at })).toBe(false)
    }
  })

  it('sort on their own when the sides have more or fewer rows, or the right closes first', () => {
    const keys = names.map((n) => [n])
    expect(twinned({ left: keys, right: keys.slice(0, 5) })).toBe(false)
    expect(twinned({ left: keys.slice(0, 5), right: keys })).toBe(false)
    expect(twinned({ left: keys, right: [] })).toBe(false)
    expect(twinned({ left: [], right: keys })).toBe(false)
    expect(twinned({ left: keys, right: keys, rightClosesFirst: true })).toBe(false)
    expect(twinned({ left: keys, right: keys, leftAhead: 0, rightClosesFirst: true })).toBe(false)
  })

  it('sort on their own for values that print alike but are not the same', () => {
    // -0 prints as 0, an object is not its copy, and a missing value is printed as null: rows
    // sorted alone decide how these compare, not the twin.
    expect(twinned({ left: [[0], [1]], right: [[-0], [1]] })).toBe(false)
    expect(twinned({ left: [[{ a: 1 }], [1]], right: [[{ a: 1 }], [1]] })).toBe(false)
    expect(twinned({ left: [[null], ['a']], right: [[undefined], ['a']] })).toBe(false)
    const shared = { a: [1] }
    expect(twinned({ left: [[shared], ['a']], right: [[shared], ['a']] })).toBe(true)
  })

  it('number exactly like rows sorted alone on 2,000 random pairs of sides', () => {
    const rnd = seededRandom(7)
    const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)]!
    const values: unknown[] = ['a', 'b', 'B', 'é', '\u{1F600}', 1, 2, -1, null, true]
    let twins = 0
    for (let n = 0; n < 2_000; n++) {
      const width = 1 + Math.floor(rnd() * 2)
      const count = Math.floor(rnd() * 12)
      const left: Key[] = Array.from({ length: count }, () =>
        Array.from({ length: width }, () => pick(values)),
      )
      const right = left.map((k) => [...k])
      const change = Math.floor(rnd() * 5)
      if (change === 1 && right.length > 0) {
        right[Math.floor(rnd() * right.length)] = [pick(values), pick(values)].slice(0, width)
      }
      if (change === 2) right.splice(Math.floor(rnd() * (right.length + 1)), 1)
      if (change === 3) right.push(Array.from({ length: width }, () => pick(values)))
      twins += twinned({
        left,
        right,
        leftAhead: Math.floor(rnd() * (count + 1)),
        rightClosesFirst: rnd() < 0.2,
        keepRows: rnd() < 0.5,
      })
        ? 1
        : 0
    }
    // Most pairs are unchanged and closed left first: many took the left's order.
    expect(twins).toBeGreaterThan(600)
  })
})
