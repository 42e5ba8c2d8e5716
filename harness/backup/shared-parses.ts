/**
 * Parsed entries that one reader lends to another reading a file with the same entries at the
 * same positions: the two sides of a round trip, which `validate` reads side by side. An entry
 * whose text equals the lender's entry at the same index is not parsed again; the borrower gets
 * the lender's value, the same object, so neither caller may change it.
 *
 * Only the lender's latest `capacity` entries are kept (a ring indexed by entry index), so memory
 * stays bounded whatever the file size: two readers that stay within that distance of each other
 * share everything, two that drift apart just parse for themselves.
 */
export class SharedParses {
  private readonly indexes: Float64Array
  private readonly texts: (string | undefined)[]
  private readonly values: unknown[]
  private readonly mask: number
  /** Entries borrowed, for tests and benchmarks. */
  borrowed = 0

  /** @param capacity entries kept; rounded up to a power of two */
  constructor(capacity = DEFAULT_CAPACITY) {
    let size = 1
    while (size < capacity) size *= 2
    this.mask = size - 1
    this.indexes = new Float64Array(size).fill(-1)
    this.texts = new Array<string | undefined>(size).fill(undefined)
    this.values = new Array<unknown>(size).fill(undefined)
  }

  /** The lender parsed entry `index`. */
  lend(index: number, text: string, value: unknown): void {
    const slot = index & this.mask
    this.indexes[slot] = index
    this.texts[slot] = text
    this.values[slot] = value
  }

  /** The lender's value for entry `index` if it read the same text there, else undefined. */
  borrow(index: number, text: string): unknown {
    const slot = index & this.mask
    if (this.indexes[slot] !== index || this.texts[slot] !== text) return undefined
    this.borrowed++
    const value = this.values[slot]
    // Each index is read once: let go of the entry now rather than when the ring comes round.
    this.indexes[slot] = -1
    this.texts[slot] = undefined
    this.values[slot] = undefined
    return value
  }
}

/**
 * Room to spare: the two readers of `validate` take turns of a few hundred entries and parse a
 * few hundred ahead, so the lender leads by under a thousand entries; a few read chunks' worth
 * (1 MiB chunks of 300-byte entries) still shares everything when one drifts further.
 */
const DEFAULT_CAPACITY = 16384
