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
  const { probeContainerRuntime } = await import('./container-provider.ts')
  const runtime = await probeContainerRuntime()
  if (runtime.reachable) return { provider: 'container', reason: `container runtime reachable (${runtime.detail})` }
  return { provider: 'embedded', reason: `no database URL and no container runtime (${runtime.detail})` }
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
