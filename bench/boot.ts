import os from 'node:os'
import { loadApplication } from '../harness/application/load-application.ts'
import { startServer } from '../harness/database/start-server.ts'
import { cloneDatabase, createSchemaTemplate } from '../harness/schema/template.ts'

const CLONES = 10

export interface BootFigures {
  readonly provider: string
  readonly serverStartS: number
  readonly migrateTemplateS: number
  readonly firstCloneS: number
  readonly nothingToClonedS: number
  readonly cloneMedianS: number
  readonly migrations: number
}

/** Time from nothing to a migrated, cloned database on the embedded provider. */
export async function benchBoot(options: { readonly print?: boolean } = {}): Promise<BootFigures> {
  const t0 = performance.now()
  const application = await loadApplication({ dir: 'prisma' })
  const server = await startServer({ provider: 'embedded' })
  const t1 = performance.now()
  try {
    const template = await createSchemaTemplate(server, { migrations: application.migrations })
    const t2 = performance.now()
    const first = await cloneDatabase(server, template.name)
    const t3 = performance.now()
    const cloneTimes: number[] = []
    for (let i = 0; i < CLONES; i += 1) {
      const started = performance.now()
      const clone = await cloneDatabase(server, template.name)
      cloneTimes.push(performance.now() - started)
      await clone.dispose()
    }
    await first.dispose()
    const figures: BootFigures = {
      provider: server.description,
      serverStartS: seconds(t1 - t0),
      migrateTemplateS: seconds(t2 - t1),
      firstCloneS: seconds(t3 - t2),
      nothingToClonedS: seconds(t3 - t0),
      cloneMedianS: seconds(median(cloneTimes)),
      migrations: template.migrations.length,
    }
    if (options.print ?? true) print(figures)
    return figures
  } finally {
    await server.dispose()
  }
}

function print(f: BootFigures) {
  const rows: [string, string][] = [
    ['server', f.provider],
    ['cores', String(os.cpus().length)],
    ['start server (incl. initdb)', `${f.serverStartS.toFixed(3)} s`],
    [`migrate template (${f.migrations} migrations)`, `${f.migrateTemplateS.toFixed(3)} s`],
    ['first clone', `${f.firstCloneS.toFixed(3)} s`],
    ['nothing → migrated, cloned database', `${f.nothingToClonedS.toFixed(3)} s`],
    [`clone, median of ${CLONES}`, `${f.cloneMedianS.toFixed(3)} s`],
  ]
  const width = Math.max(...rows.map(([k]) => k.length))
  process.stdout.write('\nboot (embedded provider)\n')
  for (const [k, v] of rows) process.stdout.write(`  ${k.padEnd(width)}  ${v}\n`)
}

function seconds(ms: number): number {
  return Math.round(ms) / 1000
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? 0
}
