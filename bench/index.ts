// `npm run bench`: performance figures, printed and written to bench/results.json. Nothing here
// is asserted; targets are compared by reading the table.
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { benchBoot } from './boot.ts'
import { benchValidate } from './validate.ts'

const results = { machine: machineSummary(), boot: await benchBoot(), validate: await benchValidate() }
await writeFile(path.join(import.meta.dirname, 'results.json'), `${JSON.stringify(results, null, 2)}\n`)
process.stdout.write(`\nwrote bench/results.json\n`)

function machineSummary() {
  return { node: process.version, platform: `${process.platform}-${process.arch}`, date: new Date().toISOString() }
}
