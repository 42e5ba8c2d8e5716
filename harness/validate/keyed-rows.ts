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
   * The other side's keyed rows of the model, while each key added here has been, position by
   * position, the same as theirs (a round trip's export lists the rows of the snapshot in its
   * order): this side then holds no keys and, closing after them, takes the order they were
   * sorted into instead of sorting the same keys again.
   */
  private twin: KeyedRows | undefined
  /** Another side's rows twin these: keep the sorted keys on closing, until it has closed. */
  private twinned = false
  /** The keys as sorted on closing, kept for the twin. */
  private sorted: SortedKeys | undefined

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

  /**
   * Takes the other side's keyed rows of the same model as the twin of these: from now on, a key
   * that theirs has at the same position is not held twice. Only before any row is added here and
   * while theirs are open.
   */
  twinWith(other: KeyedRows): void {
    if (this.length > 0 || this.twin || other.width !== this.width || other.sorted) return
    this.twin = other
    other.twinned = true
  }

  /** Adds a row; returns its position, by which `takeSorted` gives its ordinal. */
  add(key: readonly unknown[], row: Instance, seq: number): number {
    const position = this.pks.length
    this.pks.push(row.pk)
    this.rows?.push(row)
    this.seqs.push(seq)
    const twin = this.twin
    if (twin !== undefined) {
      if (twin.hasKeyAt(position, key)) return position
      this.untwin(position)
    }
    for (let i = 0; i < this.width; i++) this.pushKeyValue(key[i])
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
    const count = this.pks.length
    const twin = this.twin
    let sorted: SortedKeys | undefined
    const theirs = twin?.sorted
    if (twin !== undefined && theirs?.count === count) {
      // Every key here was theirs at the same place: the same keys sort into the same order.
      sorted = theirs
      this.twin = undefined
      twin.forgetTwin()
    } else if (twin !== undefined) this.untwin(count)
    const fromTwin = sorted !== undefined
    sorted ??= this.sortKeys(count)
    const { pks, seqs, rows } = this
    this.pks = new NumberColumn()
    this.keys = new ValueColumn()
    this.seqs = new NumberColumn()
    this.plain = new NumberColumn()
    if (this.keepRows) this.rows = new ValueColumn()
    if (this.twinned) this.sorted = sorted
    return { ...this.number(sorted, pks, seqs, rows, numbered, repeated), fromTwin }
  }

  private pushKeyValue(value: unknown): void {
    this.keys.push(value)
    this.plain.push(typeof value === 'string' && !SURROGATE.test(value) ? 1 : 0)
  }

  /** Whether row `position` here has `key` (the very values: `Object.is`, not printed alike). */
  private hasKeyAt(position: number, key: readonly unknown[]): boolean {
    if (position >= (this.sorted ? this.sorted.count : this.pks.length)) return false
    const from = position * this.width
    for (let i = 0; i < this.width; i++) {
      if (!Object.is(this.keyValueAt(from + i), key[i])) return false
    }
    return true
  }

  /** Key value `index` (row `index / width`'s), whether the keys are still held or sorted. */
  private keyValueAt(index: number): unknown {
    return this.sorted ? this.sorted.keys[index] : this.keys.at(index)
  }

  /** Stops twinning: holds the `count` keys so far, which were the twin's, as its own. */
  private untwin(count: number): void {
    const twin = this.twin!
    this.twin = undefined
    for (let i = 0; i < count * this.width; i++) this.pushKeyValue(twin.keyValueAt(i))
    twin.forgetTwin()
  }

  private forgetTwin(): void {
    this.twinned = false
    this.sorted = undefined
  }

  private sortKeys(count: number): SortedKeys {
    const width = this.width
    // Flat arrays of exactly their size for the sort's many lookups.
    const keys = new Array<unknown>(count * width)
    for (let i = 0; i < keys.length; i++) keys[i] = this.keys.at(i)
    const sorted = { keys, plain: this.plain, order: new Array<number>(count), count }
    for (let i = 0; i < count; i++) sorted.order[i] = i
    // Stable: rows with the same key stay in the order they were added. Keys that compare equal
    // print alike (compareJson is 0 exactly for such values), so they end up next to each other.
    sorted.order.sort(keyComparer(sorted, width))
    return sorted
  }

  /** Gives the rows their ordinals in the order of `sorted`, which holds their keys. */
  private number(
    sorted: SortedKeys,
    pks: NumberColumn,
    seqs: NumberColumn,
    rows: ValueColumn<Instance> | undefined,
    numbered: NumberColumn,
    repeated: (key: readonly unknown[], pk: number, seq: number) => void,
  ): Omit<KeyedOrder, 'fromTwin'> {
    const { keys, order, count } = sorted
    const width = this.width
    const compare = keyComparer(sorted, width)
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

/** A model's keys as one side sorted them when it closed. */
interface SortedKeys {
  /** Row i's key is `keys[i * width]` to `keys[i * width + width - 1]`. */
  readonly keys: unknown[]
  readonly plain: NumberColumn
  /** The rows' positions in key order. */
  readonly order: number[]
  readonly count: number
}

/** Python's tuple order of two rows' keys, by their positions. */
function keyComparer(sorted: SortedKeys, width: number): (a: number, b: number) => number {
  const { keys, plain } = sorted
  return (a, b) => {
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
}

/** What numbering keyed rows gives besides their pks: the rows in order, each one's ordinal. */
export interface KeyedOrder {
  /** The rows that won their key, in ordinal order, when kept. */
  readonly rows: readonly Instance[] | undefined
  /** Per position (in the order rows were added), its ordinal; a repeated key's rows share one. */
  readonly ordinals: Uint32Array
  /** The order was the twin's (`twinWith`), not sorted here. */
  readonly fromTwin: boolean
}
