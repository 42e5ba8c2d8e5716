import { NumberColumn, ValueColumn } from './columns.ts'

/**
 * User pk → username, for custom ordinals that look through foreign keys to users. Held for a
 * whole side, so kept small: users come in ascending pk order in every export, and two arrays
 * searched by halving take a fifth of the memory of a Map (7 MB for 132k users). Out of order
 * (or not a number), a pk moves everything to a Map, which keeps the last username given.
 */
export class Usernames {
  private pks = new NumberColumn()
  private names = new ValueColumn<unknown>()
  private map: Map<unknown, unknown> | undefined

  set(pk: unknown, username: unknown): void {
    if (this.map) {
      this.map.set(pk, username)
      return
    }
    const pks = this.pks
    if (typeof pk === 'number' && (pks.length === 0 || pk > pks.at(pks.length - 1))) {
      pks.push(pk)
      this.names.push(username)
      return
    }
    this.map = new Map<unknown, unknown>()
    for (let i = 0; i < pks.length; i++) this.map.set(pks.at(i), this.names.at(i))
    this.map.set(pk, username)
    this.clearArrays()
  }

  has(pk: unknown): boolean {
    return this.map ? this.map.has(pk) : this.indexOf(pk) >= 0
  }

  get(pk: unknown): unknown {
    if (this.map) return this.map.get(pk)
    const index = this.indexOf(pk)
    return index >= 0 ? this.names.at(index) : undefined
  }

  clear(): void {
    this.clearArrays()
    this.map = undefined
  }

  private clearArrays(): void {
    this.pks = new NumberColumn(16)
    this.names = new ValueColumn()
  }

  private indexOf(pk: unknown): number {
    return typeof pk === 'number' ? this.pks.indexOfSorted(pk) : -1
  }
}
