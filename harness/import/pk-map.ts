/**
 * A set of non-negative integers stored as 64 Ki-bit pages, so a million dense pks cost about
 * 128 KiB instead of a hash set's tens of megabytes, while sparse pks (snowflake ids) still work.
 */
export class SparseBitset {
  static readonly #PAGE_BITS = 65_536
  readonly #pages = new Map<number, Uint32Array>()
  #size = 0

  get size(): number {
    return this.#size
  }

  add(value: number): void {
    const page = Math.floor(value / SparseBitset.#PAGE_BITS)
    const offset = value - page * SparseBitset.#PAGE_BITS
    let bits = this.#pages.get(page)
    if (!bits) {
      bits = new Uint32Array(SparseBitset.#PAGE_BITS / 32)
      this.#pages.set(page, bits)
    }
    const mask = 1 << (offset & 31)
    if ((bits[offset >>> 5]! & mask) === 0) {
      bits[offset >>> 5]! |= mask
      this.#size += 1
    }
  }

  has(value: number): boolean {
    const page = Math.floor(value / SparseBitset.#PAGE_BITS)
    const bits = this.#pages.get(page)
    if (!bits) return false
    const offset = value - page * SparseBitset.#PAGE_BITS
    return (bits[offset >>> 5]! & (1 << (offset & 31))) !== 0
  }
}

/** How an imported row ended up in the database (Sentry's `ImportKind`). */
export type ImportKind = 'Inserted' | 'Existing' | 'Overwrite'

/**
 * Old pk (in the backup) → new pk (in the database) for one model. Rows that kept their pk (a
 * Global import) are stored as bits; only pks that changed take map entries.
 */
export class PkMap {
  readonly #kept = new SparseBitset()
  readonly #moved = new Map<number, number>()
  readonly #reused = new SparseBitset()

  /** Records where the row with backup pk `oldPk` went, and how. */
  set(oldPk: number, newPk: number, kind: ImportKind): void {
    if (oldPk === newPk) this.#kept.add(oldPk)
    else this.#moved.set(oldPk, newPk)
    if (kind !== 'Inserted') this.#reused.add(oldPk)
  }

  /** The database pk of the row that had `oldPk` in the backup, if it was imported. */
  get(oldPk: number): number | undefined {
    const moved = this.#moved.get(oldPk)
    if (moved !== undefined) return moved
    return this.#kept.has(oldPk) ? oldPk : undefined
  }

  /** True when the row was matched to an existing row instead of being inserted. */
  wasReused(oldPk: number): boolean {
    return this.#reused.has(oldPk)
  }

  get size(): number {
    return this.#kept.size + this.#moved.size
  }
}
