import path from 'node:path'
import { fractionDone, type ProgressListener, type ProgressUpdate } from '../progress/progress-events.ts'
import type { Colours } from './colours.ts'
import type { CliIo } from './output.ts'

/**
 * `bar`: one line redrawn in place, for a person at a terminal. `lines`: a plain line every few
 * seconds, for CI logs, which keep every byte and do not understand carriage returns. `none`: quiet.
 */
export type ProgressMode = 'bar' | 'lines' | 'none'

export interface ProgressDisplayOptions {
  readonly mode: ProgressMode
  /** Writes text as given (the bar redraws its line with `\r`). */
  readonly write: (text: string) => void
  /** How often `lines` mode prints. Default: 5 000 ms. */
  readonly intervalMs?: number
  /** Terminal width the bar must fit in. Default: 80. */
  readonly columns?: number
  readonly colours: Colours
  /** The clock, in ms. Default: `performance.now`. */
  readonly now?: () => number
}

export interface ProgressDisplay {
  /** Undefined when nothing is shown, so the engine skips the work progress costs (an export's row count). */
  readonly listener: ProgressListener | undefined
  /** Removes the bar, so other output starts on a clean line. */
  clear(): void
}

/** The default gap between plain progress lines. */
export const DEFAULT_PROGRESS_INTERVAL_MS = 5_000
/** The bar is redrawn at most this often: more costs time and shows nothing new. */
const REDRAW_MS = 100
const CLEAR_LINE = '\r\u001b[2K'

interface StepState {
  readonly startedAt: number
  lastShownAt: number
  shownAny: boolean
}

export function createProgressDisplay(options: ProgressDisplayOptions): ProgressDisplay {
  const now = options.now ?? (() => performance.now())
  const interval = options.intervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS
  const steps = new Map<string, StepState>()
  let barShown = false

  const clear = () => {
    if (!barShown) return
    options.write(CLEAR_LINE)
    barShown = false
  }
  if (options.mode === 'none') return { listener: undefined, clear }

  const listener: ProgressListener = (update) => {
    const key = `${update.step}\u0000${update.subject ?? ''}`
    const time = now()
    let state = steps.get(key)
    if (!state) steps.set(key, (state = { startedAt: time, lastShownAt: time, shownAny: false }))
    const elapsed = time - state.startedAt
    if (options.mode === 'bar') {
      if (update.done) {
        steps.delete(key)
        clear()
        return
      }
      if (state.shownAny && time - state.lastShownAt < REDRAW_MS) return
      state.lastShownAt = time
      state.shownAny = true
      options.write(`${CLEAR_LINE}${barLine(update, elapsed, options.columns ?? 80, options.colours)}`)
      barShown = true
      return
    }
    if (update.done) {
      steps.delete(key)
      // A step that finished before its first line went by unannounced; one that was announced
      // says how it ended, so a log never stops at "45%".
      if (state.shownAny) options.write(`${doneLine(update, elapsed)}\n`)
      return
    }
    if (time - state.lastShownAt < interval) return
    state.lastShownAt = time
    state.shownAny = true
    options.write(`${plainLine(update, elapsed)}\n`)
  }
  return { listener, clear }
}

function title(update: ProgressUpdate): string {
  return update.subject ? `${update.step} ${update.subject}` : update.step
}

/** `import snapshots/big.json: 45%, 12,345 rows, 4,321 rows/s, 3/25 models, about 5 s left` */
export function plainLine(update: ProgressUpdate, elapsedMs: number): string {
  const fraction = fractionDone(update)
  const parts = [
    ...(fraction !== undefined ? [`${Math.floor(fraction * 100)}%`] : []),
    `${count(update.rows)} rows`,
    `${count(rate(update.rows, elapsedMs))} rows/s`,
    `${update.modelsDone}/${update.modelsTotal} models`,
    ...(update.model ? [`now ${update.model}`] : []),
    ...timeLeft(fraction, elapsedMs),
  ]
  return `${title(update)}: ${parts.join(', ')}`
}

function doneLine(update: ProgressUpdate, elapsedMs: number): string {
  return `${title(update)}: done, ${count(update.rows)} rows in ${(elapsedMs / 1000).toFixed(1)} s (${count(rate(update.rows, elapsedMs))} rows/s)`
}

function barLine(update: ProgressUpdate, elapsedMs: number, columns: number, colours: Colours): string {
  const fraction = fractionDone(update)
  // A terminal line is short: the file's name, not its folder.
  const name = update.subject ? `${update.step} ${path.basename(update.subject)}` : update.step
  const stats = [
    { text: `${count(update.rows)} rows`, drop: 1 },
    { text: `${count(rate(update.rows, elapsedMs))}/s`, drop: 4 },
    { text: `models ${update.modelsDone}/${update.modelsTotal}`, drop: 2 },
    ...timeLeft(fraction, elapsedMs).map((text) => ({ text, drop: 3 })),
  ]
  const percent = fraction === undefined ? '' : `${String(Math.floor(fraction * 100)).padStart(3)}%`
  // Drop the least useful figures until the bar has at least 10 cells (at most 30).
  for (let dropped = 0; dropped <= stats.length; dropped += 1) {
    const text = stats.filter((stat) => stat.drop > dropped).map((stat) => stat.text).join(' · ')
    if (fraction === undefined) {
      if (name.length + text.length + 2 <= columns || dropped === stats.length) return fit(`${name} ${text}`.trimEnd(), columns)
      continue
    }
    const room = columns - 1 - name.length - percent.length - text.length - 3
    if (room < 10) continue
    const width = Math.min(30, room)
    const filled = Math.round(fraction * width)
    const bar = colours.cyan('█'.repeat(filled)) + colours.dim('░'.repeat(width - filled))
    return `${name} ${bar} ${percent} ${text}`.trimEnd()
  }
  return fit(`${name} ${percent}`, columns)
}

function timeLeft(fraction: number | undefined, elapsedMs: number): string[] {
  // Before 2% or a second in, an estimate is noise.
  if (fraction === undefined || fraction < 0.02 || elapsedMs < 1_000) return []
  const seconds = Math.ceil(((elapsedMs / fraction) * (1 - fraction)) / 1000)
  return [seconds >= 90 ? `about ${Math.round(seconds / 60)} min left` : `about ${seconds} s left`]
}

function rate(rows: number, elapsedMs: number): number {
  return elapsedMs > 0 ? Math.round((rows * 1000) / elapsedMs) : 0
}

function count(n: number): string {
  return n.toLocaleString('en-US')
}

function fit(text: string, columns: number): string {
  return text.length <= columns - 1 ? text : `${text.slice(0, Math.max(0, columns - 2))}…`
}

/**
 * The display a command's `--silent` flag and its stderr call for: nothing when silent, a bar on a
 * terminal, plain lines otherwise, every `ROUNDTRIP_PROGRESS_INTERVAL` seconds (default 5).
 */
export function progressFor(io: CliIo, silent: boolean | undefined, colours: Colours): ProgressDisplay {
  const terminal = io.errIsTerminal ?? false
  const mode: ProgressMode = silent ? 'none' : terminal ? 'bar' : 'lines'
  const seconds = Number(io.env?.ROUNDTRIP_PROGRESS_INTERVAL)
  return createProgressDisplay({
    mode,
    write: io.errRaw ?? ((text) => io.err(text.replace(/\n$/, ''))),
    colours,
    intervalMs: Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : DEFAULT_PROGRESS_INTERVAL_MS,
    columns: (terminal && process.stderr.columns) || 80,
  })
}
