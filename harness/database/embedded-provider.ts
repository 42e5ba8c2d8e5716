import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chown, chmod, mkdtemp, readFile, readdir, rename, rm, statfs, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { describeError, HarnessError } from '../errors.ts'
import { logger } from '../log.ts'
import { binariesReachableBy } from './binaries-for-user.ts'
import { resolvePostgresBinaries, type PostgresBinaries } from './embedded-binaries.ts'
import { findFreePort } from './free-port.ts'
import { waitForServer } from './wait-for-server.ts'
import { DEFAULT_PG_MAJOR, type ProviderOptions, type StartedServer } from './types.ts'

const log = logger('embedded')

/** Prefix of the temporary directories; the owner's pid follows, so orphans can be found. */
const TEMP_DIR_PREFIX = 'roundtrip-pg-'

/** Prefix of the cached pristine clusters (one per binaries version and user). */
const CACHE_DIR_PREFIX = 'roundtrip-pgcluster-'

const SHARED_MEMORY_DIR = '/dev/shm'
/** Below this much free shared memory (Docker's default is 64 MiB) clusters go to the temp dir. */
const MIN_SHARED_MEMORY_BYTES = 2 * 1024 ** 3

/** PostgreSQL refuses to run as root, so as root the server runs as this unprivileged user. */
const NOBODY = { uid: 65534, gid: 65534 }

export const DEFAULT_EMBEDDED_STARTUP_TIMEOUT_MS = 30_000

export interface EmbeddedProviderOptions extends ProviderOptions {
  /** How long to wait for the server to accept connections. Default: 30 000 ms. */
  readonly startupTimeoutMs?: number
}

/**
 * The server runs under a tiny shell "watchdog" whose standard input is a pipe from this process.
 * When this process goes away for any reason — dispose, a thrown error, a signal, even SIGKILL —
 * the pipe closes, the shell's `read` returns, and it stops PostgreSQL (fast shutdown) and removes
 * the data directory. So a server can never outlive the process that started it.
 */
const WATCHDOG_SCRIPT = `
root="$1"; shift
"$@" >>"$root/postgres.log" 2>&1 </dev/null &
pg=$!
read -r _ || true
kill -INT "$pg" 2>/dev/null
wait "$pg" 2>/dev/null
rm -rf "$root"
`

/** A real PostgreSQL from npm-packaged binaries, in a temporary directory, on a free port. */
export async function startEmbeddedServer(
  options: EmbeddedProviderOptions = {},
): Promise<StartedServer> {
  const major = options.pgMajor ?? DEFAULT_PG_MAJOR
  const runAs = runAsUser()
  const binaries = await binariesReachableBy(await resolvePostgresBinaries(major), runAs)

  const baseDir = await chooseBaseDir()
  await reapOrphanedDirectories(baseDir)
  const root = await mkdtemp(path.join(baseDir, `${TEMP_DIR_PREFIX}${process.pid}-`))
  let watchdog: ChildProcess | undefined
  try {
    await prepareRoot(root, runAs)
    const pristine = await pristineCluster(binaries, baseDir, runAs)
    await copyCluster(pristine, path.join(root, 'data'))
    const port = await findFreePort()
    watchdog = startWatchdog(binaries, root, port, runAs)
    const maintenanceUrl = `postgres://postgres@127.0.0.1:${port}/postgres`
    const startupTimeoutMs = options.startupTimeoutMs ?? DEFAULT_EMBEDDED_STARTUP_TIMEOUT_MS
    const version = await waitForServer(maintenanceUrl, {
      timeoutMs: startupTimeoutMs,
      isDead: () => watchdog?.exitCode !== null,
      describeFailure: () => readLogTail(root),
      what: `embedded PostgreSQL ${major}`,
    })
    checkMajor(version.major, major, root)
    log('[%s] started PostgreSQL %s on port %d as uid %d', root, version.full, port, runAs?.uid ?? process.getuid?.())
    return {
      majorVersion: version.major,
      maintenanceUrl,
      description: `embedded PostgreSQL ${version.full} on 127.0.0.1:${port}`,
      stop: once(() => stopWatchdog(watchdog!, root)),
    }
  } catch (error) {
    if (watchdog) await stopWatchdog(watchdog, root)
    else await rm(root, { recursive: true, force: true })
    if (error instanceof HarnessError) throw error
    throw new HarnessError({
      code: 'DATABASE_START_FAILED',
      stage: 'boot',
      message: `embedded postgres failed to start: ${describeError(error)} (binaries ${binaries.packageVersion})`,
      hint: 'Run with DEBUG=roundtrip:* for details, or choose another provider with ROUNDTRIP_DB',
      context: { provider: 'embedded', pgMajor: major },
      cause: error,
    })
  }
}

function runAsUser(): { uid: number; gid: number } | undefined {
  return process.getuid?.() === 0 ? NOBODY : undefined
}

async function prepareRoot(root: string, runAs: { uid: number; gid: number } | undefined) {
  // mkdtemp makes the directory 0700; the server user must be able to enter it.
  await chmod(root, 0o755)
  await writeFile(path.join(root, 'owner.pid'), String(process.pid))
  if (runAs) {
    await chown(root, runAs.uid, runAs.gid)
    await chown(path.join(root, 'owner.pid'), runAs.uid, runAs.gid)
  }
}

/**
 * A freshly initialised cluster per binaries version, made once and copied for every server:
 * copying is several times faster than initdb, which dominates the start-up time otherwise.
 * Built in a private directory and renamed into place, so concurrent starts never see half of one.
 */
async function pristineCluster(
  binaries: PostgresBinaries,
  baseDir: string,
  runAs: { uid: number; gid: number } | undefined,
): Promise<string> {
  const uid = runAs?.uid ?? process.getuid?.() ?? 0
  const cacheDir = path.join(baseDir, `${CACHE_DIR_PREFIX}${binaries.packageVersion}-${uid}`)
  const dataDir = path.join(cacheDir, 'data')
  if (existsSync(path.join(dataDir, 'PG_VERSION'))) return dataDir
  const building = await mkdtemp(path.join(baseDir, `${CACHE_DIR_PREFIX}building-`))
  try {
    await prepareRoot(building, runAs)
    await initCluster(binaries, path.join(building, 'data'), runAs)
    await rename(building, cacheDir).catch((error: NodeJS.ErrnoException) => {
      // Another process finished first; its cluster is as good as ours.
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error
    })
  } finally {
    await rm(building, { recursive: true, force: true })
  }
  log('cached a pristine cluster in %s', cacheDir)
  return dataDir
}

/** `cp -a`: the copy keeps the owner and the 0700 mode PostgreSQL insists on. */
async function copyCluster(from: string, to: string): Promise<void> {
  const child = spawn('cp', ['-a', from, to], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', resolve)
  })
  if (code !== 0) throw new Error(`copying the cluster failed: cp exited with code ${code}: ${stderr.trim()}`)
}

/**
 * Where clusters live: shared memory when there is room (initdb, clones and imports are I/O
 * bound, and a throwaway server needs no disk), else the system's temporary directory.
 * `ROUNDTRIP_EMBEDDED_DIR` overrides both.
 */
async function chooseBaseDir(): Promise<string> {
  if (process.env.ROUNDTRIP_EMBEDDED_DIR) return process.env.ROUNDTRIP_EMBEDDED_DIR
  try {
    const stats = await statfs(SHARED_MEMORY_DIR)
    if (stats.bavail * stats.bsize >= MIN_SHARED_MEMORY_BYTES) return SHARED_MEMORY_DIR
  } catch {
    // no /dev/shm on this system
  }
  return os.tmpdir()
}

async function initCluster(
  binaries: PostgresBinaries,
  dataDir: string,
  runAs: { uid: number; gid: number } | undefined,
): Promise<void> {
  const args = ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8']
  args.push('--no-locale', '--no-sync', '--no-instructions')
  const output: Buffer[] = []
  const child = spawn(binaries.initdb, args, { ...runAs, stdio: ['ignore', 'pipe', 'pipe'] })
  child.stdout.on('data', (chunk: Buffer) => output.push(chunk))
  child.stderr.on('data', (chunk: Buffer) => output.push(chunk))
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', resolve)
  })
  if (code !== 0) {
    const text = Buffer.concat(output).toString('utf8').trim().split('\n').slice(-3).join(' ')
    const access = runAs
      ? ` The server runs as uid ${runAs.uid} because PostgreSQL refuses to run as root; that user must be able to read ${binaries.initdb}.`
      : ''
    throw new Error(`initdb exited with code ${code}: ${text}.${access}`)
  }
}

function startWatchdog(
  binaries: PostgresBinaries,
  root: string,
  port: number,
  runAs: { uid: number; gid: number } | undefined,
): ChildProcess {
  const serverArgs = [
    binaries.postgres,
    ...['-D', path.join(root, 'data'), '-p', String(port), '-k', root],
    ...['-c', 'listen_addresses=127.0.0.1'],
    // A throwaway server: durability buys nothing and costs most of the import time.
    ...['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
    ...['-c', 'max_connections=200'],
  ]
  const child = spawn('/bin/sh', ['-c', WATCHDOG_SCRIPT, 'roundtrip-watchdog', root, ...serverArgs], {
    ...runAs,
    stdio: ['pipe', 'ignore', 'ignore'],
  })
  // The pipe must not keep this process alive, and its closing is the stop signal.
  child.unref()
  child.stdin?.on('error', () => {})
  ;(child.stdin as unknown as { unref?: () => void } | null)?.unref?.()
  return child
}

async function stopWatchdog(watchdog: ChildProcess, root: string): Promise<void> {
  if (watchdog.exitCode === null && watchdog.signalCode === null) {
    const exited = new Promise<void>((resolve) => watchdog.once('exit', () => resolve()))
    watchdog.stdin?.end()
    const timer = setTimeout(() => watchdog.kill('SIGKILL'), 15_000)
    await exited
    clearTimeout(timer)
  }
  // The watchdog removes the directory itself; this covers a watchdog that was killed.
  await rm(root, { recursive: true, force: true })
  log('[%s] stopped', root)
}

function checkMajor(actual: number, wanted: number, root: string) {
  if (actual === wanted) return
  throw new HarnessError({
    code: 'DATABASE_START_FAILED',
    stage: 'boot',
    message: `embedded postgres has the wrong major version: asked for ${wanted}, the server is ${actual} (${root})`,
    hint: 'Reinstall the embedded binaries package of that major',
    context: { provider: 'embedded' },
  })
}

async function readLogTail(root: string): Promise<string> {
  try {
    const text = await readFile(path.join(root, 'postgres.log'), 'utf8')
    return text.trim().split('\n').slice(-5).join('\n')
  } catch {
    return '(no server log)'
  }
}

/**
 * Removes temporary directories left by processes that no longer exist, whose watchdog could not
 * run (the machine lost power, the directory's owner was killed before its watchdog started).
 */
export async function reapOrphanedDirectories(tempDir: string): Promise<number> {
  let removed = 0
  let entries: string[]
  try {
    entries = await readdir(tempDir)
  } catch {
    return 0
  }
  for (const entry of entries) {
    const match = new RegExp(`^${TEMP_DIR_PREFIX}(\\d+)-`).exec(entry)
    if (!match || isAlive(Number(match[1]))) continue
    const dir = path.join(tempDir, entry)
    await stopOrphanedServer(dir)
    await rm(dir, { recursive: true, force: true }).catch(() => {})
    removed += 1
    log('reaped orphaned directory %s', dir)
  }
  return removed
}

async function stopOrphanedServer(dir: string) {
  try {
    const pid = Number((await readFile(path.join(dir, 'data', 'postmaster.pid'), 'utf8')).split('\n')[0])
    if (pid > 0 && isAlive(pid)) process.kill(pid, 'SIGQUIT')
  } catch {
    // no server was running there
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined
  return () => (running ??= fn())
}
