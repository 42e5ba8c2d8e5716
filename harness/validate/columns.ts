import { indexOfSorted } from './binary-search.ts'

/**
 * Append-only columns for what validate holds per row until a model closes (132k rows a side at
 * the peak of a 1M-row validate). Growing a JavaScript array to that size with `push` cost about
 * 90 ns per element on this project's 2-core VM (past V8's largest regular object, 16k elements,
 * each growth is a new large object), against 4 for a doubling typed array and 17 for blocks.
 */

/** Numbers in a `Float64Array` that doubles when full. */
export class NumberColumn {
  private values: Float64Array
  length = 0

  constructor(capacity = 1024) {
    this.values = new Float64Array(capacity)
  }

  push(value: number): void {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2)
      grown.set(this.values)
      this.values = grown
    }
    this.values[this.length++] = value
  }

  at(index: number): number {
    return this.values[index]!
  }

  /** The index of `value` among the numbers pushed, which must ascend; -1 when absent. */
  indexOfSorted(value: number): number {
    return indexOfSorted(this.values, value, this.length)
  }

  /** The numbers pushed, without a copy: valid until the next `push`. */
  view(): Float64Array {
    return this.values.subarray(0, this.length)
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
