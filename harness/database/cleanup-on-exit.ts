import { logger } from '../log.ts'

const log = logger('cleanup')

type Cleanup = () => Promise<void>

const cleanups = new Set<Cleanup>()
const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP']
let installed = false

/** How long cleanups may take after a signal before the process goes down anyway. */
export const DEFAULT_SIGNAL_CLEANUP_TIMEOUT_MS = 10_000

/**
 * Runs `cleanup` if the process is interrupted (SIGINT, SIGTERM, SIGHUP) before the returned
 * function is called. After the cleanups the signal is raised again, so the process ends the way
 * it would have without us (exit status 128 + signal number).
 */
export function cleanupOnSignal(cleanup: Cleanup): () => void {
  cleanups.add(cleanup)
  if (!installed) {
    installed = true
    for (const signal of SIGNALS) process.on(signal, onSignal)
  }
  return () => {
    cleanups.delete(cleanup)
  }
}

async function onSignal(signal: NodeJS.Signals): Promise<void> {
  for (const s of SIGNALS) process.removeListener(s, onSignal)
  log('received %s, running %d cleanups', signal, cleanups.size)
  const all = Promise.allSettled([...cleanups].map((cleanup) => cleanup()))
  const timeout = new Promise((resolve) => setTimeout(resolve, DEFAULT_SIGNAL_CLEANUP_TIMEOUT_MS).unref())
  await Promise.race([all, timeout])
  process.kill(process.pid, signal)
}
