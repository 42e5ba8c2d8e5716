// One measured bench step in a process of its own, so that its peak RSS is its own:
//   node --import tsx bench/steps/worker.ts <step> '<json args>'
// Prints one `BENCH_RESULT {…}` line on stdout (see protocol.ts); anything else goes to stderr.
// bench/index.ts runs it; it can also be run by hand against any server.
import { createWriteStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import path from 'node:path'
import { finished } from 'node:stream/promises'
import { loadApplication, type Application } from '../../harness/application/load-application.ts'
import { RESULT_PREFIX, type StepArgs, type StepDetails, type StepName, type StepReport } from './protocol.ts'

const PRISMA_DIR = path.join(import.meta.dirname, '..', '..', 'prisma')

// Each step loads only the modules it uses, so a module that is broken for the moment (others edit
// the harness while the bench runs) fails the steps that need it and no others.
type Runner<S extends StepName> = (args: StepArgs[S], application: Application) => Promise<{ ms: number; detail: StepDetails[S] }>

const STEPS: { readonly [S in StepName]: Runner<S> } = {
  async import(args, application) {
    const { importBackup } = await import('../../harness/import/import-backup.ts')
    return timed(async () => {
      const summary = await importBackup({ application, databaseUrl: args.databaseUrl, source: args.snapshot })
      return { rows: summary.entries }
    })
  },

  async export(args, application) {
    const { exportBackup } = await import('../../harness/export/export-backup.ts')
    const stream = createWriteStream(args.destination)
    const result = await timed(async () => {
      const summary = await exportBackup({ application, databaseUrl: args.databaseUrl, destination: stream })
      stream.end()
      await finished(stream)
      return { rows: summary.rows, bytes: (await stat(args.destination)).size }
    })
    return result
  },

  async validate(args, application) {
    const { validateBackups } = await import('../../harness/validate/validate.ts')
    const { defaultComparators } = await import('../../comparators/default-comparators.ts')
    const comparators = defaultComparators(application.registry)
    return timed(async () => {
      const result = await validateBackups(args.left, args.right, { registry: application.registry, comparators })
      const rows = result.counts.models.reduce((sum, m) => sum + m.leftInstances, 0)
      return { rows, findings: result.findings.length }
    })
  },

  async check(args, application) {
    const { check } = await import('../../harness/check/check.ts')
    const { startServer } = await import('../../harness/database/start-server.ts')
    const server = await startServer({ provider: 'url', databaseUrl: args.serverUrl })
    try {
      return await timed(async () => {
        // As `roundtrip check` runs it: only the rows findings name are kept (keepRows is for --update).
        const result = await check({ application, snapshots: [args.snapshot], server, keepRows: false })
        const only = result.checks[0]
        return { rows: only?.rows.snapshot ?? 0, passed: result.passed, findings: only?.findings.length ?? 0 }
      })
    } finally {
      await server.dispose()
    }
  },

  async 'warm-check'(args, application) {
    const { check } = await import('../../harness/check/check.ts')
    const { startServer } = await import('../../harness/database/start-server.ts')
    const server = await startServer({ provider: 'url', databaseUrl: args.serverUrl })
    try {
      const times: number[] = []
      let passed = true
      for (let i = 0; i <= args.repeats; i += 1) {
        const started = performance.now()
        const result = await check({ application, snapshots: [args.snapshot], server, keepRows: false })
        times.push(performance.now() - started)
        passed &&= result.passed
      }
      const [firstMs, ...warm] = times
      return { ms: median(warm), detail: { firstMs: firstMs ?? 0, allMs: warm, passed } }
    } finally {
      await server.dispose()
    }
  },

  async diff(args) {
    const { benchDiffLibraries } = await import('./diff-libraries.ts')
    return benchDiffLibraries(args.snapshot, args.rows, args.pairs, args.changedFraction)
  },
}

async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; detail: T }> {
  const started = performance.now()
  const detail = await run()
  return { ms: performance.now() - started, detail }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? 0
}

async function main(): Promise<void> {
  const [name, json] = process.argv.slice(2)
  if (!name || !(name in STEPS)) {
    throw new Error(`usage: worker.ts <${Object.keys(STEPS).join('|')}> '<json args>' (got "${name ?? ''}")`)
  }
  const step = name as StepName
  const args = JSON.parse(json ?? '{}') as StepArgs[StepName]
  const application = await loadApplication({ dir: PRISMA_DIR })
  const baseRssMb = process.memoryUsage.rss() / 2 ** 20
  const runner = STEPS[step] as Runner<StepName>
  const { ms, detail } = await runner(args, application)
  // maxRSS is in kilobytes.
  const maxRssMb = process.resourceUsage().maxRSS / 1024
  const report: StepReport = { step, ms, maxRssMb, baseRssMb, detail }
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(report)}\n`)
}

try {
  await main()
} catch (error) {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  process.exitCode = 1
}
