import type { Instance, Side } from './instance-index.ts'

/** One row waiting for its partner: the row, and the stand-in its side's index keeps instead. */
export interface PendingRow {
  readonly instance: Instance
  /** Its ordinal is final once the model is closed on that side (keyed rows get it then). */
  readonly standIn: Instance
}

/** Two rows with the same ordinal or custom ordinal key, one of each side. */
export interface RowPair {
  readonly left: PendingRow
  readonly right: PendingRow
}

/**
 * Matches the rows of one model from both sides as they come, so that neither side has to be read
 * whole before the other: a row numbered by pk meets the other side's row with its ordinal, a
 * keyed row the one with its custom ordinal key. Two files listing the model's rows in the same
 * order keep almost nothing waiting. Pairing keyed rows by key is pairing them by ordinal only when
 * both sides have the same keys once; `unmatched` says when they did not.
 */
export class ModelPairing {
  private readonly waiting: Record<Side, Map<number | string, PendingRow>> = {
    left: new Map(),
    right: new Map(),
  }
  private readonly counts: Record<Side, number | undefined> = { left: undefined, right: undefined }
  /** A side gave one key twice: pairs by key may not be the pairs by ordinal. */
  private repeated = false

  /**
   * Adds a row of `side`; returns its pair when the other side's row was waiting.
   * @param key the row's custom ordinal key, or undefined for a row numbered by pk
   */
  add(side: Side, instance: Instance, key: string | undefined, standIn: Instance): RowPair | undefined {
    // Keys are texts and ordinals numbers: one Map keeps them apart.
    const id = key ?? instance.ordinal
    const others = this.waiting[side === 'left' ? 'right' : 'left']
    const other = others.get(id)
    const row = { instance, standIn }
    if (other === undefined) {
      const mine = this.waiting[side]
      if (mine.has(id)) this.repeated = true
      mine.set(id, row)
      return undefined
    }
    others.delete(id)
    return side === 'left' ? { left: row, right: other } : { left: other, right: row }
  }

  /** Rows waiting for their partner now. */
  get waitingRows(): number {
    return this.waiting.left.size + this.waiting.right.size
  }

  /** The side has closed the model with `count` rows. */
  close(side: Side, count: number): void {
    this.counts[side] = count
  }

  isClosed(side: Side): boolean {
    return this.counts[side] !== undefined
  }

  /** Both sides have closed the model. */
  get closed(): boolean {
    return this.isClosed('left') && this.isClosed('right')
  }

  /** Both sides closed it with different counts: a structural finding, nothing to compare. */
  get unequalCounts(): boolean {
    return this.closed && this.counts.left !== this.counts.right
  }

  /** Rows left without a partner, or a key given twice: the pairs may not be Sentry's. */
  get unmatched(): boolean {
    return this.repeated || this.waiting.left.size > 0 || this.waiting.right.size > 0
  }
}
