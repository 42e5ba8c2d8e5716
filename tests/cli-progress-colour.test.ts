/**
 * What a person and a CI log see while a long step runs: a bar on a terminal, a plain line every
 * few seconds elsewhere, nothing with --silent; colour only on a terminal and never with NO_COLOR.
 * The display logic is checked with an explicit clock; the CLI as a real process, without a
 * terminal and on a real pseudo-terminal (util-linux `script`).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { generateSnapshot } from '../bench/generate-snapshot.ts'
import { coloursFor, colourWanted } from '../harness/cli/colours.ts'
import { createProgressDisplay, plainLine, type ProgressMode } from '../harness/cli/progress-display.ts'
import type { ProgressUpdate } from '../harness/progress/progress-events.ts'
import { runCli, runCliOnTerminal } from './support/cli.ts'

/** Any ANSI SGR sequence: what colour (and bold, dim…) is made of. */
const SGR = /\u001b\[[0-9;]*m/
const ROWS = 20_000

function display(mode: ProgressMode, intervalMs = 5_000) {
  let time = 0
  const written: string[] = []
  const shown = createProgressDisplay({ mode, write: (text) => written.push(text), intervalMs, colours: coloursFor(false, {}), now: () => time })
  return { written, at: (ms: number, update: ProgressUpdate) => ((time = ms), shown.listener?.(update)), clear: shown.clear }
}

const update = (rows: number, extra: Partial<ProgressUpdate> = {}): ProgressUpdate => ({
  step: 'import',
  subject: 'big.json',
  model: 'sentry.user',
  rows,
  modelsDone: 3,
  modelsTotal: 25,
  bytes: rows * 100,
  totalBytes: 4_000_000,
  ...extra,
})

describe('the progress display', () => {
  it('writes a plain line once per interval, then how the step ended', () => {
    const { written, at } = display('lines')
    at(0, update(0))
    at(1_000, update(10_000))
    expect(written).toEqual([])
    at(5_000, update(20_000))
    at(6_000, update(24_000))
    at(10_000, update(30_000))
    at(12_000, update(40_000, { done: true }))
    expect(written).toEqual([
      'import big.json: 50%, 20,000 rows, 4,000 rows/s, 3/25 models, now sentry.user, about 5 s left\n',
      'import big.json: 75%, 30,000 rows, 3,000 rows/s, 3/25 models, now sentry.user, about 4 s left\n',
      'import big.json: done, 40,000 rows in 12.0 s (3,333 rows/s)\n',
    ])
  })

  it('says nothing about a step that ended before its first line was due', () => {
    const { written, at } = display('lines')
    at(0, update(0))
    at(4_000, update(40_000, { done: true }))
    expect(written).toEqual([])
  })

  it('redraws one line in place on a terminal and removes it when the step ends', () => {
    const { written, at } = display('bar')
    at(0, update(0))
    at(50, update(1_000))
    at(2_000, update(20_000))
    at(3_000, update(40_000, { done: true }))
    expect(written).toHaveLength(3)
    expect(written[0]).toMatch(/^\r\u001b\[2Kimport big\.json ░{10,30}   0% 0 rows · 0\/s · models 3\/25$/)
    // 80 columns do not hold every figure and a 10-cell bar: the row count goes first.
    expect(written[1]).toMatch(/^\r\u001b\[2Kimport big\.json █{9}░{9}  50% 10,000\/s · models 3\/25 · about 2 s left$/)
    expect(written[2]).toBe('\r\u001b[2K')
    expect(written.join('')).not.toMatch(SGR)
  })

  it('writes nothing when silent', () => {
    const { written, at } = display('none')
    for (let t = 0; t <= 20_000; t += 1_000) at(t, update(t * 10, { done: t === 20_000 }))
    expect(written).toEqual([])
  })

  it('leaves out what a step does not know: no percentage, no time left', () => {
    expect(plainLine({ step: 'export', rows: 5_000, modelsDone: 1, modelsTotal: 2 }, 2_000)).toBe('export: 5,000 rows, 2,500 rows/s, 1/2 models')
  })

  it('colours only for a terminal, and never with NO_COLOR set to something', () => {
    expect(colourWanted(true, {})).toBe(true)
    expect(colourWanted(true, { NO_COLOR: '' })).toBe(true)
    expect(colourWanted(true, { NO_COLOR: '1' })).toBe(false)
    expect(colourWanted(false, {})).toBe(false)
    expect(coloursFor(true, {}).red('x')).toMatch(SGR)
    expect(coloursFor(true, { NO_COLOR: 'yes' }).red('x')).toBe('x')
  })
})

describe('roundtrip check, as a process', () => {
  let dir: string
  let snapshot: string
  let url: string
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'roundtrip-progress-'))
    snapshot = path.join(dir, 'big.json')
    await generateSnapshot(snapshot, { rows: ROWS, seed: 7 })
    url = inject('roundtripServer').maintenanceUrl
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  it('without a terminal, prints plain progress lines for import and export, and no escape codes', async () => {
    const run = await runCli(['check', snapshot, '--database-url', url], { ROUNDTRIP_PROGRESS_INTERVAL: '0.05' })
    expect(run.code, run.stderr).toBe(0)
    const lines = run.stderr.split('\n')
    const progress = (step: string) => lines.filter((line) => line.startsWith(`${step} ${snapshot}: `))
    expect(progress('import').some((line) => /: \d+%, [\d,]+ rows, [\d,]+ rows\/s, \d+\/\d+ models/.test(line))).toBe(true)
    expect(progress('import').at(-1)).toMatch(new RegExp(`: done, ${ROWS.toLocaleString('en-US')} rows in [\\d.]+ s`))
    expect(progress('export').length).toBeGreaterThan(0)
    expect(run.stderr).not.toContain('\r')
    expect(run.stderr).not.toContain('\u001b')
    expect(run.stdout).toBe('')
  })

  it('prints nothing at all with --silent', async () => {
    const run = await runCli(['check', snapshot, '--database-url', url, '--silent'], { ROUNDTRIP_PROGRESS_INTERVAL: '0.05' })
    expect(run.code, run.stderr).toBe(0)
    expect(run.stderr).toBe('')
    expect(run.stdout).toBe('')
  })

  it('on a terminal, draws a bar and colours the verdict', async () => {
    const run = await runCliOnTerminal(['check', snapshot, '--database-url', url], '', { NO_COLOR: '' })
    expect(run.code, run.output).toBe(0)
    expect(run.output).toContain('\r\u001b[2K')
    expect(run.output).toMatch(/import big\.json \u001b\[36m█/)
    expect(run.output).toMatch(/\u001b\[32mPASS\u001b\[39m/)
  })

  it('on a terminal with NO_COLOR set, still draws the bar but writes no colour', async () => {
    const run = await runCliOnTerminal(['check', snapshot, '--database-url', url], '', { NO_COLOR: '1' })
    expect(run.code, run.output).toBe(0)
    expect(run.output).toContain('\r\u001b[2K')
    expect(run.output).toMatch(/import big\.json █*░+ /)
    expect(run.output).toContain('PASS')
    expect(run.output).not.toMatch(SGR)
  })
})
