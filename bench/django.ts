// Django's loaddata/dumpdata (the ancestor of Sentry's importer) of the same snapshot, on the
// equivalent models in bench/django/, against a database on our server. Debian's python3 only:
// a python3 earlier on PATH (pyenv) does not see Debian's python3-django.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { stat } from 'node:fs/promises'
import path from 'node:path'
import type { DatabaseServer } from '../harness/database/database-server.ts'
import { runCommand } from './run-step.ts'

export const DEBIAN_PYTHON = '/usr/bin/python3'
const DJANGO_DIR = path.join(import.meta.dirname, 'django')
const MANAGE = path.join(DJANGO_DIR, 'manage.py')

export interface DjangoAvailability {
  readonly version: string | undefined
  /** Why Django cannot be run, when it cannot. */
  readonly problem: string | undefined
}

export function findDjango(): DjangoAvailability {
  if (!existsSync(DEBIAN_PYTHON)) return { version: undefined, problem: `${DEBIAN_PYTHON} not found` }
  const probe = spawnSync(DEBIAN_PYTHON, ['-c', 'import django, psycopg2; print(django.get_version())'], { encoding: 'utf8' })
  if (probe.status !== 0) {
    const why = (probe.stderr ?? '').trim().split('\n').pop() ?? 'import failed'
    return { version: undefined, problem: `${DEBIAN_PYTHON} cannot import django and psycopg2 (${why}); scripts/install-bench-tools.sh installs python3-django and python3-psycopg2` }
  }
  return { version: probe.stdout.trim(), problem: undefined }
}

export interface DjangoTiming {
  /** `migrate --run-syncdb` of the empty database (not part of any ratio). */
  readonly setupMs: number
  readonly loaddataMs: number
  readonly loaddataRssMb: number | undefined
  readonly dumpdataMs: number
  readonly dumpdataRssMb: number | undefined
  readonly dumpBytes: number
  readonly rows: number
}

/**
 * Times `manage.py loaddata <snapshot>` into a new, migrated database and `manage.py dumpdata
 * sentry` of it to `destination`. Each is one process from start to exit, Django's start-up
 * (about a quarter of a second) included. The database is dropped afterwards.
 */
export async function benchDjango(
  server: DatabaseServer,
  snapshot: string,
  destination: string,
  timeoutMs: number,
): Promise<DjangoTiming> {
  const database = await server.createDatabase({ kind: 'django' })
  try {
    const env = { ...process.env, BENCH_DJANGO_URL: database.url, PYTHONDONTWRITEBYTECODE: '1' }
    const manage = (args: string[]) => runCommand(DEBIAN_PYTHON, [MANAGE, ...args], { env, cwd: DJANGO_DIR, timeoutMs })
    const setup = await manage(['migrate', '--run-syncdb', '--verbosity', '0'])
    const load = await manage(['loaddata', snapshot, '--verbosity', '1'])
    // "Installed 10000 object(s) from 1 fixture(s)"
    const rows = Number(/Installed (\d+) object/.exec(load.stdout)?.[1] ?? Number.NaN)
    const dump = await manage(['dumpdata', 'sentry', '--indent', '2', '--output', destination, '--verbosity', '0'])
    return {
      setupMs: setup.ms,
      loaddataMs: load.ms,
      loaddataRssMb: load.maxRssMb,
      dumpdataMs: dump.ms,
      dumpdataRssMb: dump.maxRssMb,
      dumpBytes: (await stat(destination)).size,
      rows,
    }
  } finally {
    await database.dispose()
  }
}
