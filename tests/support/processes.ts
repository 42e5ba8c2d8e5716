import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import pg from 'pg'

export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..')

export interface LeakChildReport {
  readonly url: string
  readonly dataDirectory: string
  readonly postmasterPid?: number
  readonly pid: number
}

/** Starts `tests/support/leak-child.ts` and resolves once it has reported its server. */
export async function startLeakChild(
  provider: string,
  ending: string,
): Promise<{ child: ChildProcess; report: LeakChildReport; exited: Promise<{ code: number | null; signal: string | null; stderr: string }> }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(REPO_ROOT, 'tests/support/leak-child.ts'), provider, ending],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let stderr = ''
  child.stderr!.on('data', (chunk) => (stderr += chunk))
  const exited = new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, stderr })),
  )
  const report = await new Promise<LeakChildReport>((resolve, reject) => {
    let stdout = ''
    child.stdout!.on('data', (chunk) => {
      stdout += chunk
      const line = stdout.split('\n')[0]
      if (stdout.includes('\n')) resolve(JSON.parse(line!) as LeakChildReport)
    })
    void exited.then(({ code, stderr }) => reject(new Error(`child exited (${code}) before reporting: ${stderr}`)))
  })
  return { child, report, exited }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Polls until `condition` holds or `timeoutMs` passes; returns whether it held. */
export async function eventually(condition: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await condition()) return true
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return await condition()
}

export async function acceptsConnections(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 })
  try {
    await client.connect()
    return true
  } catch {
    return false
  } finally {
    await client.end().catch(() => {})
  }
}

/** The processes whose command line mentions `text` (the server's data directory, say). */
export async function processesMentioning(text: string): Promise<number[]> {
  const { readdir, readFile } = await import('node:fs/promises')
  const pids: number[] = []
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8')
      if (cmdline.includes(text)) pids.push(Number(entry))
    } catch {
      // the process ended while we looked
    }
  }
  return pids
}

export { existsSync }
