// Validate of two identical generated exports (100,000 rows by default), streamed from files as
// `roundtrip compare` reads them: the figure the issue asks for. Run on its own with
// `npx tsx bench/validate.ts [--rows N]`, or on existing files with `--left a.json --right b.json`;
// nothing here is asserted.
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { defaultComparators } from '../comparators/default-comparators.ts'
import { loadApplication } from '../harness/application/load-application.ts'
import { validateBackups } from '../harness/validate/validate.ts'
import { generateSnapshot } from './generate-snapshot.ts'

export interface ValidateFigures {
  readonly rows: number
  /** Reading both files and validating them, end to end. */
  readonly validateMs: number
  readonly findings: number
  readonly heapUsedMb: number
  /** CPU time (user and system) of the validation: steadier than wall time on a busy machine. */
  readonly cpuMs: number
  /** Peak resident set size of the whole process so far (`process.resourceUsage().maxRSS`). */
  readonly maxRssMb: number
}

export async function benchValidate(rows = 100_000): Promise<ValidateFigures> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rt-bench-validate-'))
  try {
    const left = path.join(dir, 'left.json')
    const right = path.join(dir, 'right.json')
    await generateSnapshot(left, { rows })
    await generateSnapshot(right, { rows })
    return await benchValidateFiles(left, right, rows)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** Validates two existing files; `rows` is only reported. */
export async function benchValidateFiles(
  left: string,
  right: string,
  rows: number,
): Promise<ValidateFigures> {
  const application = await loadApplication({
    dir: path.join(import.meta.dirname, '..', 'prisma'),
  })
  const comparators = defaultComparators(application.registry)
  const started = performance.now()
  const cpu = process.cpuUsage()
  const result = await validateBackups(left, right, {
    registry: application.registry,
    comparators,
  })
  const validateMs = Math.round(performance.now() - started)
  const used = process.cpuUsage(cpu)
  return {
    rows,
    validateMs,
    findings: result.findings.length,
    heapUsedMb: Math.round(process.memoryUsage().heapUsed / 1e6),
    cpuMs: Math.round((used.user + used.system) / 1000),
    maxRssMb: Math.round(process.resourceUsage().maxRSS / 1e3),
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string', default: '100000' },
      left: { type: 'string' },
      right: { type: 'string' },
    },
  })
  const rows = Number(values.rows)
  const figures =
    values.left && values.right
      ? await benchValidateFiles(values.left, values.right, rows)
      : await benchValidate(rows)
  const rate = Math.round(figures.rows / (figures.validateMs / 1000))
  process.stdout.write(
    `validate of two ${figures.rows}-row exports: ${(figures.validateMs / 1000).toFixed(2)} s (${rate} rows/s), CPU ${(figures.cpuMs / 1000).toFixed(2)} s, ${figures.findings} findings, heap ${figures.heapUsedMb} MB, peak RSS ${figures.maxRssMb} MB\n`,
  )
}
