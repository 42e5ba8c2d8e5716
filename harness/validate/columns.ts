import { indexOfSorted } from './binary-search.ts'

/**
 * Append-only columns for what validate holds per row until a model closes (132k rows a side at
 * the peak of a 1M-row validate). Growing a JavaScript array to that size with `push` cost about
 * 90 ns per element on this project's 2-core VM (past V8's largest regular object, 16k elements,
 * each growth is a new large object), against 4 for a doubling typed array and 17 for blocks.
 */

/**
 * Numbers in a `Float64Array` that doubles when full; nothing at all while they go up or down
 * by one step (pks 1, 2, 3, … of a model, a run's sequence numbers, a flag that is always 1),
 * which is what most columns hold: a 1M-row validate's columns and their growth left tens of MB
 * of typed arrays to be freed by full collections, and the peak RSS grew with the largest model.
 */
export class NumberColumn {
  /** Undefined while the numbers are `first + i * step`. */
  private values: Float64Array | undefined
  private first = 0
  private step = 0
  length = 0

  constructor(private readonly capacity = 1024) {}

  push(value: number): void {
    if (this.values === undefined) {
      if (this.length === 0) this.first = value
      else if (this.length === 1) this.step = value - this.first
      if (Object.is(value, this.first + this.length * this.step)) {
        this.length++
        return
      }
      this.materialize(Math.max(this.capacity, this.length * 2))
    }
    if (this.length === this.values!.length) this.materialize(this.values!.length * 2)
    this.values![this.length++] = value
  }

  at(index: number): number {
    const values = this.values
    return values === undefined ? this.first + index * this.step : values[index]!
  }

  /** The first number, when the numbers count up by one from it; else undefined. */
  consecutiveFrom(): number | undefined {
    if (this.values !== undefined || this.length === 0) return undefined
    return this.length === 1 || this.step === 1 ? this.first : undefined
  }

  /** The index of `value` among the numbers pushed, which must ascend; -1 when absent. */
  indexOfSorted(value: number): number {
    if (this.values !== undefined) return indexOfSorted(this.values, value, this.length)
    if (this.length === 0) return -1
    const index = this.step > 0 ? Math.round((value - this.first) / this.step) : 0
    return index >= 0 && index < this.length && this.at(index) === value ? index : -1
  }

  /** The numbers pushed, without a copy: valid until the next `push`. */
  view(): Float64Array {
    if (this.values === undefined) this.materialize(Math.max(this.capacity, this.length))
    return this.values!.subarray(0, this.length)
  }

  /** Moves the numbers into an array of `capacity`. */
  private materialize(capacity: number): void {
    const values = new Float64Array(capacity)
    if (this.values === undefined) for (let i = 0; i < this.length; i++) values[i] = this.at(i)
    else values.set(this.values.subarray(0, this.length))
    this.values = values
  }
}

const BLOCK_BITS = 12
const BLOCK_SIZE = 1 << BLOCK_BITS

/** Values of any kind in blocks of 4,096, each a regular array that never moves once full. */
export class ValueColumn<T> {
  private readonly blocks: T[][] = [[]]
  private last: T[] = this.blocks[0]!
  length = 0

  push(value: T): void {
    if (this.last.length === BLOCK_SIZE) {
      this.last = []
      this.blocks.push(this.last)
    }
    this.last.push(value)
    this.length++
  }

  at(index: number): T {
    return this.blocks[index >>> BLOCK_BITS]![index & (BLOCK_SIZE - 1)]!
  }
}
