import type { ComparedRow } from '../../comparators/comparator.ts'
import type { ComparatorMap } from '../../comparators/default-comparators.ts'
import { pythonTupleRepr } from '../../comparators/python-text.ts'
import type { ModelRegistry, RegistryModel } from '../application/model-registry.ts'
import { entryShapeProblem } from '../backup/backup-entry.ts'
import { HarnessError } from '../errors.ts'
import type { ComparatorFinding } from '../findings/comparator-findings.ts'
import { NumberColumn } from './columns.ts'
import { KeyedRows } from './keyed-rows.ts'
import { Usernames } from './usernames.ts'

/**
 * Step 2 of `validate()` (spec §4.1) for one side: every row gets an ordinal within its model, so
 * that the left and right instance with the same ordinal are compared with each other whatever
 * their pks. Rows are numbered by pk in file order (and must come in ascending pk order), or, for
 * models with a custom ordinal, by sorting on the ordinal's values once the model is read, so pks
 * do not matter for them. Custom ordinal values that are foreign keys to the user model are
 * replaced by the user's username.
 *
 * A model is closed (numbered and handed over) when the side is finished or, when streaming, as
 * soon as its run of consecutive entries ends, so only the models being read are held.
 */

export type Side = 'left' | 'right'

/** One instance as the index hands it over: a compared row, with its entry text when known. */
export interface Instance extends ComparedRow {
  ordinal: number
  /** Emptied by `release` once the row has been compared. */
  fields: Record<string, unknown>
  /** The entry's source text, when it came from a file: equal texts are equal rows. */
  text: string | undefined
  /**
   * A keyed row's place among its model's keyed rows on its side, by which its ordinal is known
   * once the model closes (`closed`); -1 for a row numbered by pk.
   */
  position: number
}

/** Where an entry sits in its file, for error messages. */
export interface EntryLocation {
  readonly file?: string
  readonly line?: number
  readonly column?: number
}

/** What the index tells its user while it reads. */
export interface SideEvents {
  /**
   * Each model once it is closed: its pks, index i holding ordinal i + 1; its instances in the
   * same order unless `row` is listened to (the listener has had them); and, when it has keyed
   * rows, the ordinal of each by its `position`.
   */
  closed(
    model: string,
    pks: NumberColumn,
    instances: Instance[] | undefined,
    byPkOnly: boolean,
    keyedOrdinals: Uint32Array | undefined,
  ): void
  /**
   * Each row once it has its ordinal (numbered by pk) or its custom ordinal key (keyed; its
   * ordinal comes when the model is closed, by its `position` in `closed`). The index then keeps
   * nothing of the row but its pk (and key): the row is the listener's, which may `release` it.
   */
  row?(instance: Instance, key: readonly unknown[] | undefined): void
}

// Rows are only compared, never scrubbed in place, so they can share one empty record.
const NOTHING_SCRUBBED: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>

const MODEL_NAME = /^[^.\s]+\.[^.\s]+$/

interface Waiting {
  readonly state: ModelState
  readonly instance: Instance
  readonly line: number | undefined
  readonly column: number | undefined
}

interface ModelState {
  readonly model: RegistryModel
  maxPk: number | undefined
  /** The pks of the rows numbered so far, in ordinal order. */
  pks: NumberColumn
  /** Rows numbered by pk, in file order, when they are kept (nobody listens to `row`). */
  byPk: Instance[]
  /**
   * Keyed rows, numbered by key when the model is closed, which is also when rows with the same
   * key are found (a Map of every key cost 0.6 µs a row on 1M generated rows).
   */
  keyed: KeyedRows
  /** For each custom ordinal field, whether it is a foreign key to the user model. */
  readonly throughUser: readonly boolean[]
  /** For each custom ordinal field, how an obfuscating comparator shortens it, if one covers it. */
  readonly shorten: readonly (((value: unknown) => string) | undefined)[]
  /** When the first row numbered by pk, and the first keyed row, arrived (for the model order). */
  firstByPk: number | undefined
  firstKeyed: number | undefined
  /** Keyed rows held back until the side is finished (their user was not seen yet). */
  waiting: number
  /** The model's run of entries has ended: another model followed it. */
  ended: boolean
  closed: boolean
  count: number
}

/**
 * Builds one side's index from its entries, one at a time, so a file can be streamed in. Closed
 * models go to `onClose`; what stays is small: per model its count and state, the side's
 * structural findings, and the usernames that custom ordinals look through.
 */
export class SideIndexBuilder {
  private readonly states = new Map<string, ModelState>()
  /**
   * `UnorderedInput` and `DuplicateCustomOrdinal` findings, in the order of the rows that gave
   * them (a duplicate key is only found when its model is closed).
   */
  readonly findings: ComparatorFinding[] = []
  /** For each finding, the `seq` of the row that gave it. */
  private readonly findingSeqs: number[] = []
  /** Rows numbered or keyed so far. */
  private seq = 0
  private readonly usernames = new Usernames()
  /** Keyed rows that name a user not seen yet (the file lists them before their user). */
  private readonly waiting: Waiting[] = []
  private readonly usersModel: string | undefined
  private readonly usernameField: string | undefined
  /** Nobody listens to `row`: the index keeps every row, to hand it over when its model closes. */
  private readonly keepsRows: boolean
  private current: ModelState | undefined
  private arrivals = 0
  private finished = false
  /** A model's entries came in two or more separate runs: closing early was wrong. */
  reopened = false
  private twinSide: SideIndexBuilder | undefined
  /** Models whose keyed rows took their twin's order instead of sorting. */
  keyOrdersTaken = 0

  /**
   * @param closeEarly close a model as soon as its run of entries ends, instead of at `finish()`
   */
  constructor(
    readonly side: Side,
    private readonly registry: ModelRegistry,
    private readonly comparators: ComparatorMap,
    private readonly events: SideEvents,
    private readonly closeEarly = false,
  ) {
    this.usersModel = registry.filters?.users.model
    this.usernameField = registry.filters?.users.usernameField
    this.keepsRows = events.row === undefined
  }

  /**
   * Adds one parsed entry. Returns true when it starts a new run of entries of another model.
   * @throws HarnessError `BACKUP_INVALID` for an entry that is not `{model, pk, fields}` or whose
   *   model the application does not have
   */
  add(value: unknown, text?: string, file?: string, line?: number, column?: number): boolean {
    if (!isPlainEntry(value, this.current?.model.name)) {
      const problem = entryShapeProblem(value)
      if (problem) throw this.invalid(`invalid entry: ${problem}`, location(file, line, column), {})
    }
    const entry = value as { model: string; pk: number; fields: Record<string, unknown> }
    if (this.registry.deletedModels.has(entry.model)) return false
    let state = this.current
    let started = false
    if (state === undefined || state.model.name !== entry.model) {
      state = this.stateOf(entry.model, entry.pk, file, line, column)
      if (state.ended) this.reopened = true
      const previous = this.current
      this.current = state
      started = previous !== undefined
      if (previous) this.end(previous)
    }
    if (this.usersModel === entry.model)
      this.usernames.set(entry.pk, entry.fields[this.usernameField!])

    const model = state.model
    const keyed =
      model.customOrdinal.length > 0 && (model.rules.customOrdinalWhen?.(entry.fields) ?? true)
    const instance: Instance = {
      model: entry.model,
      pk: entry.pk,
      ordinal: 0,
      fields: entry.fields,
      scrubbed: NOTHING_SCRUBBED,
      // Held without streaming, a keyed model is held whole until it is sorted; its texts would
      // double what it holds.
      text: keyed ? undefined : text,
      position: -1,
    }
    if (!keyed) this.assignByPk(state, instance)
    else if (!this.keyRow(state, instance, file, line, column, false)) {
      state.waiting++
      this.waiting.push({ state, instance, line, column })
    }
    return started
  }

  /** The model of the current run of entries, if any. */
  get currentModel(): string | undefined {
    return this.current?.model.name
  }

  /**
   * Says that the current run of entries has ended, before the next one starts (or the side is
   * finished), so that its model can be closed now.
   */
  endRun(): void {
    const state = this.current
    this.current = undefined
    if (state) this.end(state)
  }

  /**
   * Numbers the held-back keyed rows and closes every model still open.
   * @param file the file name for error messages
   */
  finish(file?: string): void {
    if (this.finished) return
    this.finished = true
    for (const { state, instance, line, column } of this.waiting) {
      this.keyRow(state, instance, file, line, column, true)
      state.waiting--
    }
    this.waiting.length = 0
    this.usernames.clear()
    for (const state of this.states.values()) if (!state.closed) this.close(state)
  }

  /** Instances per model, once closed. */
  counts(): ReadonlyMap<string, number> {
    const counts = new Map<string, number>()
    for (const [name, state] of this.states) counts.set(name, state.count)
    return counts
  }

  /**
   * The models in Sentry's model map order, which orders the findings: the models numbered by pk
   * in the order of their first such row, then the others in the order of their first keyed row.
   */
  modelOrder(): string[] {
    const states = [...this.states.values()]
    const byPk = states.filter((s) => s.firstByPk !== undefined)
    byPk.sort((a, b) => a.firstByPk! - b.firstByPk!)
    const keyedOnly = states.filter((s) => s.firstByPk === undefined && s.firstKeyed !== undefined)
    keyedOnly.sort((a, b) => a.firstKeyed! - b.firstKeyed!)
    return [...byPk, ...keyedOnly].map((s) => s.model.name)
  }

  private end(state: ModelState): void {
    state.ended = true
    if (this.closeEarly && state.waiting === 0 && !state.closed) this.close(state)
  }

  private close(state: ModelState): void {
    state.closed = true
    const { pks, byPk: rows } = state
    const byPkOnly = state.keyed.length === 0
    let keyedOrdinals: Uint32Array | undefined
    if (!byPkOnly) {
      const lastWins = state.model.rules.duplicateOrdinal === 'lastWins'
      const order = state.keyed.takeSorted(pks, (key, pk, seq) => {
        if (!lastWins) this.duplicate(state, key, pk, seq)
      })
      keyedOrdinals = order.ordinals
      if (order.fromTwin) this.keyOrdersTaken++
      for (const instance of order.rows ?? []) {
        instance.ordinal = rows.length + 1
        rows.push(instance)
      }
    }
    state.count = pks.length
    // The model is handed over: nothing of its rows stays here.
    state.pks = new NumberColumn(16)
    state.byPk = []
    if (pks.length > 0) {
      const instances = this.keepsRows ? rows : undefined
      this.events.closed(state.model.name, pks, instances, byPkOnly, keyedOrdinals)
    }
  }

  /** A keyed row whose key an earlier row of the model has: a `DuplicateCustomOrdinal`. */
  private duplicate(state: ModelState, key: readonly unknown[], pk: number, seq: number): void {
    // Values an obfuscating comparator covers are shown shortened, like everywhere else.
    const shown = key.map((value, i) =>
      state.throughUser[i] ? value : (state.shorten[i]?.(value) ?? value),
    )
    this.addFinding(seq, {
      kind: 'DuplicateCustomOrdinal',
      on: { model: state.model.name, ordinal: null },
      left_pk: this.side === 'left' ? pk : null,
      right_pk: this.side === 'right' ? pk : null,
      reason: `custom ordinal value \`${pythonTupleRepr(shown)}\` appears multiple times`,
    })
  }

  /** Files a finding in the order of the rows that gave them. */
  private addFinding(seq: number, finding: ComparatorFinding): void {
    let at = this.findings.length
    while (at > 0 && this.findingSeqs[at - 1]! > seq) at--
    this.findings.splice(at, 0, finding)
    this.findingSeqs.splice(at, 0, seq)
  }

  private assignByPk(state: ModelState, instance: Instance): void {
    const ordinal = state.pks.length + 1
    const seq = this.seq++
    state.firstByPk ??= this.arrivals++
    if (state.maxPk === undefined || instance.pk > state.maxPk) state.maxPk = instance.pk
    else {
      this.addFinding(seq, {
        kind: 'UnorderedInput',
        on: { model: instance.model, ordinal },
        left_pk: this.side === 'left' ? instance.pk : null,
        right_pk: this.side === 'right' ? instance.pk : null,
        reason: `instances not listed in ascending \`pk\` order; \`pk\` ${instance.pk} is less than or equal to ${state.maxPk} which precedes it`,
      })
    }
    instance.ordinal = ordinal
    state.pks.push(instance.pk)
    // A listener compares the row and lets it go: then the pk is all that is kept of it until the
    // model closes, 8 bytes in a typed array instead of an object per row.
    if (this.keepsRows) state.byPk.push(instance)
    else this.events.row!(instance, undefined)
  }

  /**
   * Files the row under its custom ordinal key. Returns false, when `final` is false, if the key
   * names a user that has not been seen yet.
   */
  private keyRow(
    state: ModelState,
    instance: Instance,
    file: string | undefined,
    line: number | undefined,
    column: number | undefined,
    final: boolean,
  ): boolean {
    const fields = state.model.customOrdinal
    // Sized up front (push would make room for 16 values); `KeyedRows` copies it into its own.
    const key = new Array<unknown>(fields.length)
    for (let i = 0; i < fields.length; i++) {
      const value = instance.fields[fields[i]!]
      if (!state.throughUser[i] || value === null || value === undefined) {
        key[i] = value
        continue
      }
      if (!this.usernames.has(value)) {
        if (!final) return false
        throw this.invalid(
          `custom ordinal unresolvable: \`${fields[i]}\` points at user ${String(value)}, which is not in the backup`,
          location(file, line, column),
          { model: instance.model, pk: instance.pk, field: fields[i]! },
          'Custom ordinals look through foreign keys to users to their usernames, so every user they point at must be in the same backup',
        )
      }
      key[i] = this.usernames.get(value)
    }
    state.firstKeyed ??= this.arrivals++
    instance.position = state.keyed.add(key, instance, this.seq++)
    this.events.row?.(instance, key)
    return true
  }

  private stateOf(
    name: string,
    pk: number,
    file: string | undefined,
    line: number | undefined,
    column: number | undefined,
  ): ModelState {
    let state = this.states.get(name)
    if (state) return state
    const model = this.registry.get(name)
    if (!model) {
      throw this.invalid(
        `unknown model "${name}": the application has no such model`,
        location(file, line, column),
        { model: name, pk },
        'Compare backups of this application, or declare models it has removed in deletedModels',
      )
    }
    const comparators = this.comparators.get(name) ?? []
    state = {
      model,
      maxPk: undefined,
      pks: new NumberColumn(),
      byPk: [],
      keyed: new KeyedRows(model.customOrdinal.length, this.keepsRows),
      throughUser: model.customOrdinal.map(
        (field) =>
          this.usersModel !== undefined &&
          model.fieldsByName.get(field)?.foreignKey?.model === this.usersModel,
      ),
      shorten: model.customOrdinal.map((field) => {
        const obfuscating = comparators.find((c) => c.shorten && c.fields.includes(field))
        return obfuscating?.shorten?.bind(obfuscating)
      }),
      firstByPk: undefined,
      firstKeyed: undefined,
      waiting: 0,
      ended: false,
      closed: false,
      count: 0,
    }
    const twin = this.twinSide?.openKeyedRows(name)
    if (twin) state.keyed.twinWith(twin)
    this.states.set(name, state)
    return state
  }

  /**
   * Lets this side's keyed rows of each model twin `other`'s while their keys are the same (see
   * `KeyedRows`): for the right side of a run, whose models close after the left's.
   */
  twinKeyedRowsWith(other: SideIndexBuilder): void {
    this.twinSide = other
  }

  /** The model's keyed rows, while it is open. */
  private openKeyedRows(model: string): KeyedRows | undefined {
    const state = this.states.get(model)
    return state && !state.closed ? state.keyed : undefined
  }

  private invalid(
    what: string,
    at: EntryLocation,
    context: { model?: string; pk?: number; field?: string },
    hint = 'A backup is one JSON array of {model, pk, fields} objects',
  ): HarnessError {
    const where = [
      context.model && `model ${context.model}`,
      context.pk !== undefined && `pk ${context.pk}`,
      context.field && `field ${context.field}`,
      at.file && `${at.file}`,
      at.line !== undefined && `line ${at.line}, column ${at.column}`,
    ].filter(Boolean)
    return new HarnessError({
      code: 'BACKUP_INVALID',
      stage: 'validate',
      message: `${this.side} backup invalid: ${what}${where.length ? ` (${where.join(', ')})` : ''}`,
      hint,
      context: { side: this.side, ...context, ...at },
    })
  }
}

/**
 * Lets go of what a compared row holds beyond its model, pk, ordinal and position, which are all
 * that whoever keeps it (a finding's owner, a pair held until its model closes) still needs: its
 * fields and text.
 */
export function release(instance: Instance): void {
  instance.fields = NOTHING_SCRUBBED
  instance.text = undefined
}

function location(
  file: string | undefined,
  line: number | undefined,
  column: number | undefined,
): EntryLocation {
  return file === undefined ? {} : { file, line, column }
}

/**
 * The common case of `entryShapeProblem` finding nothing, without its allocations: a plain
 * object with exactly a well-formed `model` (the same as the previous entry's, or checked), an
 * integer `pk` and a `fields` object. False means "check it properly".
 */
function isPlainEntry(value: unknown, previousModel: string | undefined): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const entry = value as Record<string, unknown>
  const model = entry.model
  const pk = entry.pk
  const fields = entry.fields
  if (typeof model !== 'string' || (model !== previousModel && !MODEL_NAME.test(model))) return false
  if (typeof pk !== 'number' || !Number.isSafeInteger(pk)) return false
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) return false
  let keys = 0
  for (const key in entry) if (Object.hasOwn(entry, key)) keys++
  return keys === 3
}
