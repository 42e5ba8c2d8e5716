import { describe, expect, it } from 'vitest'
import type {
  Comparator,
  ComparatorFinding,
  ComparedRow,
  CompareContext,
  FindingKind,
  InstanceId,
} from './comparator.ts'
import { usesOrdinalOnlyInFindings } from './comparator.ts'
import { jsonEqual } from './json-values.ts'

/**
 * Table tests for comparators, for vitest: one row per case, each saying what `existence`,
 * `compare` and `scrub` must give for a left and a right row (the jsondiffpatch style of
 * spec-driven examples). Every finding is checked for its kind, its instance id, both pks and
 * substrings of its reason; `compare` is also checked not to change its inputs.
 *
 * ```ts
 * tableTestComparator(trimmedEquality('name'), [
 *   { name: 'equal after trimming', left: { name: 'a ' }, right: { name: 'a' }, compare: [] },
 * ])
 * ```
 */

/** A finding a case expects. */
export interface ExpectedFinding {
  readonly kind: FindingKind
  /**
   * Texts the reason must contain; one listed n times must occur at least n times. Default: none.
   */
  readonly reason?: readonly string[]
  /** Default: the case's `on`. */
  readonly on?: InstanceId
  /** Default: the left row's pk. */
  readonly left_pk?: number | null
  /** Default: the right row's pk. */
  readonly right_pk?: number | null
}

export interface ComparatorCase {
  /** Names the behaviour, in the present tense. */
  readonly name: string
  /** The left row's fields (copied for every call). */
  readonly left: Readonly<Record<string, unknown>>
  /** The right row's fields (copied for every call). */
  readonly right: Readonly<Record<string, unknown>>
  /** Default: 1. */
  readonly leftPk?: number
  /** Default: 1. */
  readonly rightPk?: number
  /** The instance the calls are about. Default: the table's `on`. */
  readonly on?: InstanceId
  /** Passed to `compare`. Default: the table's `context`. */
  readonly context?: CompareContext
  /** What `existence` must return, in order. Not checked when absent. */
  readonly existence?: readonly ExpectedFinding[]
  /** What `compare` must return, in order. Not checked when absent. */
  readonly compare?: readonly ExpectedFinding[]
  /** `compare` must throw an error whose message contains this text. */
  readonly compareThrows?: string
  /** What `scrub` must leave in each side's `scrubbed` record (exactly). Not checked when absent. */
  readonly scrubbed?: {
    readonly left?: Readonly<Record<string, unknown>>
    readonly right?: Readonly<Record<string, unknown>>
  }
}

export interface ComparatorTableOptions {
  /** Default: `{ model: 'test.model', ordinal: 1 }`. */
  readonly on?: InstanceId
  /** Default: none, so a comparator that needs pk maps must get them per case. */
  readonly context?: CompareContext
  /** The `describe` title. Default: the comparator's name. */
  readonly title?: string
}

const DEFAULT_ON: InstanceId = { model: 'test.model', ordinal: 1 }

/** Registers one vitest test per case, under a `describe` named after the comparator. */
export function tableTestComparator(
  comparator: Comparator,
  cases: readonly ComparatorCase[],
  options: ComparatorTableOptions = {},
): void {
  describe(options.title ?? comparator.name, () => {
    it.each(cases.map((testCase) => [testCase.name, testCase] as const))(
      '%s',
      (_name, testCase) => {
        expect(checkComparatorCase(comparator, testCase, options)).toEqual([])
      },
    )
  })
}

/** Runs one case and returns what did not match; empty when the comparator behaves as expected. */
export function checkComparatorCase(
  comparator: Comparator,
  testCase: ComparatorCase,
  options: ComparatorTableOptions = {},
): string[] {
  const on = testCase.on ?? options.on ?? DEFAULT_ON
  const context = testCase.context ?? options.context
  const leftPk = testCase.leftPk ?? 1
  const rightPk = testCase.rightPk ?? 1
  const rows = () => [row(on, leftPk, testCase.left), row(on, rightPk, testCase.right)] as const
  const problems: string[] = []
  const defaults = { on, left_pk: leftPk, right_pk: rightPk }

  if (testCase.existence) {
    const [left, right] = rows()
    problems.push(
      ...matchFindings(
        'existence',
        comparator.existence(on, left, right),
        testCase.existence,
        defaults,
      ),
    )
  }
  if (testCase.compare || testCase.compareThrows !== undefined) {
    const [left, right] = rows()
    let found: ComparatorFinding[] | undefined
    try {
      found = comparator.compare(on, left, right, context)
      if (testCase.compareThrows !== undefined)
        problems.push(
          `compare: expected a throw containing "${testCase.compareThrows}", got ${found.length} findings`,
        )
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      if (testCase.compareThrows === undefined) problems.push(`compare: threw ${message}`)
      else if (!message.includes(testCase.compareThrows))
        problems.push(`compare: threw "${message}", not containing "${testCase.compareThrows}"`)
    }
    if (found && testCase.compare)
      problems.push(...matchFindings('compare', found, testCase.compare, defaults))
    if (found) problems.push(...ordinalPromiseProblems(comparator, on, found, rows, context))
    if (!jsonEqual(left.fields, testCase.left) || !jsonEqual(right.fields, testCase.right)) {
      problems.push('compare: changed its input rows (only scrub may)')
    }
  }
  if (testCase.scrubbed) {
    const [left, right] = rows()
    comparator.scrub(left, right)
    for (const [side, scrubbedRow] of [
      ['left', left],
      ['right', right],
    ] as const) {
      const expected = testCase.scrubbed[side]
      if (expected && !jsonEqual(scrubbedRow.scrubbed, expected)) {
        problems.push(
          `scrub: ${side} scrubbed ${JSON.stringify(scrubbedRow.scrubbed)}, expected ${JSON.stringify(expected)}`,
        )
      }
      for (const field of comparator.fields) {
        if (field in scrubbedRow.fields) problems.push(`scrub: ${side} still has field ${field}`)
      }
    }
  }
  return problems
}

function row(on: InstanceId, pk: number, fields: Readonly<Record<string, unknown>>): ComparedRow {
  return {
    model: on.model,
    pk,
    ordinal: 1,
    fields: structuredClone(fields) as Record<string, unknown>,
    scrubbed: {},
  }
}

function matchFindings(
  method: string,
  found: readonly ComparatorFinding[],
  expected: readonly ExpectedFinding[],
  defaults: { on: InstanceId; left_pk: number; right_pk: number },
): string[] {
  const show = (findings: readonly ComparatorFinding[]) =>
    findings.map((f) => `${f.kind}: ${f.reason}`).join(' | ') || 'none'
  if (found.length !== expected.length) {
    return [`${method}: expected ${expected.length} findings, got ${found.length}: ${show(found)}`]
  }
  const problems: string[] = []
  expected.forEach((want, index) => {
    const got = found[index]!
    const at = `${method}[${index}]`
    if (got.kind !== want.kind) problems.push(`${at}: kind ${got.kind}, expected ${want.kind}`)
    const on = want.on ?? defaults.on
    if (!jsonEqual(got.on, on))
      problems.push(`${at}: on ${JSON.stringify(got.on)}, expected ${JSON.stringify(on)}`)
    const leftPk = want.left_pk === undefined ? defaults.left_pk : want.left_pk
    const rightPk = want.right_pk === undefined ? defaults.right_pk : want.right_pk
    if (got.left_pk !== leftPk) problems.push(`${at}: left_pk ${got.left_pk}, expected ${leftPk}`)
    if (got.right_pk !== rightPk)
      problems.push(`${at}: right_pk ${got.right_pk}, expected ${rightPk}`)
    const needed = new Map<string, number>()
    for (const text of want.reason ?? []) needed.set(text, (needed.get(text) ?? 0) + 1)
    for (const [text, times] of needed) {
      if (got.reason.split(text).length - 1 < times) {
        problems.push(
          `${at}: reason "${got.reason}" does not contain "${text}"${times > 1 ? ` ${times} times` : ''}`,
        )
      }
    }
  })
  return problems
}

/**
 * A comparator that declares `ordinalOnlyInFindings` must find the same with another ordinal,
 * apart from `on` itself: `validate()` relies on it to compare keyed rows before their ordinal is
 * known.
 */
function ordinalPromiseProblems(
  comparator: Comparator,
  on: InstanceId,
  found: readonly ComparatorFinding[],
  rows: () => readonly [ComparedRow, ComparedRow],
  context: CompareContext | undefined,
): string[] {
  if (!usesOrdinalOnlyInFindings(comparator)) return []
  const moved: InstanceId = { ...on, ordinal: (on.ordinal ?? 0) + 1_000 }
  const [left, right] = rows()
  let again: ComparatorFinding[]
  try {
    again = comparator.compare(moved, left, right, context)
  } catch (error) {
    return [`compare: declares ordinalOnlyInFindings but threw with another ordinal: ${String(error)}`]
  }
  const expected = found.map((f) => (jsonEqual(f.on, on) ? { ...f, on: moved } : f))
  return jsonEqual(again, expected)
    ? []
    : ['compare: declares ordinalOnlyInFindings but finds otherwise when only `on.ordinal` changes']
}
