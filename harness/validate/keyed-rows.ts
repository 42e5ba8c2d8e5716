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
 * row of a model is held at once, 132k rows a side at the peak of a 1M-row validate. The rows
 * themselves are kept only when asked (the index holds every row when nothing compares them as
 * they come); otherwise their pks, keys and sequence numbers are all that is held (an object per
 * row held until its model closed made the young generation's collections copy it twice: the
 * keyed models took two thirds of a 1M-row validate's scavenging time).
 */
export class KeyedRows {
  private pks = new NumberColumn()
  private rows: ValueColumn<Instance> | undefined
  /** Row i's key is `keys[i * width]` to `keys[i * width + width - 1]`. */
  private keys = new ValueColumn<unknown>()
  /** When each row was keyed on its side: orders the findings it may give. */
  private seqs = new NumberColumn()
  /** Per key value: 1 for a string without surrogates, whose order `<` gives exactly. */
  private plain = new NumberColumn()

  /**
   * @param width how many fields the model's custom ordinal has
   * @param keepRows keep the rows, to hand them over in key order
   */
  constructor(
    private readonly width: number,
    private readonly keepRows: boolean,
  ) {
    if (keepRows) this.rows = new ValueColumn()
  }

  get length(): number {
    return this.pks.length
  }

  /** Adds a row; returns its position, by which `takeSorted` gives its ordinal. */
  add(key: readonly unknown[], row: Instance, seq: number): number {
    const position = this.pks.length
    this.pks.push(row.pk)
    this.rows?.push(row)
    for (let i = 0; i < this.width; i++) {
      const value = key[i]
      this.keys.push(value)
      this.plain.push(typeof value === 'string' && !SURROGATE.test(value) ? 1 : 0)
    }
    this.seqs.push(seq)
    return position
  }

  /**
   * Numbers the rows by key (Python's tuple order), one ordinal per key, after the pks already in
   * `numbered` (whose ordinals are their index + 1), appends their pks there, and forgets them:
   * of rows with the same key the last added wins, in the place of the first, as in a Map filled
   * in that order; `repeated` hears of each later one.
   */
  takeSorted(
    numbered: NumberColumn,
    repeated: (key: readonly unknown[], pk: number, seq: number) => void,
  ): KeyedOrder {
    const { pks, seqs, width } = this
    const count = pks.length
    // Flat arrays of exactly their size for the sort's many lookups.
    const keys = new Array<unknown>(count * width)
    for (let i = 0; i < keys.length; i++) keys[i] = this.keys.at(i)
    const plain = this.plain
    const rows = this.rows
    this.pks = new NumberColumn()
    this.keys = new ValueColumn()
    this.seqs = new NumberColumn()
    this.plain = new NumberColumn()
    if (this.keepRows) this.rows = new ValueColumn()
    const compare = (a: number, b: number): number => {
      for (let i = 0; i < width; i++) {
        const x = a * width + i
        const y = b * width + i
        const order =
          plain.at(x) && plain.at(y)
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
    const sortedRows: Instance[] | undefined = rows ? [] : undefined
    const ordinals = new Uint32Array(count)
    // Each run of one key is numbered when it ends, by its last row.
    const take = (winner: number) => {
      numbered.push(pks.at(winner))
      sortedRows?.push(rows!.at(winner))
    }
    let winner = -1
    for (const position of order) {
      if (winner >= 0 && compare(winner, position) === 0) {
        const from = position * width
        repeated(keys.slice(from, from + width), pks.at(position), seqs.at(position))
      } else if (winner >= 0) take(winner)
      winner = position
      ordinals[position] = numbered.length + 1
    }
    if (winner >= 0) take(winner)
    return { rows: sortedRows, ordinals }
  }
}

/** What numbering keyed rows gives besides their pks: the rows in order, each one's ordinal. */
export interface KeyedOrder {
  /** The rows that won their key, in ordinal order, when kept. */
  readonly rows: readonly Instance[] | undefined
  /** Per position (in the order rows were added), its ordinal; a repeated key's rows share one. */
  readonly ordinals: Uint32Array
}
