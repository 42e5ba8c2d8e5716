import type { PrimaryKeyOrdinals } from '../../comparators/comparator.ts'
import { indexOfSorted } from './binary-search.ts'
import { NumberColumn } from './columns.ts'

/**
 * pk → ordinal per model for one side (spec §4.1 step 5), kept small enough to hold for a whole
 * backup: a model numbered by pk in ascending order needs only its pks (or, when they run without
 * gaps, the first pk and the count); integer pks close together, in any order, a table of
 * ordinals by offset; other models their pks sorted beside their ordinals, or a `Map`.
 */
export class PkOrdinalStore implements PrimaryKeyOrdinals {
  private readonly byModel = new Map<string, PkLookup>()
  /** Every model of the side has been added: an absent model is absent from the backup. */
  private complete = false
  /** The model a lookup could not answer yet, since the last `takeDeferral()`. */
  private deferredOn: string | undefined

  /** Adds a closed model's pks, index i holding ordinal i + 1. */
  add(model: string, pks: ArrayLike<number> | NumberColumn, byPkOnly: boolean): void {
    this.byModel.set(model, lookupOf(pks, byPkOnly))
  }

  /** Says that no more models will be added. */
  finish(): void {
    this.complete = true
  }

  has(model: string): boolean {
    return this.complete || this.byModel.has(model)
  }

  /**
   * @throws DeferredLookup when the model may still come: the comparison that asked must wait
   *   until it has been added or the side is complete
   */
  ordinalOf(model: string, pk: unknown): number | undefined {
    const lookup = this.byModel.get(model)
    if (lookup !== undefined) return lookup.ordinalOf(pk)
    if (this.complete) return undefined
    this.deferredOn = model
    throw new DeferredLookup(model)
  }

  hasDeferral(): boolean {
    return this.deferredOn !== undefined
  }

  /** The model a lookup had to wait for, if any, and forgets it. */
  takeDeferral(): string | undefined {
    const model = this.deferredOn
    this.deferredOn = undefined
    return model
  }
}

/** Thrown by `ordinalOf` for a model that has not been read yet; never leaves `validate()`. */
export class DeferredLookup extends Error {
  constructor(readonly model: string) {
    super(`pk ordinals of ${model} are not known yet`)
  }
}

interface PkLookup {
  ordinalOf(pk: unknown): number | undefined
}

/** @param given the pks in ordinal order: ordinal i + 1 has the i-th */
function lookupOf(given: ArrayLike<number> | NumberColumn, byPkOnly: boolean): PkLookup {
  if (given instanceof NumberColumn) {
    // A column of consecutive pks holds no array: no need to make one to find that out.
    const first = given.consecutiveFrom()
    if (byPkOnly && first !== undefined) return new RangeLookup(first, given.length)
  }
  const inOrder = given instanceof NumberColumn ? given.view() : given
  const count = inOrder.length
  let ascending = false
  if (byPkOnly && count > 0) {
    // Numbered by pk: ascending unless the input was unordered.
    const first = inOrder[0]!
    let contiguous = true
    ascending = true
    for (let i = 1; i < count && ascending; i++) {
      const pk = inOrder[i]!
      if (pk <= inOrder[i - 1]!) ascending = false
      else if (pk !== first + i) contiguous = false
    }
    if (ascending && contiguous) return new RangeLookup(first, count)
  }
  const dense = denseLookupOf(inOrder)
  if (dense) return dense
  if (ascending) return new SortedLookup(Float64Array.from(inOrder), undefined)
  // Sorted by pk, with each pk's ordinal: a quarter of a Map's memory. A repeated pk needs the
  // Map: the later instance wins, as in a Map built in ordinal order.
  const { pks, ordinals } = sortedByPk(inOrder)
  for (let i = 1; i < count; i++) {
    if (pks[i] === pks[i - 1]) {
      const map = new Map<unknown, number>()
      for (let i = 0; i < count; i++) map.set(inOrder[i], i + 1)
      return new MapLookup(map)
    }
  }
  return new SortedLookup(pks, ordinals)
}

/**
 * A lookup by offset from the least pk when the pks are integers spread over little more than
 * their count (a keyed model's pks, numbered by key, are most often a shuffled range): no sort,
 * and a third of the memory of pks sorted beside their ordinals. Undefined for other pks.
 */
function denseLookupOf(inOrder: ArrayLike<number>): DenseLookup | undefined {
  const count = inOrder.length
  if (count === 0) return undefined
  let least = inOrder[0]!
  let most = least
  for (let i = 0; i < count; i++) {
    const pk = inOrder[i]!
    if (!Number.isInteger(pk)) return undefined
    if (pk < least) least = pk
    else if (pk > most) most = pk
  }
  const spread = most - least + 1
  if (spread > Math.max(count * DENSE_SPREAD, DENSE_ROOM)) return undefined
  const ordinals = new Uint32Array(spread)
  // In ordinal order, so a repeated pk gets the later ordinal, as in a Map filled in that order.
  for (let i = 0; i < count; i++) ordinals[inOrder[i]! - least] = i + 1
  return new DenseLookup(least, ordinals)
}

/** A dense lookup may take up to this many slots per pk, or `DENSE_ROOM` slots at most. */
const DENSE_SPREAD = 2
const DENSE_ROOM = 1024

/** Ordinals up to this fit beside a pk below 2^32 in one exact number (2^32 · 2^21 = 2^53). */
const ORDINAL_SPAN = 2 ** 21

/**
 * The pks in ascending order, each with its ordinal. Typed arrays sort natively, a third of the
 * time of sorting rows with a comparator (20 ms for 132k rows instead of 50): pk and ordinal are
 * packed into one number when they fit, else the pks are sorted and each ordinal put in its place
 * by a search.
 */
function sortedByPk(inOrder: ArrayLike<number>): { pks: Float64Array; ordinals: Uint32Array } {
  const count = inOrder.length
  const pks = new Float64Array(count)
  const ordinals = new Uint32Array(count)
  let packable = count < ORDINAL_SPAN
  for (let i = 0; i < count && packable; i++) {
    // An integer: a fraction would spill into the ordinal's bits.
    const pk = inOrder[i]!
    packable = Number.isInteger(pk) && pk >= 0 && pk < 2 ** 32
  }
  if (!packable) {
    pks.set(inOrder)
    pks.sort()
    for (let i = 0; i < count; i++) ordinals[indexOfSorted(pks, inOrder[i]!)] = i + 1
    return { pks, ordinals }
  }
  for (let i = 0; i < count; i++) pks[i] = inOrder[i]! * ORDINAL_SPAN + i + 1
  pks.sort()
  for (let i = 0; i < count; i++) {
    const packed = pks[i]!
    const ordinal = packed % ORDINAL_SPAN
    ordinals[i] = ordinal
    pks[i] = (packed - ordinal) / ORDINAL_SPAN
  }
  return { pks, ordinals }
}

class RangeLookup implements PkLookup {
  constructor(
    private readonly first: number,
    private readonly count: number,
  ) {}

  ordinalOf(pk: unknown): number | undefined {
    const offset = offsetIn(pk, this.first, this.count)
    return offset < 0 ? undefined : offset + 1
  }
}

class SortedLookup implements PkLookup {
  /** @param ordinals each pk's ordinal; without them, the i-th pk has ordinal i + 1 */
  constructor(
    private readonly pks: Float64Array,
    private readonly ordinals: Uint32Array | undefined,
  ) {}

  ordinalOf(pk: unknown): number | undefined {
    if (typeof pk !== 'number') return undefined
    const index = indexOfSorted(this.pks, pk)
    if (index < 0) return undefined
    return this.ordinals ? this.ordinals[index] : index + 1
  }
}

class DenseLookup implements PkLookup {
  /** @param ordinals at index pk - least, the pk's ordinal; 0 where no pk is */
  constructor(
    private readonly least: number,
    private readonly ordinals: Uint32Array,
  ) {}

  ordinalOf(pk: unknown): number | undefined {
    const offset = offsetIn(pk, this.least, this.ordinals.length)
    const ordinal = offset < 0 ? 0 : this.ordinals[offset]!
    return ordinal === 0 ? undefined : ordinal
  }
}

/** The pk's offset from `least` when it is an integer below `least + count`, else -1. */
function offsetIn(pk: unknown, least: number, count: number): number {
  if (typeof pk !== 'number' || !Number.isInteger(pk)) return -1
  const offset = pk - least
  return offset >= 0 && offset < count ? offset : -1
}

class MapLookup implements PkLookup {
  constructor(private readonly map: ReadonlyMap<unknown, number>) {}

  ordinalOf(pk: unknown): number | undefined {
    return this.map.get(pk)
  }
}
