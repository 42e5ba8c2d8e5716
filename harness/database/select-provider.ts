import { existsSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { HarnessError } from '../errors.ts'
import { PROVIDER_NAMES, type ProviderName } from './types.ts'

export interface ProviderChoice {
  readonly provider: ProviderName
  /** Why, in words a person can act on: "ROUNDTRIP_DB=url", "no container runtime: …". */
  readonly reason: string
}

export interface ChooseProviderOptions {
  /** An explicit choice; wins over everything else. */
  readonly provider?: ProviderName | undefined
  /** An explicit URL; implies the url provider when no provider is named. */
  readonly databaseUrl?: string | undefined
  /** Where `ROUNDTRIP_DB` and `ROUNDTRIP_DATABASE_URL` are read. Default: `process.env`. */
  readonly env?: NodeJS.ProcessEnv
}

/**
 * Picks a provider: explicit options (a provider, then a URL), then `ROUNDTRIP_DB`, then
 * `ROUNDTRIP_DATABASE_URL`, then a reachable container runtime, then embedded binaries.
 */
export async function chooseProvider(options: ChooseProviderOptions = {}): Promise<ProviderChoice> {
  const env = options.env ?? process.env
  if (options.provider) return { provider: checkName(options.provider, 'option'), reason: 'asked for explicitly' }
  if (options.databaseUrl) return { provider: 'url', reason: 'a database URL was given' }
  const fromEnv = env.ROUNDTRIP_DB?.trim()
  if (fromEnv) return { provider: checkName(fromEnv, 'ROUNDTRIP_DB'), reason: `ROUNDTRIP_DB=${fromEnv}` }
  if (env.ROUNDTRIP_DATABASE_URL) return { provider: 'url', reason: 'ROUNDTRIP_DATABASE_URL is set' }
  const runtime = hasContainerRuntimeHint(env)
    ? await (await import('./container-provider.ts')).probeContainerRuntime()
    : { reachable: false, detail: 'no DOCKER_HOST, no ~/.testcontainers.properties and no Docker socket' }
  if (runtime.reachable) return { provider: 'container', reason: `container runtime reachable (${runtime.detail})` }
  return { provider: 'embedded', reason: `no database URL and no container runtime (${runtime.detail})` }
}

/**
 * Whether testcontainers could find a runtime: the places its strategies look (DOCKER_HOST, its
 * properties file, the rootful and rootless Docker sockets). Importing testcontainers to ask costs
 * about half a second, most of a CLI run's start when there is no runtime at all, so the probe
 * runs only when one of these exists. Windows' named pipes cannot be checked this way: always probe.
 */
export function hasContainerRuntimeHint(env: NodeJS.ProcessEnv = process.env): boolean {
  if (process.platform === 'win32' || env.DOCKER_HOST) return true
  const home = os.homedir()
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined
  const candidates = [
    path.join(home, '.testcontainers.properties'),
    '/var/run/docker.sock',
    ...(env.XDG_RUNTIME_DIR ? [path.join(env.XDG_RUNTIME_DIR, 'docker.sock')] : []),
    path.join(home, '.docker', 'run', 'docker.sock'),
    path.join(home, '.docker', 'desktop', 'docker.sock'),
    ...(uid !== undefined ? [`/run/user/${uid}/docker.sock`] : []),
  ]
  return candidates.some((candidate) => existsSync(candidate))
}

function checkName(name: string, source: string): ProviderName {
  if ((PROVIDER_NAMES as readonly string[]).includes(name)) return name as ProviderName
  throw new HarnessError({
    code: 'USAGE',
    stage: 'boot',
    message: `unknown database provider "${name}" (from ${source})`,
    hint: `Use one of: ${PROVIDER_NAMES.join(', ')}`,
  })
}
