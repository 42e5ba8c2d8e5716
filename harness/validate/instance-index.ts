import type { ComparedRow } from '../../comparators/comparator.ts'
import type { ComparatorMap } from '../../comparators/default-comparators.ts'
import { compareSequences } from '../../comparators/json-values.ts'
import { pythonTupleRepr } from '../../comparators/python-text.ts'
import type { ModelRegistry, RegistryModel } from '../application/model-registry.ts'
import { entryShapeProblem } from '../backup/backup-entry.ts'
import { HarnessError } from '../errors.ts'
import type { ComparatorFinding } from '../findings/comparator-findings.ts'

/**
 * Step 2 of `validate()` (spec §4.1) for one side: every row gets an ordinal within its model, so
 * that the left and right instance with the same ordinal are compared with each other whatever
 * their pks. Rows are numbered by pk in file order (and must come in ascending pk order), or, for
 * models with a custom ordinal, by sorting on the ordinal's values once the side is read, so pks
 * do not matter for them. Custom ordinal values that are foreign keys to the user model are
 * replaced by the user's username.
 */

export type Side = 'left' | 'right'

/** One side, indexed. */
export interface SideIndex {
  readonly side: Side
  /**
   * Each model's instances; index i holds ordinal i + 1. Models in the order they received their
   * first ordinal (Sentry's model map order): pk-ordered models as they appear, then the others.
   */
  readonly models: ReadonlyMap<string, readonly ComparedRow[]>
  /** `UnorderedInput` and `DuplicateCustomOrdinal` findings, in the order they arose. */
  readonly findings: readonly ComparatorFinding[]
}

/** Where an entry sits in its file, for error messages. */
export interface EntryLocation {
  readonly file?: string
  readonly line?: number
  readonly column?: number
}

interface Instance {
  readonly model: string
  readonly pk: number
  ordinal: number
  readonly fields: Record<string, unknown>
  readonly scrubbed: Record<string, unknown>
}

interface Keyed {
  readonly key: readonly unknown[]
  readonly instance: Instance
}

interface ModelState {
  readonly model: RegistryModel
  maxPk: number | undefined
  /** Rows by custom ordinal key (JSON text of the values), in first-appearance order. */
  readonly keyed: Map<string, Keyed>
  /** For each custom ordinal field, whether it is a foreign key to the user model. */
  readonly throughUser: readonly boolean[]
  /** For each custom ordinal field, how an obfuscating comparator shortens it, if one covers it. */
  readonly shorten: readonly (((value: unknown) => string) | undefined)[]
}

/** Builds one side's index from its entries, one at a time, so a file can be streamed in. */
export class SideIndexBuilder {
  private readonly models = new Map<string, Instance[]>()
  private readonly states = new Map<string, ModelState>()
  /** Models with keyed rows, in the order the first one appeared. */
  private readonly keyedModels: ModelState[] = []
  private readonly findings: ComparatorFinding[] = []
  private readonly usernames = new Map<unknown, unknown>()
  /** Keyed rows that name a user not seen yet (the file lists them before their user). */
  private readonly waiting: { state: ModelState; instance: Instance; at: EntryLocation }[] = []
  private readonly usersModel: string | undefined
  private readonly usernameField: string | undefined

  constructor(
    readonly side: Side,
    private readonly registry: ModelRegistry,
    private readonly comparators: ComparatorMap,
  ) {
    this.usersModel = registry.filters?.users.model
    this.usernameField = registry.filters?.users.usernameField
  }

  /**
   * Adds one parsed entry.
   * @throws HarnessError `BACKUP_INVALID` for an entry that is not `{model, pk, fields}` or whose
   *   model the application does not have
   */
  add(value: unknown, at: EntryLocation = {}): void {
    const problem = entryShapeProblem(value)
    if (problem) throw this.invalid(`invalid entry: ${problem}`, at, {})
    const entry = value as { model: string; pk: number; fields: Record<string, unknown> }
    if (this.registry.deletedModels.has(entry.model)) return
    const state = this.stateOf(entry.model, entry.pk, at)
    const instance: Instance = {
      model: entry.model,
      pk: entry.pk,
      ordinal: 0,
      fields: entry.fields,
      scrubbed: {},
    }
    if (this.usersModel === entry.model)
      this.usernames.set(entry.pk, entry.fields[this.usernameField!])

    const rules = state.model.rules
    const keyed =
      state.model.customOrdinal.length > 0 && (rules.customOrdinalWhen?.(entry.fields) ?? true)
    if (!keyed) {
      this.assignByPk(state, instance)
      return
    }
    if (!this.keyRow(state, instance, at, false)) this.waiting.push({ state, instance, at })
  }

  /** Numbers the keyed rows and returns the index. */
  finish(): SideIndex {
    for (const { state, instance, at } of this.waiting) this.keyRow(state, instance, at, true)
    this.waiting.length = 0
    for (const state of this.keyedModels) {
      const sorted = [...state.keyed.values()].sort((a, b) => compareSequences(a.key, b.key))
      const rows = this.rowsOf(state.model.name)
      for (const { instance } of sorted) {
        instance.ordinal = rows.length + 1
        rows.push(instance)
      }
    }
    return { side: this.side, models: this.models, findings: this.findings }
  }

  private assignByPk(state: ModelState, instance: Instance): void {
    const rows = this.rowsOf(instance.model)
    const ordinal = rows.length + 1
    if (state.maxPk === undefined || instance.pk > state.maxPk) state.maxPk = instance.pk
    else {
      this.findings.push({
        kind: 'UnorderedInput',
        on: { model: instance.model, ordinal },
        left_pk: this.side === 'left' ? instance.pk : null,
        right_pk: this.side === 'right' ? instance.pk : null,
        reason: `instances not listed in ascending \`pk\` order; \`pk\` ${instance.pk} is less than or equal to ${state.maxPk} which precedes it`,
      })
    }
    instance.ordinal = ordinal
    rows.push(instance)
  }

  /**
   * Files the row under its custom ordinal key. Returns false, when `final` is false, if the key
   * names a user that has not been seen yet.
   */
  private keyRow(
    state: ModelState,
    instance: Instance,
    at: EntryLocation,
    final: boolean,
  ): boolean {
    const fields = state.model.customOrdinal
    const key: unknown[] = []
    for (let i = 0; i < fields.length; i++) {
      const value = instance.fields[fields[i]!]
      if (!state.throughUser[i] || value === null || value === undefined) {
        key.push(value)
        continue
      }
      if (!this.usernames.has(value)) {
        if (!final) return false
        throw this.invalid(
          `custom ordinal unresolvable: \`${fields[i]}\` points at user ${String(value)}, which is not in the backup`,
          at,
          { model: instance.model, pk: instance.pk, field: fields[i]! },
          'Custom ordinals look through foreign keys to users to their usernames, so every user they point at must be in the same backup',
        )
      }
      key.push(this.usernames.get(value))
    }
    const text = JSON.stringify(key)
    if (state.keyed.size === 0 && !this.keyedModels.includes(state)) this.keyedModels.push(state)
    if (state.keyed.has(text) && state.model.rules.duplicateOrdinal !== 'lastWins') {
      // Values an obfuscating comparator covers are shown shortened, like everywhere else.
      const shown = key.map((value, i) =>
        state.throughUser[i] ? value : (state.shorten[i]?.(value) ?? value),
      )
      this.findings.push({
        kind: 'DuplicateCustomOrdinal',
        on: { model: instance.model, ordinal: null },
        left_pk: this.side === 'left' ? instance.pk : null,
        right_pk: this.side === 'right' ? instance.pk : null,
        reason: `custom ordinal value \`${pythonTupleRepr(shown)}\` appears multiple times`,
      })
    }
    // The later row replaces the earlier one either way, so counts are taken after de-duplication.
    state.keyed.set(text, { key, instance })
    return true
  }

  private rowsOf(model: string): Instance[] {
    let rows = this.models.get(model)
    if (!rows) {
      rows = []
      this.models.set(model, rows)
    }
    return rows
  }

  private stateOf(name: string, pk: number, at: EntryLocation): ModelState {
    let state = this.states.get(name)
    if (state) return state
    const model = this.registry.get(name)
    if (!model) {
      throw this.invalid(
        `unknown model "${name}": the application has no such model`,
        at,
        { model: name, pk },
        'Compare backups of this application, or declare models it has removed in deletedModels',
      )
    }
    const comparators = this.comparators.get(name) ?? []
    state = {
      model,
      maxPk: undefined,
      keyed: new Map(),
      throughUser: model.customOrdinal.map(
        (field) =>
          this.usersModel !== undefined &&
          model.fieldsByName.get(field)?.foreignKey?.model === this.usersModel,
      ),
      shorten: model.customOrdinal.map((field) => {
        const obfuscating = comparators.find((c) => c.shorten && c.fields.includes(field))
        return obfuscating?.shorten?.bind(obfuscating)
      }),
    }
    this.states.set(name, state)
    return state
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
