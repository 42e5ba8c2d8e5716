import { usesOrdinalOnlyInFindings, type CompareContext } from '../../comparators/comparator.ts'
import type { ComparatorMap } from '../../comparators/default-comparators.ts'
import type { ModelRegistry } from '../application/model-registry.ts'
import { isHarnessError, type HarnessError } from '../errors.ts'
import type { ComparatorFinding } from '../findings/comparator-findings.ts'
import type { NumberColumn } from './columns.ts'
import { ModelComparer, type ModelComparison, type PairwiseComparison } from './compare-model.ts'
import { release, SideIndexBuilder, type Instance, type Side } from './instance-index.ts'
import { ModelPairing, type RowPair } from './model-pairing.ts'
import { PkOrdinalStore } from './pk-ordinals.ts'
import type { ScrubCount, ValidateCounts, ValidateResult } from './validate.ts'

/**
 * One `validate()` (spec §4.1) fed entry by entry, left and right in any interleaving. Without
 * streaming, each model is compared once both sides have closed it and every model its
 * comparators look up is known, and its rows are then let go. When streaming, rows are paired as
 * they come, whichever side is ahead, and compared at once (see `ModelPairing`), so two files read
 * side by side hold almost nothing: only pairs whose foreign keys point into a model not closed
 * yet (their own, or one later in the file) wait for it. The result is the same whatever the
 * interleaving: findings are kept per model and put in Sentry's order at the end, and a comparator
 * failure is only reported if the backups turn out to have no structural findings, which would
 * have come first.
 */
export class ValidationRun {
  private readonly builders: Record<Side, SideIndexBuilder>
  private readonly pks: Record<Side, PkOrdinalStore> = {
    left: new PkOrdinalStore(),
    right: new PkOrdinalStore(),
  }
  /** Closed models not compared yet (without streaming). */
  private readonly closed: Record<Side, Map<string, Instance[]>> = {
    left: new Map(),
    right: new Map(),
  }
  /** Comparisons begun, and the index of the first pair left to compare (without streaming). */
  private readonly partial = new Map<string, { comparison: PairwiseComparison; from: number }>()
  /** When streaming: per model being read, its rows waiting for a partner and its comparison. */
  private readonly pairings = new Map<string, Pairing>()
  private readonly finished: Record<Side, boolean> = { left: false, right: false }
  /** Models whose comparison asked for pk ordinals of a model of that side not read yet. */
  private waiting: { readonly side: Side; readonly on: string; readonly model: string }[] = []
  /**
   * When streaming: pairs whose comparison asked for pk ordinals of a model of that side not
   * closed yet (their own model, or one later in the file), held until it is.
   */
  private deferred: DeferredPair[] = []
  private readonly results = new Map<string, ModelComparison>()
  private readonly failures = new Map<string, HarnessError>()
  private readonly comparer: ModelComparer
  private readonly context: CompareContext
  /** False once the rows can no longer matter: structural findings, or a side that failed. */
  private holding = true
  private voided = false
  /** When streaming: the most rows of one model that waited for their partner at once. */
  peakWaiting = 0

  /** Models whose keyed rows the right side numbered in the left's order, without sorting. */
  get keyOrdersTaken(): number {
    return this.builders.right.keyOrdersTaken
  }

  /**
   * @param streaming close models as soon as their run of entries ends and compare rows as they
   *   come; `void` then says when that was wrong for these backups and the run must be redone
   *   without streaming
   */
  constructor(
    private readonly registry: ModelRegistry,
    private readonly comparators: ComparatorMap,
    streaming: boolean,
  ) {
    const builder = (side: Side) =>
      new SideIndexBuilder(
        side,
        registry,
        comparators,
        {
          closed: (model, pks, rows, byPkOnly, keyedOrdinals) =>
            this.closedModel(side, model, pks, rows, byPkOnly, keyedOrdinals),
          ...(streaming ? { row: (instance, key) => this.row(side, instance, key) } : {}),
        },
        streaming,
      )
    this.builders = { left: builder('left'), right: builder('right') }
    // Streamed, the left side closes each model just before the right (streamFiles ends both
    // sides' runs left first). Read whole, the left closes every model before the right side
    // starts, and no keyed rows twin.
    this.builders.right.twinKeyedRowsWith(this.builders.left)
    this.comparer = new ModelComparer(comparators)
    this.context = { leftPks: this.pks.left, rightPks: this.pks.right }
  }

  /**
   * Streaming was wrong for these backups: a model's entries came in separate runs, keyed rows
   * did not pair by key, or a comparator threw on a keyed pair compared before its ordinal was
   * known. The result would be wrong, or its error imprecise; redo without streaming.
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
    for (const pairing of this.pairings.values()) {
      if (!pairing.rows.isClosed(side)) return this.stopHolding()
    }
    this.wake(side, undefined)
  }

  /** Stops keeping rows: what is left to learn is structural (counts, errors). */
  stopHolding(): void {
    this.holding = false
    for (const side of ['left', 'right'] as const) this.closed[side].clear()
    this.pairings.clear()
    this.partial.clear()
    this.waiting = []
    this.deferred = []
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

  /** @param rows the instances, unless they were handed over one by one (streaming) */
  private closedModel(
    side: Side,
    model: string,
    pks: NumberColumn,
    rows: Instance[] | undefined,
    byPkOnly: boolean,
    keyedOrdinals: Uint32Array | undefined,
  ): void {
    if (!this.holding) return
    if (this.structural()) return this.stopHolding()
    this.pks[side].add(model, pks, byPkOnly)
    const other = otherSide(side)
    const pairing = this.pairings.get(model)
    if (pairing) this.closePairing(side, model, pairing, pks.length, keyedOrdinals)
    // Streamed rows the run did not pair: it was voided, and is redone holding them.
    else if (rows === undefined) return
    else {
      this.closed[side].set(model, rows)
      if (this.closed[other].has(model)) this.compare(model)
      else if (this.finished[other]) return this.stopHolding()
    }
    if (this.holding) this.wake(side, model)
  }

  /**
   * When streaming: pairs a row of `side` with the other side's and compares them. Compared rows
   * are let go of (`release`); the index keeps only their pks.
   */
  private row(side: Side, instance: Instance, key: readonly unknown[] | undefined): void {
    if (!this.holding || this.voided) return release(instance)
    if (this.structural()) {
      this.stopHolding()
      return release(instance)
    }
    const model = instance.model
    let pairing = this.pairings.get(model)
    if (pairing === undefined) {
      pairing = {
        rows: new ModelPairing(),
        comparison: this.comparer.start(model),
        owners: [],
        keyedOrdinals: { left: undefined, right: undefined },
        early: (this.comparators.get(model) ?? []).every(usesOrdinalOnlyInFindings),
        held: [],
        deferred: 0,
        finishing: false,
        failure: undefined,
      }
      this.pairings.set(model, pairing)
    }
    const other = pairing.rows.add(side, instance, key)
    if (other === undefined) {
      this.peakWaiting = Math.max(this.peakWaiting, pairing.rows.waitingRows)
      return
    }
    const left = side === 'left' ? instance : other
    const right = side === 'left' ? other : instance
    if (key === undefined) this.comparePairing(pairing, left, right, instance.ordinal)
    // A keyed pair's ordinal comes when the model is closed: its findings are put on it then.
    else if (pairing.early) this.comparePairing(pairing, left, right, 0)
    else pairing.held.push({ left, right })
  }

  /**
   * Compares a pair as it comes, then lets go of its rows. A pair whose lookup must wait for a
   * model not closed yet is held until it is (`wake`); a comparator that throws is the model's
   * failure (see `finishPairing`).
   */
  private comparePairing(pairing: Pairing, left: Instance, right: Instance, ordinal: number): void {
    const { comparison, owners } = pairing
    try {
      this.comparer.comparePair(comparison, ordinal, left, right, this.context, this.waited)
    } catch (error) {
      const wait = this.takeWait()
      if (wait !== undefined) {
        pairing.deferred++
        this.deferred.push({ ...wait, pairing, left, right, ordinal })
        return
      }
      // A comparator threw: the model's failure is its pair first in ordinal order, as Sentry
      // compares them. A keyed pair compared as it came (ordinal 0) has no ordinal yet to tell:
      // the rows are read again, held.
      if (ordinal === 0 || !isHarnessError(error, 'COMPARATOR_FAILED')) {
        this.voided = true
        return
      }
      if (pairing.failure === undefined || ordinal < pairing.failure.ordinal) {
        pairing.failure = { ordinal, error }
      }
      release(left)
      release(right)
      return
    }
    // The left row's ordinal is final once its model closes (a keyed row gets it then).
    while (owners.length < comparison.findings.length) owners.push(left)
    release(left)
    release(right)
  }

  private closePairing(
    side: Side,
    model: string,
    pairing: Pairing,
    count: number,
    keyedOrdinals: Uint32Array | undefined,
  ): void {
    pairing.rows.close(side, count)
    pairing.keyedOrdinals[side] = keyedOrdinals
    if (!pairing.rows.closed) {
      if (this.finished[otherSide(side)]) this.stopHolding()
      return
    }
    this.pairings.delete(model)
    if (pairing.rows.unequalCounts) return this.stopHolding()
    if (pairing.rows.unmatched) {
      this.voided = true
      return
    }
    this.finishPairing(pairing)
  }

  /**
   * Ends the comparison of a model both sides have closed with the same rows, once none of its
   * pairs waits for a lookup; else when the last of them has been compared (`wake`).
   */
  private finishPairing(pairing: Pairing): void {
    // Keyed rows learn their ordinals now: those that gave findings, and those held back.
    const { owners, held } = pairing
    const learn = (row: Instance, side: Side) => {
      if (row.position >= 0) row.ordinal = pairing.keyedOrdinals[side]![row.position]!
    }
    for (const owner of owners) learn(owner, 'left')
    for (const { left, right } of held) {
      learn(left, 'left')
      learn(right, 'right')
    }
    // Keyed pairs whose comparators may look at the ordinal, now that it is known.
    held.sort((a, b) => a.left.ordinal - b.left.ordinal)
    for (const { left, right } of held.splice(0)) {
      this.comparePairing(pairing, left, right, left.ordinal)
    }
    if (this.voided) return
    if (pairing.deferred > 0) {
      pairing.finishing = true
      return
    }
    const model = pairing.comparison.model
    if (pairing.failure !== undefined) {
      this.failures.set(model, pairing.failure.error)
      return
    }
    const comparison = this.comparer.end(pairing.comparison)
    // Findings go by ordinal (pairs completed in any order), each pair's in their order.
    const found = comparison.findings.slice()
    const order = found.map((_, index) => index)
    order.sort((a, b) => owners[a]!.ordinal - owners[b]!.ordinal || a - b)
    order.forEach((from, to) => {
      const finding = found[from]!
      const ordinal = owners[from]!.ordinal
      comparison.findings[to] =
        finding.on.ordinal === ordinal ? finding : { ...finding, on: { ...finding.on, ordinal } }
    })
    this.results.set(model, comparison)
  }

  /**
   * Compares again the models, and the pairs, that waited for `model` (any model when undefined)
   * of `side`.
   */
  private wake(side: Side, model: string | undefined): void {
    const isReady = (w: { side: Side; on: string }) =>
      w.side === side && (model === undefined || w.on === model)
    const pairs = this.deferred.filter(isReady)
    if (pairs.length > 0) {
      this.deferred = this.deferred.filter((w) => !isReady(w))
      for (const { pairing, left, right, ordinal } of pairs) {
        if (!this.holding || this.voided) return
        pairing.deferred--
        this.comparePairing(pairing, left, right, ordinal)
        if (pairing.deferred === 0 && pairing.finishing) this.finishPairing(pairing)
      }
    }
    const ready = this.waiting.filter(isReady)
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
  }
}

/** A model's rows being paired as they come, and the comparison of the pairs so far. */
interface Pairing {
  readonly rows: ModelPairing
  readonly comparison: PairwiseComparison
  /** Per finding, the left row of its pair, whose ordinal is final once the model closes. */
  readonly owners: Instance[]
  /** Per side, once closed, the ordinal of each keyed row by its `position`. */
  readonly keyedOrdinals: Record<Side, Uint32Array | undefined>
  /** Every comparator of the model uses `on.ordinal` only on findings: keyed pairs go at once. */
  readonly early: boolean
  /** Keyed pairs kept until the model closes, when `early` is false. */
  readonly held: RowPair[]
  /** Pairs waiting for a lookup (in `ValidationRun.deferred`). */
  deferred: number
  /** Both sides closed the model while pairs were still waiting. */
  finishing: boolean
  /** The comparator failure of the pair first in ordinal order, if one threw. */
  failure: { readonly ordinal: number; readonly error: HarnessError } | undefined
}

/** A pair whose comparison waits for the pk ordinals of model `on` of `side`. */
interface DeferredPair {
  readonly side: Side
  readonly on: string
  readonly pairing: Pairing
  readonly left: Instance
  readonly right: Instance
  readonly ordinal: number
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
