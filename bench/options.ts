// Command-line options of `npm run bench -- …`.
import { parseArgs } from 'node:util'

/** Comparisons and figures that `--skip` can leave out. */
export const SKIPPABLE = ['install', 'boot', 'check', 'copy', 'pgdump', 'django', 'diff', 'warm', 'cold'] as const
export type Skippable = (typeof SKIPPABLE)[number]

export interface BenchOptions {
  readonly sizes: readonly number[]
  readonly seed: number
  readonly skip: ReadonlySet<Skippable>
  /** Django's loaddata goes row by row; sizes above this are skipped for it. */
  readonly djangoMaxRows: number
  readonly diffPairs: number
  readonly coldRuns: number
  readonly warmRuns: number
  readonly out: string
  /** Per child step; a step that takes longer fails and the run goes on. */
  readonly stepTimeoutMs: number
}

export const USAGE = `usage: npm run bench -- [options]
  --sizes 10000,100000,1000000   snapshot sizes in rows (default: those three)
  --skip a,b                     leave out: ${SKIPPABLE.join(', ')}
  --seed N                       generator seed (default 1)
  --django-max-rows N            largest size Django's loaddata is run at (default 100000)
  --diff-pairs N                 row pairs for the diff libraries (default 100000)
  --cold-runs N                  fresh CLI processes per cold figure, median (default 3)
  --warm-runs N                  warm check() calls after the first, median (default 5)
  --step-timeout-s N             per measured step (default 1800)
  --out FILE                     results file (default bench/results.json)`

export function parseBenchOptions(argv: readonly string[], defaultOut: string): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      sizes: { type: 'string', default: '10000,100000,1000000' },
      skip: { type: 'string', multiple: true, default: [] },
      seed: { type: 'string', default: '1' },
      'django-max-rows': { type: 'string', default: '100000' },
      'diff-pairs': { type: 'string', default: '100000' },
      'cold-runs': { type: 'string', default: '3' },
      'warm-runs': { type: 'string', default: '5' },
      'step-timeout-s': { type: 'string', default: '1800' },
      out: { type: 'string', default: defaultOut },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
  if (values.help) return 'help'
  const sizes = values.sizes
    .split(',')
    .map((s) => s.trim().replaceAll('_', ''))
    .filter((s) => s !== '')
    .map((s) => wholeNumber('--sizes', s, 1))
  const skip = new Set<Skippable>()
  for (const word of values.skip.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean)) {
    if (!(SKIPPABLE as readonly string[]).includes(word)) throw new Error(`--skip ${word}: unknown, use some of ${SKIPPABLE.join(', ')}`)
    skip.add(word as Skippable)
  }
  return {
    sizes: [...new Set(sizes)].sort((a, b) => a - b),
    seed: wholeNumber('--seed', values.seed, 0),
    skip,
    djangoMaxRows: wholeNumber('--django-max-rows', values['django-max-rows'], 0),
    diffPairs: wholeNumber('--diff-pairs', values['diff-pairs'], 1),
    coldRuns: wholeNumber('--cold-runs', values['cold-runs'], 1),
    warmRuns: wholeNumber('--warm-runs', values['warm-runs'], 1),
    stepTimeoutMs: wholeNumber('--step-timeout-s', values['step-timeout-s'], 1) * 1000,
    out: values.out,
  }
}

function wholeNumber(option: string, text: string, min: number): number {
  const value = Number(text)
  if (!Number.isInteger(value) || value < min) throw new Error(`${option} must be a whole number of at least ${min}, not "${text}"`)
  return value
}
