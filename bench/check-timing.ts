// `roundtrip check snapshots/fresh_install.json` end to end, cold: a fresh CLI process with no
// server running, which starts an embedded PostgreSQL, migrates a template, and checks.
import { mkdtemp, chmod, rm, statfs } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { EXIT_FAILURE } from '../harness/cli/exit-codes.ts'
import { runCommand, tail } from './run-step.ts'

const ROOT = path.join(import.meta.dirname, '..')
export const FRESH_INSTALL = 'snapshots/fresh_install.json'
/** Where the embedded provider puts clusters when it can: see harness/database/embedded-provider.ts. */
const SHARED_MEMORY_DIR = '/dev/shm'
const MIN_SHARED_MEMORY_BYTES = 2 * 1024 ** 3
// eslint-disable-next-line no-control-regex
const ANSI_COLOUR = /\x1b\[[0-9;]*m/g

export interface ColdCheck {
  readonly medianMs: number
  readonly runsMs: readonly number[]
  readonly maxRssMb: number | undefined
  /** Every run's check passed (a failing check still ran end to end, so its time counts). */
  readonly passed: boolean
  /** What "cold" included and left out. */
  readonly note: string
}

/**
 * Runs the CLI check `runs` times as fresh processes and takes the median. The embedded provider
 * copies a pristine cluster it initdb'd once and cached (`roundtrip-pgcluster-*` in /dev/shm or
 * the temporary directory); `withoutClusterCache` points it at an empty directory of its own
 * (ROUNDTRIP_EMBEDDED_DIR) for every run, so each run pays initdb too, as on a fresh machine. The
 * shared cache other processes use is never touched.
 */
export async function coldCheck(runs: number, withoutClusterCache: boolean): Promise<ColdCheck> {
  const times: number[] = []
  let maxRssMb: number | undefined
  let passed = true
  for (let i = 0; i < runs; i += 1) {
    const env: NodeJS.ProcessEnv = { ...process.env, ROUNDTRIP_DB: 'embedded' }
    delete env.ROUNDTRIP_DATABASE_URL
    delete env.DEBUG
    let ownDir: string | undefined
    if (withoutClusterCache) {
      ownDir = await mkdtemp(path.join(await clusterBaseDir(), 'roundtrip-bench-cold-'))
      // The server runs as an unprivileged user when we are root; it must be able to enter.
      await chmod(ownDir, 0o755)
      env.ROUNDTRIP_EMBEDDED_DIR = ownDir
    }
    try {
      const result = await runCommand(process.execPath, ['bin/roundtrip.js', 'check', FRESH_INSTALL], {
        env,
        cwd: ROOT,
        timeoutMs: 120_000,
        name: 'roundtrip check',
        acceptExitCodes: [EXIT_FAILURE],
      })
      // Exit 1 is also what a crash gives; only the closing "N passed, M failed" says it ran through.
      if (result.exitCode !== 0) {
        const summary = /^\d+ passed, \d+ failed/m.exec(`${result.stdout}\n${result.stderr}`.replace(ANSI_COLOUR, ''))
        if (!summary) throw new Error(`roundtrip check exited with code ${result.exitCode}${tail(result.stderr || result.stdout)}`)
        passed = false
      }
      times.push(result.ms)
      if (result.maxRssMb !== undefined) maxRssMb = Math.max(maxRssMb ?? 0, result.maxRssMb)
    } finally {
      if (ownDir) await rm(ownDir, { recursive: true, force: true })
    }
  }
  const note = withoutClusterCache
    ? 'fresh process, embedded provider, no cached cluster: initdb + start + migrate + check'
    : 'fresh process, embedded provider, cached initdb cluster copied: start + migrate + check'
  return { medianMs: median(times), runsMs: times, maxRssMb, passed, note }
}

async function clusterBaseDir(): Promise<string> {
  try {
    const stats = await statfs(SHARED_MEMORY_DIR)
    if (stats.bavail * stats.bsize >= MIN_SHARED_MEMORY_BYTES) return SHARED_MEMORY_DIR
  } catch {
    // no /dev/shm here
  }
  return os.tmpdir()
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? 0
}
