import type { Instance, Side } from './instance-index.ts'

/** Two rows with the same ordinal or custom ordinal key, one of each side. */
export interface RowPair {
  readonly left: Instance
  readonly right: Instance
}

/**
 * Matches the rows of one model from both sides as they come, so that neither side has to be read
 * whole before the other: a row numbered by pk meets the other side's row with its ordinal, a
 * keyed row the one with its custom ordinal key. Pairing keyed rows by key is pairing them by
 * ordinal only when both sides have the same keys once; `unmatched` says when they did not.
 *
 * Two files listing the model's rows in the same order are in step: the side ahead has a run of
 * rows waiting, and each row of the other side pairs with the first of them. That costs an array
 * push and a comparison per row (a Map set and delete cost 0.2 s of a 1M-row validate). The first
 * row that does not match turns the pairing to Maps by id, which take rows in any order.
 */
export class ModelPairing {
  /** In step: the rows of the side ahead waiting for their partner, from `head` on, and ids. */
  private queue: Instance[] = []
  private queueIds: (number | readonly unknown[])[] = []
  private head = 0
  private ahead: Side = 'left'
  /** Out of step: the rows of each side waiting for their partner, by id. */
  private waiting: Record<Side, Map<number | string, Instance>> | undefined
  private readonly added: Record<Side, number> = { left: 0, right: 0 }
  private readonly counts: Record<Side, number | undefined> = { left: undefined, right: undefined }
  /**
   * A side gave one key twice (found when it closes the model): pairs by key may not be the pairs
   * by ordinal.
   */
  private repeated = false

  /**
   * Adds a row of `side`; returns the other side's row with the same id when it was waiting.
   * @param key the row's custom ordinal key, or undefined for a row numbered by pk
   */
  add(side: Side, instance: Instance, key: readonly unknown[] | undefined): Instance | undefined {
    this.added[side]++
    if (this.waiting === undefined) {
      const head = this.head
      if (head === this.queue.length || this.ahead === side) {
        if (head === this.queue.length) this.ahead = side
        this.queue.push(instance)
        this.queueIds.push(key ?? instance.ordinal)
        return undefined
      }
      const queued = this.queueIds[head]!
      if (key === undefined ? queued === instance.ordinal : sameKey(queued, key)) {
        const other = this.queue[head]!
        this.queue[head] = undefined as unknown as Instance
        this.head = head + 1
        if (this.head === this.queue.length) this.emptyQueue()
        return other
      }
      this.leaveStep()
    }
    const waiting = this.waiting!
    const id = idOf(key ?? instance.ordinal)
    const others = waiting[side === 'left' ? 'right' : 'left']
    const other = others.get(id)
    if (other === undefined) {
      // A key given twice overwrites the first row here; `close` finds it by the count.
      waiting[side].set(id, instance)
      return undefined
    }
    others.delete(id)
    return other
  }

  /** Rows waiting for their partner now. */
  get waitingRows(): number {
    const queued = this.queue.length - this.head
    return queued + (this.waiting ? this.waiting.left.size + this.waiting.right.size : 0)
  }

  /**
   * The side has closed the model with `count` rows: fewer than it added when it gave a key twice
   * (the index keeps one row per key).
   */
  close(side: Side, count: number): void {
    this.counts[side] = count
    if (this.added[side] !== count) this.repeated = true
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
    return this.repeated || this.waitingRows > 0
  }

  /** The queued rows go into the Maps, in their order, as if they had been added there. */
  private leaveStep(): void {
    const waiting = { left: new Map<number | string, Instance>(), right: new Map() }
    const mine = waiting[this.ahead]
    for (let i = this.head; i < this.queue.length; i++) {
      mine.set(idOf(this.queueIds[i]!), this.queue[i]!)
    }
    this.waiting = waiting
    this.emptyQueue()
  }

  private emptyQueue(): void {
    this.queue = []
    this.queueIds = []
    this.head = 0
  }
}

/**
 * Whether a queued id is the custom ordinal key `key`: what equal key texts (`idOf`) say, without
 * building them (JSON text of every two-field key cost 0.19 s of a 1M-row validate).
 */
function sameKey(queued: number | readonly unknown[], key: readonly unknown[]): boolean {
  if (typeof queued === 'number' || queued.length !== key.length) return false
  for (let i = 0; i < key.length; i++) {
    const a = queued[i]
    const b = key[i]
    if (a === b || (a == null && b == null)) continue
    if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
    if (JSON.stringify(a) !== JSON.stringify(b)) return false
  }
  return true
}

/** An ordinal, or a custom ordinal key as its text: keys are texts and ordinals numbers. */
function idOf(id: number | readonly unknown[]): number | string {
  return typeof id === 'number' ? id : keyText(id)
}

/**
 * A custom ordinal key as one text: equal keys, and only they, have the same text, with null and
 * absent alike. Most keys are one string, which is its own text: no copy to make and hash (on 1M
 * generated rows, JSON text cost 0.7 s of validate's 11). Every other key is JSON text behind a
 * NUL, which such a string never starts with.
 */
function keyText(key: readonly unknown[]): string {
  if (key.length !== 1) return `\u0000${JSON.stringify(key)}`
  const value = key[0]
  if (typeof value === 'string' && value.charCodeAt(0) !== 0) return value
  return `\u0000${JSON.stringify(value) ?? 'null'}`
}
