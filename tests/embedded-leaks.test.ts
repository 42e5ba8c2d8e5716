import { describe, expect, it } from 'vitest'
import {
  acceptsConnections,
  eventually,
  existsSync,
  isAlive,
  processesMentioning,
  startLeakChild,
} from './support/processes.ts'

/**
 * Each case starts an embedded server in a separate process, ends that process in a different way,
 * and checks from outside that the server process, its data directory and its port are all gone.
 */
describe('the embedded provider leaves nothing behind', () => {
  const endings = [
    { name: 'after dispose', ending: 'dispose', signal: undefined },
    { name: 'after an uncaught error', ending: 'throw', signal: undefined },
    { name: 'after SIGINT', ending: 'wait', signal: 'SIGINT' },
    { name: 'after SIGTERM', ending: 'wait', signal: 'SIGTERM' },
    { name: 'after SIGKILL of its owner', ending: 'wait', signal: 'SIGKILL' },
  ] as const

  it.concurrent.each(endings)('$name', async ({ ending, signal }) => {
    const { child, report, exited } = await startLeakChild('embedded', ending)
    expect(report.postmasterPid).toBeGreaterThan(0)
    expect(isAlive(report.postmasterPid!)).toBe(true)
    if (signal) child.kill(signal)
    const { code, signal: endedBy } = await exited
    if (ending === 'dispose') expect(code).toBe(0)
    if (ending === 'throw') expect(code).toBe(1)
    if (signal) expect(endedBy).toBe(signal)

    expect(await eventually(() => !isAlive(report.postmasterPid!))).toBe(true)
    expect(await eventually(() => !existsSync(report.dataDirectory))).toBe(true)
    expect(await processesMentioning(report.dataDirectory)).toEqual([])
    expect(await acceptsConnections(report.url)).toBe(false)
  })
})
