import { getContainerRuntimeClient } from 'testcontainers'
import { describe, expect, it } from 'vitest'
import {
  OWNER_PID_LABEL,
  probeContainerRuntime,
  reapOrphanedContainers,
} from '../harness/database/container-provider.ts'
import { acceptsConnections, eventually, startLeakChild } from './support/processes.ts'

const runtime = await probeContainerRuntime()
if (!runtime.reachable) {
  // tests/container-provider.test.ts fails the run on CI when the runtime is missing.
  console.warn(`container leak tests skipped: no container runtime (${runtime.detail})`)
}

/** Containers, running or stopped, that the process `pid` started. */
async function containersOf(pid: number): Promise<string[]> {
  const client = await getContainerRuntimeClient()
  const containers = await client.container.dockerode.listContainers({
    all: true,
    filters: { label: [`${OWNER_PID_LABEL}=${pid}`] },
  })
  return containers.map((c) => c.Id)
}

// Sequential on purpose: every container start reaps containers of dead owners, which would race
// with the SIGKILL case's own check if the cases ran concurrently.
describe.runIf(runtime.reachable)('the container provider leaves nothing behind', () => {
  const endings = [
    { name: 'after dispose', ending: 'dispose', signal: undefined },
    { name: 'after an uncaught error', ending: 'throw', signal: undefined },
    { name: 'after SIGINT', ending: 'wait', signal: 'SIGINT' },
    { name: 'after SIGTERM', ending: 'wait', signal: 'SIGTERM' },
  ] as const

  it.each(endings)('$name', async ({ ending, signal }) => {
    const { child, report, exited } = await startLeakChild('container', ending)
    expect(await containersOf(report.pid)).toHaveLength(1)
    if (signal) child.kill(signal)
    const { code, signal: endedBy, stderr } = await exited
    if (ending === 'dispose') expect(code, stderr).toBe(0)
    if (ending === 'throw') expect(code, stderr).toBe(1)
    if (signal) expect(endedBy).toBe(signal)
    expect(await eventually(async () => (await containersOf(report.pid)).length === 0)).toBe(true)
    expect(await acceptsConnections(report.url)).toBe(false)
  })

  it('reaps the container of an owner killed with SIGKILL on the next start', async () => {
    const { child, report, exited } = await startLeakChild('container', 'wait')
    expect(await containersOf(report.pid)).toHaveLength(1)
    child.kill('SIGKILL')
    await exited
    // No handler runs on SIGKILL; the next start on this host (here, or any other test file's)
    // reaps the container, since its owner is gone.
    await reapOrphanedContainers()
    expect(await containersOf(report.pid)).toEqual([])
  })
})
