import { randomBytes, randomUUID } from 'node:crypto'
import { spawn } from 'node:child_process'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import {
  GenericContainer,
  Wait,
  getContainerRuntimeClient,
  ImageName,
  type ContainerRuntimeClient,
  type StartedTestContainer,
} from 'testcontainers'
import { describeError, HarnessError } from '../errors.ts'
import { logger } from '../log.ts'
import { isAlive } from './embedded-provider.ts'
import { DEFAULT_PG_MAJOR, type ProviderOptions, type StartedServer } from './types.ts'
import { waitForServer } from './wait-for-server.ts'

const log = logger('container')

/** The pid of the process that started the container; with the host, how orphans are found. */
export const OWNER_PID_LABEL = 'dev.roundtrip.owner-pid'
export const OWNER_HOST_LABEL = 'dev.roundtrip.owner-host'
/**
 * One value per start attempt: when testcontainers fails between creating the container and
 * handing it back, this label is the only way to find the container and remove it.
 */
const INSTANCE_LABEL = 'dev.roundtrip.instance'

export const DEFAULT_CONTAINER_STARTUP_TIMEOUT_MS = 60_000

const POSTGRES_PORT = 5432
const SUPERUSER = 'postgres'
const MAINTENANCE_DATABASE = 'postgres'

/**
 * A throwaway server: durability buys nothing and costs most of the import time. The official
 * image (and ours) runs a CMD starting with `postgres` as the server, after initialising.
 */
const SERVER_COMMAND = [
  ...['postgres', '-c', 'fsync=off', '-c', 'synchronous_commit=off'],
  ...['-c', 'full_page_writes=off'],
]

const SETUP_HINT =
  'Run `bash scripts/container-engine.sh setup && bash scripts/container-engine.sh service`, then `eval "$(bash scripts/container-engine.sh env)"`'

type Dockerode = ContainerRuntimeClient['container']['dockerode']

export interface ContainerProviderOptions extends ProviderOptions {
  /** PostgreSQL major version the server must have. Default: `DEFAULT_PG_MAJOR` (15). */
  readonly pgMajor?: number
  /**
   * The image to run. Default: `process.env.ROUNDTRIP_CONTAINER_IMAGE ?? \`postgres:${pgMajor}\``,
   * i.e. the official image of the chosen major unless the environment names another one (such
   * as `localhost/roundtrip/postgres:15`, built by `scripts/container-engine.sh setup`). The image
   * must understand the official image's POSTGRES_USER/POSTGRES_PASSWORD/POSTGRES_DB.
   */
  readonly image?: string
  /**
   * How long the container may take from creation to answering a query, in total. Default:
   * `DEFAULT_CONTAINER_STARTUP_TIMEOUT_MS` (60 000 ms). Pulling the image is not included.
   */
  readonly startupTimeoutMs?: number
}

interface ResolvedOptions {
  readonly pgMajor: number
  readonly image: string
  readonly startupTimeoutMs: number
}

function resolveOptions(options: ContainerProviderOptions): ResolvedOptions {
  const pgMajor = options.pgMajor ?? DEFAULT_PG_MAJOR
  return {
    pgMajor,
    image: options.image ?? process.env.ROUNDTRIP_CONTAINER_IMAGE ?? `postgres:${pgMajor}`,
    startupTimeoutMs: options.startupTimeoutMs ?? DEFAULT_CONTAINER_STARTUP_TIMEOUT_MS,
  }
}

/** A PostgreSQL server in a container, through testcontainers (Docker or podman's API). */
export async function startContainerServer(
  options: ContainerProviderOptions = {},
): Promise<StartedServer> {
  const resolved = resolveOptions(options)
  const client = await connectToRuntime(resolved)
  await reapOrphanedContainers().catch((error: unknown) => {
    log('reaping orphaned containers failed: %s', describeError(error))
  })

  await ensureImage(client, resolved)

  const password = randomBytes(18).toString('base64url')
  const instance = randomUUID()
  const deadline = Date.now() + resolved.startupTimeoutMs
  const started = await createContainer(client, resolved, password, instance)
  const id = started.getId()
  liveContainers.add(id)
  armExitReaper()
  const remove = once(async () => {
    await removeContainer(client.container.dockerode, id)
    liveContainers.delete(id)
  })
  try {
    return await connectToServer(started, resolved, password, deadline, remove)
  } catch (error) {
    await remove().catch((removeError: unknown) => {
      log(
        '[%s] removing the failed container failed: %s',
        shortId(started.getId()),
        describeError(removeError),
      )
    })
    throw error
  }
}

async function connectToRuntime(resolved: ResolvedOptions): Promise<ContainerRuntimeClient> {
  try {
    return await getContainerRuntimeClient()
  } catch (error) {
    throw new HarnessError({
      code: 'PROVIDER_UNAVAILABLE',
      stage: 'boot',
      message: `no container runtime reachable: ${describeError(error)} (DOCKER_HOST=${process.env.DOCKER_HOST ?? 'unset'}, image ${resolved.image})`,
      hint: SETUP_HINT,
      context: { provider: 'container', image: resolved.image },
      cause: error,
    })
  }
}

/**
 * Pulled here, not inside `start()`, so that a slow pull does not eat the startup timeout, and so
 * that a failed pull says why: the API answers 200 and reports the error inside the progress
 * stream, which testcontainers ignores. Images behind registry credentials: pull them beforehand.
 */
async function ensureImage(client: ContainerRuntimeClient, resolved: ResolvedOptions) {
  try {
    if (await client.image.exists(ImageName.fromString(resolved.image))) return
    log('pulling %s', resolved.image)
    await pullImage(client.container.dockerode, resolved.image)
  } catch (error) {
    throw new HarnessError({
      code: 'CONTAINER_START_FAILED',
      stage: 'boot',
      message: `postgres image is not available: ${describeError(error)} (image ${resolved.image})`,
      hint: 'On a machine without an image registry, build the local image with `bash scripts/container-engine.sh setup` and set ROUNDTRIP_CONTAINER_IMAGE (see `bash scripts/container-engine.sh env`)',
      context: { provider: 'container', image: resolved.image },
      cause: error,
    })
  }
}

async function pullImage(dockerode: Dockerode, image: string): Promise<void> {
  const stream = await dockerode.pull(image)
  let failure: string | undefined
  await new Promise<void>((resolve, reject) => {
    const onProgress = (event: { error?: unknown }) => {
      if (event.error !== undefined) failure ??= String(event.error)
    }
    dockerode.modem.followProgress(
      stream,
      (error) => (error ? reject(error) : resolve()),
      onProgress,
    )
  })
  if (failure !== undefined) throw new Error(failure)
}

async function createContainer(
  client: ContainerRuntimeClient,
  resolved: ResolvedOptions,
  password: string,
  instance: string,
): Promise<StartedTestContainer> {
  const container = new GenericContainer(resolved.image)
    .withExposedPorts(POSTGRES_PORT)
    .withEnvironment({
      POSTGRES_USER: SUPERUSER,
      POSTGRES_PASSWORD: password,
      POSTGRES_DB: MAINTENANCE_DATABASE,
    })
    .withCommand(SERVER_COMMAND)
    .withLabels({
      [OWNER_PID_LABEL]: String(process.pid),
      [OWNER_HOST_LABEL]: os.hostname(),
      [INSTANCE_LABEL]: instance,
    })
    // Not PostgreSqlContainer's health check: podman runs health checks through systemd, and
    // without systemd the wait never ends. The log line is only a first gate; see connectToServer.
    .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/))
    .withStartupTimeout(resolved.startupTimeoutMs)
  try {
    const started = await container.start()
    log('[%s] started %s', shortId(started.getId()), resolved.image)
    return started
  } catch (error) {
    await removeByInstance(client.container.dockerode, instance)
    throw new HarnessError({
      code: 'CONTAINER_START_FAILED',
      stage: 'boot',
      message: `postgres container failed to start: ${describeError(error)} (image ${resolved.image}, startupTimeoutMs=${resolved.startupTimeoutMs})`,
      hint: 'Raise startupTimeoutMs if the machine is slow, or run the image by hand (`podman run` or `docker run`) to see why it does not start',
      context: { provider: 'container', image: resolved.image },
      cause: error,
    })
  }
}

/**
 * The log line is not enough: the official image prints it first for a temporary server that
 * only listens on a unix socket, so only a query over the mapped port proves the real server.
 */
async function connectToServer(
  started: StartedTestContainer,
  resolved: ResolvedOptions,
  password: string,
  deadline: number,
  remove: () => Promise<void>,
): Promise<StartedServer> {
  const host = started.getHost()
  const port = started.getMappedPort(POSTGRES_PORT)
  const where = `${host}:${port}`
  const maintenanceUrl = `postgres://${SUPERUSER}:${password}@${where}/${MAINTENANCE_DATABASE}`
  const version = await waitUntilQueryable(started, maintenanceUrl, resolved, deadline, where)
  if (version.major !== resolved.pgMajor) {
    throw new HarnessError({
      code: 'CONTAINER_START_FAILED',
      stage: 'boot',
      message: `postgres container has the wrong major version: asked for ${resolved.pgMajor}, the server is ${version.full} (image ${resolved.image})`,
      hint: `Choose an image of PostgreSQL ${resolved.pgMajor} (ROUNDTRIP_CONTAINER_IMAGE or the image option), or ask for major ${version.major}`,
      context: { provider: 'container', image: resolved.image, pgMajor: resolved.pgMajor },
    })
  }
  log('[%s] PostgreSQL %s answers on %s', shortId(started.getId()), version.full, where)
  return {
    majorVersion: version.major,
    maintenanceUrl,
    description: `container ${resolved.image} (PostgreSQL ${version.full}) on ${where}`,
    stop: remove,
  }
}

async function waitUntilQueryable(
  started: StartedTestContainer,
  url: string,
  resolved: ResolvedOptions,
  deadline: number,
  where: string,
) {
  try {
    return await waitForServer(url, {
      timeoutMs: Math.max(deadline - Date.now(), 0),
      what: `container ${resolved.image}`,
      intervalMs: 100,
    })
  } catch (error) {
    const lastError = error instanceof HarnessError ? error.cause : error
    const logTail = await readLogTail(started)
    throw new HarnessError({
      code: 'CONTAINER_START_FAILED',
      stage: 'boot',
      message: `postgres container did not answer a query within startupTimeoutMs=${resolved.startupTimeoutMs} ms: ${describeError(lastError)} (image ${resolved.image}, ${where}; last log lines: ${logTail})`,
      hint: 'Raise startupTimeoutMs if the machine is slow, or read the container log with DEBUG=roundtrip:container',
      context: { provider: 'container', image: resolved.image },
      cause: lastError,
    })
  }
}

async function readLogTail(started: StartedTestContainer): Promise<string> {
  try {
    const client = await getContainerRuntimeClient()
    const raw = await client.container.dockerode
      .getContainer(started.getId())
      .logs({ stdout: true, stderr: true, tail: 5, follow: false })
    const text = demuxLogs(Buffer.from(raw)).trim()
    log('[%s] container log tail:\n%s', shortId(started.getId()), text)
    return text.split('\n').join(' | ') || '(empty)'
  } catch (error) {
    return `(log unavailable: ${describeError(error)})`
  }
}

/**
 * Without a TTY the logs endpoint frames each chunk with an 8-byte header: the stream (1 stdout,
 * 2 stderr), three zero bytes, and the chunk's length.
 */
function demuxLogs(raw: Buffer): string {
  const chunks: Buffer[] = []
  let offset = 0
  while (offset + 8 <= raw.length && [0, 1, 2].includes(raw[offset]!)) {
    const length = raw.readUInt32BE(offset + 4)
    chunks.push(raw.subarray(offset + 8, offset + 8 + length))
    offset += 8 + length
  }
  return offset === 0 ? raw.toString('utf8') : Buffer.concat(chunks).toString('utf8')
}

/**
 * Kills and removes the container with its anonymous volumes (the data directory); a container
 * that is already gone, or already being removed, counts as removed.
 */
async function removeContainer(dockerode: Dockerode, id: string): Promise<void> {
  const container = dockerode.getContainer(id)
  // The data is thrown away, so a clean shutdown buys nothing. A forced remove alone would send
  // the image's stop signal and wait for PostgreSQL to shut down (about a second on podman).
  await container.kill({ signal: 'SIGKILL' }).catch((error: unknown) => {
    log('[%s] kill: %s', shortId(id), describeError(error))
  })
  try {
    await container.remove({ force: true, v: true })
    log('[%s] removed', shortId(id))
  } catch (error) {
    if (isGone(error)) {
      log('[%s] already gone', shortId(id))
      return
    }
    throw new HarnessError({
      code: 'CONTAINER_STOP_FAILED',
      stage: 'boot',
      message: `postgres container could not be removed: ${describeError(error)} (container ${id})`,
      hint: `Remove it by hand with \`podman rm -f -v ${id}\` (or docker)`,
      context: { provider: 'container', container: id },
      cause: error,
    })
  }
}

function isGone(error: unknown): boolean {
  const status = (error as { statusCode?: unknown } | null)?.statusCode
  return status === 404 || (status === 409 && /already in progress/i.test(describeError(error)))
}

async function removeByInstance(dockerode: Dockerode, instance: string): Promise<void> {
  try {
    const containers = await dockerode.listContainers({
      all: true,
      filters: { label: [`${INSTANCE_LABEL}=${instance}`] },
    })
    for (const container of containers) await removeContainer(dockerode, container.Id)
  } catch (error) {
    log('removing the container of failed start %s failed: %s', instance, describeError(error))
  }
}

/** Whether testcontainers can reach a container runtime, and which one, for messages and skips. */
export async function probeContainerRuntime(): Promise<{ reachable: boolean; detail: string }> {
  try {
    const client = await getContainerRuntimeClient()
    return { reachable: true, detail: await describeRuntime(client) }
  } catch (error) {
    return { reachable: false, detail: describeError(error) }
  }
}

async function describeRuntime(client: ContainerRuntimeClient): Promise<string> {
  const via = endpoint(client.container.dockerode)
  try {
    const version = await client.container.dockerode.version()
    const podman = version.Components?.find((component) => component.Name === 'Podman Engine')
    return podman ? `podman ${podman.Version} via ${via}` : `docker ${version.Version} via ${via}`
  } catch (error) {
    return `container runtime via ${via} (version unknown: ${describeError(error)})`
  }
}

/** Where the API is, as configured (DOCKER_HOST, ~/.testcontainers.properties or the default). */
function endpoint(dockerode: Dockerode): string {
  // docker-modem has these fields, but its type declarations do not list them.
  const modem = dockerode.modem as unknown as {
    socketPath?: string
    host?: string
    port?: string | number
    protocol?: string
  }
  if (modem.socketPath) return `unix://${modem.socketPath}`
  return `${modem.protocol ?? 'http'}://${modem.host ?? 'localhost'}:${modem.port ?? ''}`
}

/**
 * Removes containers that a process on this host started and could not remove, because it was
 * killed or crashed. Testcontainers' own reaper (Ryuk) is an image from a registry, so it is
 * turned off where there is none; this replaces it. Returns how many containers were removed.
 */
export async function reapOrphanedContainers(): Promise<number> {
  const dockerode = (await getContainerRuntimeClient()).container.dockerode
  const containers = await dockerode.listContainers({
    all: true,
    filters: { label: [`${OWNER_HOST_LABEL}=${os.hostname()}`] },
  })
  let removed = 0
  for (const container of containers) {
    const pid = Number(container.Labels[OWNER_PID_LABEL])
    if (!Number.isInteger(pid) || pid <= 0 || isAlive(pid)) continue
    await removeContainer(dockerode, container.Id)
    removed += 1
    log('[%s] reaped orphaned container of pid %d', shortId(container.Id), pid)
  }
  return removed
}

/** Containers this process started and has not removed yet. */
const liveContainers = new Set<string>()
let exitReaperArmed = false

/**
 * On `exit` (say, after an uncaught error) no asynchronous cleanup can run any more, so a detached
 * process is left behind to wait for this one to be gone and then reap its containers. Signals are
 * handled earlier, by `cleanup-on-exit.ts`; only SIGKILL leaves a container for the next start.
 */
function armExitReaper() {
  if (exitReaperArmed) return
  exitReaperArmed = true
  process.once('exit', () => {
    if (liveContainers.size === 0) return
    const script = fileURLToPath(new URL('./reap-after-exit.ts', import.meta.url))
    const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), script, String(process.pid)], {
      detached: true,
      stdio: 'ignore',
    })
    child.unref()
  })
}

/** The 12-character form that `docker ps` and `podman ps` show. */
function shortId(id: string): string {
  return id.slice(0, 12)
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined
  // A failed attempt may be retried; a successful one is shared by every later call.
  return () => {
    running ??= fn().catch((error: unknown) => {
      running = undefined
      throw error
    })
    return running
  }
}
