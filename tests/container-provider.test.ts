import { spawnSync } from 'node:child_process'
import os from 'node:os'
import { getContainerRuntimeClient } from 'testcontainers'
import { describe, expect, it } from 'vitest'
import { isHarnessError } from '../harness/errors.ts'
import {
  OWNER_HOST_LABEL,
  OWNER_PID_LABEL,
  probeContainerRuntime,
  reapOrphanedContainers,
  startContainerServer,
} from '../harness/database/container-provider.ts'
import { DEFAULT_PG_MAJOR } from '../harness/database/types.ts'
import { query } from './support/reference-app.ts'

const LOCAL_IMAGE = 'localhost/roundtrip/postgres:15'
const TIMEOUT_MS = 60_000
const SETUP_COMMANDS =
  'run `bash scripts/container-engine.sh setup && bash scripts/container-engine.sh service` and `eval "$(bash scripts/container-engine.sh env)"`'

const runtime = await probeContainerRuntime()
const image = process.env.ROUNDTRIP_CONTAINER_IMAGE ?? `postgres:${DEFAULT_PG_MAJOR}`

if (!runtime.reachable && !process.env.CI) {
  console.warn(
    `container provider tests skipped: no container runtime (${runtime.detail}); ${SETUP_COMMANDS}`,
  )
}

// On CI a missing runtime is a broken machine, not a reason to skip.
if (!runtime.reachable && process.env.CI) {
  describe('container runtime on CI', () => {
    it('is reachable', () => {
      throw new Error(`no container runtime reachable on CI (${runtime.detail}): ${SETUP_COMMANDS}`)
    })
  })
}

/** Containers this test process owns, running or not. */
async function ownContainers(): Promise<string[]> {
  const client = await getContainerRuntimeClient()
  const containers = await client.container.dockerode.listContainers({
    all: true,
    filters: { label: [`${OWNER_PID_LABEL}=${process.pid}`] },
  })
  return containers.map((container) => container.Id)
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}


describe.skipIf(!runtime.reachable)(
  `container provider (${runtime.detail}, image ${image})`,
  () => {
    it(
      'starts a server that runs SQL, and removes it on stop',
      { timeout: TIMEOUT_MS },
      async () => {
        const server = await startContainerServer()
        try {
          expect(server.majorVersion).toBe(DEFAULT_PG_MAJOR)
          if (image === LOCAL_IMAGE) expect(server.majorVersion).toBe(15)
          expect(server.description).toMatch(
            new RegExp(
              `^container ${escapeRegExp(image)} \\(PostgreSQL ${server.majorVersion}\\.\\d+\\) on .+:\\d+$`,
            ),
          )

          await query(server.maintenanceUrl, 'CREATE TABLE t (id int PRIMARY KEY, name text)')
          await query(server.maintenanceUrl, "INSERT INTO t VALUES (1, 'one'), (2, 'two')")
          const rows = await query<{ id: number; name: string }>(
            server.maintenanceUrl,
            'SELECT id, name FROM t ORDER BY id',
          )
          expect(rows).toEqual([
            { id: 1, name: 'one' },
            { id: 2, name: 'two' },
          ])
          expect(await ownContainers()).toHaveLength(1)
        } finally {
          await server.stop()
        }
        expect(await ownContainers()).toEqual([])
        await expect(server.stop()).resolves.toBeUndefined()
      },
    )

    it(
      'refuses an image of another major and leaves no container',
      { timeout: TIMEOUT_MS },
      async () => {
        const wanted = DEFAULT_PG_MAJOR + 1
        const error = await startContainerServer({ pgMajor: wanted, image }).then(
          () => undefined,
          (caught: unknown) => caught,
        )
        expect(isHarnessError(error, 'CONTAINER_START_FAILED'), String(error)).toBe(true)
        expect(String(error)).toContain(`asked for ${wanted}`)
        expect(await ownContainers()).toEqual([])
      },
    )

    it('reaps containers of processes that are gone', { timeout: TIMEOUT_MS }, async () => {
      const deadPid = spawnSync('true').pid
      expect(deadPid).toBeGreaterThan(0)
      // Any running container carrying the owner labels of a dead process will do.
      const dockerode = (await getContainerRuntimeClient()).container.dockerode
      const orphan = await dockerode.createContainer({
        Image: image,
        Cmd: ['sleep', 'infinity'],
        Labels: { [OWNER_PID_LABEL]: String(deadPid), [OWNER_HOST_LABEL]: os.hostname() },
      })
      try {
        await orphan.start()
        // Another test file's container start may reap it first, so count nothing: it must be gone.
        await reapOrphanedContainers()
        const left = await dockerode.listContainers({ all: true, filters: { id: [orphan.id] } })
        expect(left).toEqual([])
      } finally {
        await orphan.remove({ force: true, v: true }).catch(() => {})
      }
    })
  },
)
