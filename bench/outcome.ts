// Every figure of the bench is an Outcome: measured, failed (the run went on without it) or
// skipped (a tool is missing, or the figure was not asked for), always with the reason.
import { describeError } from '../harness/errors.ts'

export type Outcome<T> =
  | { readonly status: 'ok'; readonly value: T }
  | { readonly status: 'failed'; readonly error: string }
  | { readonly status: 'skipped'; readonly reason: string }

export function ok<T>(value: T): Outcome<T> {
  return { status: 'ok', value }
}

export function skipped<T = never>(reason: string): Outcome<T> {
  return { status: 'skipped', reason }
}

export function failed<T = never>(error: unknown): Outcome<T> {
  return { status: 'failed', error: typeof error === 'string' ? error : describeError(error) }
}

/** The value, or undefined when the figure was not measured. */
export function valueOf<T>(outcome: Outcome<T> | undefined): T | undefined {
  return outcome?.status === 'ok' ? outcome.value : undefined
}

/**
 * Runs one measured step; an error is printed at once and becomes a failed figure, so one
 * broken step never ends the run.
 */
export async function attempt<T>(label: string, run: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return ok(await run())
  } catch (error) {
    const outcome = failed<T>(error)
    const message = outcome.status === 'failed' ? outcome.error.replace(/\s+/g, ' ') : ''
    process.stderr.write(`bench: ${label} failed: ${message.length > 300 ? `${message.slice(0, 299)}…` : message}\n`)
    return outcome
  }
}

/** Combines two figures: ok only when both are. */
export function both<A, B, R>(a: Outcome<A>, b: Outcome<B>, combine: (a: A, b: B) => R): Outcome<R> {
  if (a.status !== 'ok') return a
  if (b.status !== 'ok') return b
  return ok(combine(a.value, b.value))
}
