import { compareJson } from '../../comparators/json-values.ts'
import { NumberColumn, ValueColumn } from './columns.ts'
import type { Instance } from './instance-index.ts'

/**
 * A surrogate half: the one place where `<` (by UTF-16 unit) and Python (by code point) order
 * strings differently. Keys without one are compared natively: `compareJson`, walking the
 * characters in JavaScript, made the sorts of a 1M-row validate's keys about 45 % slower.
 */
const SURROGATE = /[\uD800-\uDFFF]/

/**
 * The keyed rows of one model on one side, held until the model is closed and they can be
 * numbered in key order. Columns rather than an object and a key array per row: every keyed
 * row of a model is held at once, 132k rows a side at the peak of a 1M-row validate.
 */
export class KeyedRows {
  private rows = new ValueColumn<Instance>()
  /** Row i's key is `keys[i * width]` to `keys[i * width + width - 1]`. */
  private keys = new ValueColumn<unknown>()
  /** When each row was keyed on its side: orders the findings it may give. */
  private seqs = new NumberColumn()
  /** Per key value: 1 for a string without surrogates, whose order `<` gives exactly. */
  private plain = new NumberColumn()

  /** @param width how many fields the model's custom ordinal has */
  constructor(private readonly width: number) {}

  get length(): number {
    return this.rows.length
  }

  add(key: readonly unknown[], row: Instance, seq: number): void {
    this.rows.push(row)
    for (let i = 0; i < this.width; i++) {
      const value = key[i]
      this.keys.push(value)
      this.plain.push(typeof value === 'string' && !SURROGATE.test(value) ? 1 : 0)
    }
    this.seqs.push(seq)
  }

  /**
   * The rows sorted by key (Python's tuple order), one per key, and forgets them: of rows with
   * the same key the last added wins, in the place of the first, as in a Map filled in that
   * order; `repeated` hears of each later one.
   */
  takeSorted(repeated: (key: readonly unknown[], row: Instance, seq: number) => void): Instance[] {
    const { rows, seqs, width } = this
    const count = rows.length
    // Flat arrays of exactly their size for the sort's many lookups.
    const keys = new Array<unknown>(count * width)
    for (let i = 0; i < keys.length; i++) keys[i] = this.keys.at(i)
    const plain = this.plain.view()
    this.rows = new ValueColumn()
    this.keys = new ValueColumn()
    this.seqs = new NumberColumn()
    this.plain = new NumberColumn()
    const compare = (a: number, b: number): number => {
      for (let i = 0; i < width; i++) {
        const x = a * width + i
        const y = b * width + i
        const order =
          plain[x]! && plain[y]!
            ? keys[x] === keys[y]
              ? 0
              : (keys[x] as string) < (keys[y] as string)
                ? -1
                : 1
            : compareJson(keys[x], keys[y])
        if (order !== 0) return order
      }
      return 0
    }
    // Stable: rows with the same key stay in the order they were added. Keys that compare equal
    // print alike (compareJson is 0 exactly for such values), so they end up next to each other.
    const order = new Array<number>(count)
    for (let i = 0; i < count; i++) order[i] = i
    order.sort(compare)
    const sorted = new Array<Instance>(count)
    let length = 0
    let last = -1
    for (const index of order) {
      if (last >= 0 && compare(last, index) === 0) {
        repeated(keys.slice(index * width, index * width + width), rows.at(index), seqs.at(index))
        sorted[length - 1] = rows.at(index)
      } else sorted[length++] = rows.at(index)
      last = index
    }
    sorted.length = length
    return sorted
  }
}
