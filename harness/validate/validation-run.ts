import type { CompareContext } from '../../comparators/comparator.ts'
import type { ComparatorMap } from '../../comparators/default-comparators.ts'
import type { ModelRegistry } from '../application/model-registry.ts'
import { isHarnessError, type HarnessError } from '../errors.ts'
import type { ComparatorFinding } from '../findings/comparator-findings.ts'
import { ModelComparer, type ModelComparison, type PairwiseComparison } from './compare-model.ts'
import { SideIndexBuilder, type Instance, type Side } from './instance-index.ts'
import { PkOrdinalStore } from './pk-ordinals.ts'
import type { ScrubCount, ValidateCounts, ValidateResult } from './validate.ts'

/** A model of one side compared row by row, as it is read, against the other side's closed rows. */
interface Stream {
  readonly side: Side
  /** The other side's instances, by ordinal - 1; each is let go once paired. */
  readonly held: (Instance | undefined)[]
  /** Keyed models: the other side's ordinal of each custom ordinal key. */
  readonly ordinals: Map<string, number> | undefined
  readonly comparison: PairwiseComparison
  /** Keyed models: the pair ordinal of each finding, as pairs come in any order. */
  readonly findingOrdinals: number[] | undefined
  /** The first ordinal not streamed, when a lookup had to wait: the rest is compared later. */
  stoppedAt: number | undefined
  failure: { readonly ordinal: number; readonly error: HarnessError } | undefined
}

/**
 * One `validate()` (spec §4.1) fed entry by entry, left and right in any interleaving. Each model
 * is compared as soon as both sides have it and every model its comparators look up is known,
 * and its rows are then let go; when streaming, a model one side has closed is compared with the
 * other side's rows as they come, so that side holds none of them. The result is the same
 * whatever the interleaving: findings are kept per model and put in Sentry's order at the end,
 * and a comparator failure is only reported if the backups turn out to have no structural
 * findings, which would have come first.
 */
export class ValidationRun {
  private readonly builders: Record<Side, SideIndexBuilder>
  private readonly pks: Record<Side, PkOrdinalStore> = {
    left: new PkOrdinalStore(),
    right: new PkOrdinalStore(),
  }
  /** Closed models not compared yet. */
  private readonly closed: Record<Side, Map<string, Instance[]>> = {
    left: new Map(),
    right: new Map(),
  }
  /** The custom ordinal keys of closed models whose rows are all keyed, by ordinal - 1. */
  private readonly closedKeys: Record<Side, Map<string, readonly string[]>> = {
    left: new Map(),
    right: new Map(),
  }
  /** Per side, per model read on it: its stream, or null when it is not streamed. */
  private readonly streams: Record<Side, Map<string, Stream | null>> = {
    left: new Map(),
    right: new Map(),
  }
  /** Comparisons begun, and the index of the first pair left to compare. */
  private readonly partial = new Map<string, { comparison: PairwiseComparison; from: number }>()
  private readonly finished: Record<Side, boolean> = { left: false, right: false }
  /** Models whose comparison asked for pk ordinals of a model of that side not read yet. */
  private waiting: { readonly side: Side; readonly on: string; readonly model: string }[] = []
  private readonly results = new Map<string, ModelComparison>()
  private readonly failures = new Map<string, HarnessError>()
  private readonly comparer: ModelComparer
  private readonly context: CompareContext
  /** False once the rows can no longer matter: structural findings, or a side that failed. */
  private holding = true
  private voided = false

  /**
   * @param streaming close models as soon as their run of entries ends and compare rows as they
   *   come; `void` then says when that was wrong for these backups and the run must be redone
   *   without streaming
   */
  constructor(
    private readonly registry: ModelRegistry,
    comparators: ComparatorMap,
    private readonly streaming: boolean,
  ) {
    const builder = (side: Side) =>
      new SideIndexBuilder(
        side,
        registry,
        comparators,
        {
          closed: (model, rows, byPkOnly, keys) => this.closedModel(side, model, rows, byPkOnly, keys),
          ...(streaming ? { row: (instance, key) => this.row(side, instance, key) } : {}),
        },
        streaming,
      )
    this.builders = { left: builder('left'), right: builder('right') }
    this.comparer = new ModelComparer(comparators)
    this.context = { leftPks: this.pks.left, rightPks: this.pks.right }
  }

  /**
   * Streaming was wrong for these backups: a model's entries came in separate runs, or keyed
   * rows could not be paired as they came. The result would be wrong; redo without streaming.
   */
  get void(): boolean {
    return this.voided || this.builders.left.reopened || this.builders.right.reopened
  }

  /**
   * Adds one entry of a side; returns true when it starts a run of another model.
   * @throws HarnessError `BACKUP_INVALID` for an entry of an unknown model or of the wrong shape
   */
  add(
    side: Side,
    value: unknown,
    text?: string,
    file?: string,
    line?: number,
    column?: number,
  ): boolean {
    return this.builders[side].add(value, text, file, line, column)
  }

  /**
   * Whether the entry continues the side's current run of entries (or there is none yet); false
   * for an entry of another model, which should wait until the run has been ended with `endRun`.
   */
  continuesRun(side: Side, value: unknown): boolean {
    const current = this.builders[side].currentModel
    if (current === undefined || typeof value !== 'object' || value === null) return true
    const model = (value as { model?: unknown }).model
    return model === current || typeof model !== 'string' || this.registry.deletedModels.has(model)
  }

  /** Ends the side's current run of entries, so its model is closed before another starts. */
  endRun(side: Side): void {
    this.builders[side].endRun()
  }

  /**
   * Ends a side.
   * @throws HarnessError `BACKUP_INVALID` for a custom ordinal naming a user not in the backup
   */
  finish(side: Side, file?: string): void {
    this.builders[side].finish(file)
    this.pks[side].finish()
    this.finished[side] = true
    if (!this.holding) return
    const other = otherSide(side)
    // A model the other side has and this one never had: the counts differ.
    for (const model of this.closed[other].keys()) {
      if (!this.closed[side].has(model)) return this.stopHolding()
    }
    this.wake(side, undefined)
  }

  /** Stops keeping rows: what is left to learn is structural (counts, errors). */
  stopHolding(): void {
    this.holding = false
    for (const side of ['left', 'right'] as const) {
      this.closed[side].clear()
      this.closedKeys[side].clear()
      this.streams[side].clear()
    }
    this.partial.clear()
    this.waiting = []
    this.results.clear()
    this.failures.clear()
  }

  /**
   * The findings and counts, once both sides are finished.
   * @throws HarnessError `COMPARATOR_FAILED` when a comparator threw (for the first model, in the
   *   order of the findings, where one did)
   */
  result(): ValidateResult {
    const left = this.builders.left
    const right = this.builders.right
    const leftCounts = left.counts()
    const rightCounts = right.counts()
    const modelNames = [...new Set([...leftCounts.keys(), ...rightCounts.keys()])].sort()
    const findings: ComparatorFinding[] = [...left.findings, ...right.findings]
    for (const model of modelNames) {
      const leftCount = leftCounts.get(model) ?? 0
      const rightCount = rightCounts.get(model) ?? 0
      if (leftCount !== rightCount) {
        findings.push({
          kind: 'UnequalCounts',
          on: { model, ordinal: null },
          left_pk: null,
          right_pk: null,
          reason: `counted ${leftCount} left entries and ${rightCount} right entries`,
        })
      }
    }
    const counts = (compared: ReadonlyMap<string, ModelComparison>): ValidateCounts =>
      summarise(modelNames, leftCounts, rightCounts, compared)
    // Wrong counts or order mean the instances cannot be paired: nothing more is meaningful.
    if (findings.length > 0) return { findings, counts: counts(new Map()) }
    for (const model of right.modelOrder()) {
      const failure = this.failures.get(model)
      if (failure) throw failure
      const comparison = this.results.get(model)
      if (!comparison) throw new Error(`validate: model ${model} was never compared`)
      for (const finding of comparison.findings) findings.push(finding)
    }
    return { findings, counts: counts(this.results) }
  }

  /** Whether a lookup could not be answered yet (even if a comparator caught its throw). */
  private readonly waited = (): boolean =>
    this.pks.left.hasDeferral() || this.pks.right.hasDeferral()

  /** The side and model a lookup waited for, forgotten once taken. */
  private takeWait(): { side: Side; on: string } | undefined {
    const left = this.pks.left.takeDeferral()
    const right = this.pks.right.takeDeferral()
    if (left !== undefined) return { side: 'left', on: left }
    if (right !== undefined) return { side: 'right', on: right }
    return undefined
  }

  private structural(): boolean {
    return this.builders.left.findings.length > 0 || this.builders.right.findings.length > 0
  }

  private closedModel(
    side: Side,
    model: string,
    rows: Instance[],
    byPkOnly: boolean,
    keys: readonly string[] | undefined,
  ): void {
    if (!this.holding) return
    if (this.structural()) return this.stopHolding()
    this.pks[side].add(model, rows, byPkOnly)
    const other = otherSide(side)
    const stream = this.streams[side].get(model)
    if (stream) this.endStream(model, stream, rows)
    else {
      this.closed[side].set(model, rows)
      if (keys) this.closedKeys[side].set(model, keys)
      if (this.closed[other].has(model)) this.compare(model)
      else if (this.finished[other]) return this.stopHolding()
    }
    if (this.holding) this.wake(side, model)
  }

  /** A row of `side` has its ordinal or key: compares it at once when its model is streamed. */
  private row(side: Side, instance: Instance, key: string | undefined): boolean {
    if (!this.holding) return false
    const model = instance.model
    let stream = this.streams[side].get(model)
    if (stream === undefined) {
      stream = this.startStream(side, model)
      this.streams[side].set(model, stream)
    }
    if (stream === null || stream.stoppedAt !== undefined) return false
    if (this.structural()) {
      this.stopHolding()
      return false
    }
    const ordinal = stream.ordinals ? stream.ordinals.get(key!) : instance.ordinal
    const other = ordinal === undefined ? undefined : stream.held[ordinal - 1]
    if (ordinal === undefined || other === undefined) {
      // A key the other side does not have, or has paired already: pairs by ordinal would differ.
      if (stream.ordinals) this.voided = true
      // More rows than the other side has.
      else this.stopHolding()
      return false
    }
    // Rows numbered by pk come in ordinal order: after a failure nothing more counts.
    if (stream.failure === undefined || stream.ordinals) {
      // Keyed rows get their ordinal when the model closes; it will be this one.
      instance.ordinal = ordinal
      const [left, right] = side === 'right' ? [other, instance] : [instance, other]
      const comparison = stream.comparison
      try {
        this.comparer.comparePair(comparison, ordinal, left, right, this.context, this.waited)
      } catch (error) {
        if (this.takeWait() !== undefined) return this.stopStream(stream, ordinal)
        if (!isHarnessError(error, 'COMPARATOR_FAILED')) throw error
        if (stream.failure === undefined || ordinal < stream.failure.ordinal) {
          stream.failure = { ordinal, error }
        }
      }
      const ordinals = stream.findingOrdinals
      if (ordinals) while (ordinals.length < comparison.findings.length) ordinals.push(ordinal)
    }
    stream.held[ordinal - 1] = undefined
    return true
  }

  private startStream(side: Side, model: string): Stream | null {
    const other = otherSide(side)
    const held = this.closed[other].get(model)
    const registered = this.registry.get(model)
    if (!held || !registered || this.partial.has(model)) return null
    const keyed = registered.customOrdinal.length > 0
    // Rows numbered by pk pair in file order, rows all keyed by key; a mix is held.
    if (keyed && registered.rules.customOrdinalWhen) return null
    const keys = this.closedKeys[other].get(model)
    if (keyed && !keys) return null
    return {
      side,
      held,
      ordinals: keys ? new Map(keys.map((key, index) => [key, index + 1])) : undefined,
      comparison: this.comparer.start(model),
      findingOrdinals: keyed ? [] : undefined,
      stoppedAt: undefined,
      failure: undefined,
    }
  }

  /**
   * A lookup had to wait: the rest of the model is compared once it is closed and the lookup
   * can be answered. Keyed rows come in any order, so for them streaming is given up.
   */
  private stopStream(stream: Stream, ordinal: number): boolean {
    if (stream.ordinals) this.voided = true
    else stream.stoppedAt = ordinal
    return false
  }

  private endStream(model: string, stream: Stream, rows: Instance[]): void {
    const other = otherSide(stream.side)
    this.streams[stream.side].set(model, null)
    if (rows.length !== stream.held.length) return this.stopHolding()
    if (stream.stoppedAt !== undefined && stream.failure === undefined) {
      // Compare the rest the ordinary way, from where the stream stopped.
      this.closed[stream.side].set(model, rows)
      this.partial.set(model, { comparison: stream.comparison, from: stream.stoppedAt - 1 })
      this.compare(model)
      return
    }
    this.closed[other].delete(model)
    this.closedKeys[other].delete(model)
    if (stream.failure) {
      this.failures.set(model, stream.failure.error)
      return
    }
    const comparison = this.comparer.end(stream.comparison)
    const ordinals = stream.findingOrdinals
    if (ordinals && ordinals.length > 1) {
      // Pairs came in the streamed side's order; findings go by ordinal, each pair's in order.
      const order = ordinals.map((_, index) => index)
      order.sort((a, b) => ordinals[a]! - ordinals[b]! || a - b)
      const found = comparison.findings.slice()
      order.forEach((from, to) => (comparison.findings[to] = found[from]!))
    }
    this.results.set(model, comparison)
  }

  /** Compares again the models that waited for `model` (any model when undefined) of `side`. */
  private wake(side: Side, model: string | undefined): void {
    const ready = this.waiting.filter((w) => w.side === side && (model === undefined || w.on === model))
    if (ready.length === 0) return
    this.waiting = this.waiting.filter((w) => !ready.includes(w))
    for (const { model: waiting } of ready) if (this.holding) this.compare(waiting)
  }

  /** Compares a model both sides have closed, from where an earlier attempt stopped. */
  private compare(model: string): void {
    const lefts = this.closed.left.get(model)!
    const rights = this.closed.right.get(model)!
    if (lefts.length !== rights.length) return this.stopHolding()
    const begun = this.partial.get(model)
    const comparison = begun?.comparison ?? this.comparer.start(model)
    let index = begun?.from ?? 0
    try {
      for (; index < rights.length; index++) {
        const left = lefts[index]!
        this.comparer.comparePair(comparison, index + 1, left, rights[index]!, this.context, this.waited)
      }
    } catch (error) {
      const wait = this.takeWait()
      if (wait !== undefined) {
        this.partial.set(model, { comparison, from: index })
        this.waiting.push({ ...wait, model })
        return
      }
      if (!isHarnessError(error, 'COMPARATOR_FAILED')) throw error
      this.failures.set(model, error)
    }
    if (!this.failures.has(model)) this.results.set(model, this.comparer.end(comparison))
    this.partial.delete(model)
    this.closed.left.delete(model)
    this.closed.right.delete(model)
    this.closedKeys.left.delete(model)
    this.closedKeys.right.delete(model)
  }
}

function otherSide(side: Side): Side {
  return side === 'left' ? 'right' : 'left'
}

function summarise(
  modelNames: readonly string[],
  left: ReadonlyMap<string, number>,
  right: ReadonlyMap<string, number>,
  compared: ReadonlyMap<string, ModelComparison>,
): ValidateCounts {
  const models = modelNames.map((model) => ({
    model,
    leftInstances: left.get(model) ?? 0,
    rightInstances: right.get(model) ?? 0,
    comparedInstances: compared.get(model)?.instances ?? 0,
    comparedFields: compared.get(model)?.fields ?? 0,
  }))
  const scrubbed: ScrubCount[] = []
  for (const model of modelNames) {
    for (const [key, instances] of compared.get(model)?.scrubs ?? []) {
      const [comparator = key, field = ''] = key.split('::')
      scrubbed.push({ model, comparator, field, instances })
    }
  }
  const order = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
  scrubbed.sort(
    (a, b) =>
      order(a.model, b.model) || order(a.comparator, b.comparator) || order(a.field, b.field),
  )
  return { models, scrubbed }
}
