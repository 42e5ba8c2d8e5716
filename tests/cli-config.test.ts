/**
 * `roundtrip.config.ts`: found in the working folder or named by --config, every setting used,
 * flags winning over the file, and a bad file refused with its name, the setting and a fix.
 * The CLI runs as a real process against the run's shared server (`database.url`).
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { loadConfig } from '../harness/config/load-config.ts'
import { runCli } from './support/cli.ts'
import { REPO_ROOT } from './support/processes.ts'

const CONFIG_MODULE = path.join(REPO_ROOT, 'harness', 'config', 'index.ts')
const COMPARATORS = path.join(REPO_ROOT, 'comparators', 'index.ts')
const RENAME_TRANSFORM = path.join(REPO_ROOT, 'tests', 'fixtures', 'transforms', 'rename-organization.ts')
const OLD_SNAPSHOT = path.join(REPO_ROOT, 'snapshots', 'environment_before_rename.json')

let dir: string
let serverUrl: string

/** Writes a config file into a fresh folder of `dir` and returns that folder. */
async function project(name: string, body: string): Promise<string> {
  const folder = path.join(dir, name)
  await mkdir(path.join(folder, 'snapshots'), { recursive: true })
  await copyFile(path.join(REPO_ROOT, 'snapshots', 'fresh_install.json'), path.join(folder, 'snapshots', 'fresh_install.json'))
  await writeFile(
    path.join(folder, 'roundtrip.config.ts'),
    `import { defineConfig } from ${JSON.stringify(CONFIG_MODULE)}\nimport { ignored } from ${JSON.stringify(COMPARATORS)}\nvoid ignored\nexport default defineConfig(${body})\n`,
  )
  return folder
}

const base = () => `app: ${JSON.stringify(path.join(REPO_ROOT, 'prisma'))}, database: { url: ${JSON.stringify(serverUrl)} }`

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'roundtrip-config-'))
  serverUrl = inject('roundtripServer').maintenanceUrl
})
afterAll(() => rm(dir, { recursive: true, force: true }))

describe('roundtrip.config.ts', () => {
  it('is found in the working folder: a bare `check` checks its snapshots on its database', async () => {
    const folder = await project('found', `{ ${base()}, snapshots: ['snapshots/*.json'] }`)
    const run = await runCli(['check'], {}, { cwd: folder })
    expect(run.code, run.stderr).toBe(0)
    expect(run.stderr).toContain('PASS snapshots/fresh_install.json')
    expect(run.stderr).toMatch(/database: .*\(url:/)
    expect(run.stderr).toContain('1 passed, 0 failed')
  })

  it('runs its transforms, and its comparator additions account for what they change', async () => {
    const transforms = `transforms: [${JSON.stringify(RENAME_TRANSFORM)}]`
    const failing = await project('transform', `{ ${base()}, snapshots: ['snapshots/fresh_install.json'], ${transforms} }`)
    const failed = await runCli(['check'], {}, { cwd: failing })
    expect(failed.code, failed.stderr).toBe(1)
    expect(failed.stderr).toContain('Renamed by transform')

    const accounted = await project(
      'comparator',
      `{ ${base()}, snapshots: ['snapshots/fresh_install.json'], ${transforms}, comparators: [{ model: 'sentry.organization', comparator: ignored('name') }] }`,
    )
    const passed = await runCli(['check'], {}, { cwd: accounted })
    expect(passed.code, passed.stderr).toBe(0)
  })

  it('reads expectations from the folder it names, and the migration to import at', async () => {
    const folder = await project('expectations', `{ ${base()}, snapshots: ['old/*.json'], expectations: 'expected' }`)
    await mkdir(path.join(folder, 'old'))
    await mkdir(path.join(folder, 'expected'))
    await copyFile(OLD_SNAPSHOT, path.join(folder, 'old', 'environment_before_rename.json'))
    // Without its expectations the old snapshot fails (the migration renames a field)…
    const without = await runCli(['check'], {}, { cwd: folder })
    expect(without.code, without.stderr).toBe(1)
    // …and with them, found through the config's folder, it passes.
    await copyFile(`${OLD_SNAPSHOT.replace(/\.json$/, '')}.expect.json`, path.join(folder, 'expected', 'environment_before_rename.json.expect.json'))
    const withThem = await runCli(['check'], {}, { cwd: folder })
    expect(withThem.code, withThem.stderr).toBe(0)
    expect(withThem.stderr).toContain(`expectations ${path.join(folder, 'expected', 'environment_before_rename.json.expect.json')}`)
  })

  it('loses to flags: snapshots named, --report, --cycles', async () => {
    const folder = await project('flags', `{ ${base()}, snapshots: ['snapshots/*.json', 'missing/*.json'], reports: ['from-config.json'], cycles: 3 }`)
    const run = await runCli(['check', 'snapshots/fresh_install.json', '--report', 'from-flag.json', '--cycles', '1'], {}, { cwd: folder })
    expect(run.code, run.stderr).toBe(0)
    // The config's snapshot glob that matches nothing was never expanded: the argument won.
    expect(run.stderr).not.toContain('missing/*.json')
    expect(JSON.parse(await readFile(path.join(folder, 'from-flag.json'), 'utf8'))).toMatchObject({ command: 'check', passed: true, snapshots: [{ snapshot: 'snapshots/fresh_install.json' }] })
    await expect(readFile(path.join(folder, 'from-config.json'))).rejects.toThrow(/ENOENT/)

    const fromConfig = await runCli(['check', 'snapshots/fresh_install.json'], {}, { cwd: folder })
    expect(fromConfig.code, fromConfig.stderr).toBe(0)
    expect(fromConfig.stderr).toContain(`report: ${path.join(folder, 'from-config.json')}`)
  })

  it('chooses the PostgreSQL major, and --pg-major overrides it', async () => {
    const folder = path.join(dir, 'major')
    await mkdir(folder)
    await writeFile(path.join(folder, 'settings.ts'), `export default { app: ${JSON.stringify(path.join(REPO_ROOT, 'prisma'))}, database: { provider: 'embedded', pgMajor: 17 } }\n`)
    const fromFile = await runCli(['schema', '--config', 'settings.ts'], {}, { cwd: folder })
    expect(fromFile.code, fromFile.stderr).toBe(0)
    expect(fromFile.stdout + fromFile.stderr).toMatch(/PostgreSQL 17\./)
    const fromFlag = await runCli(['schema', '--config', 'settings.ts', '--pg-major', '15'], {}, { cwd: folder })
    expect(fromFlag.code, fromFlag.stderr).toBe(0)
    expect(fromFlag.stdout + fromFlag.stderr).toMatch(/PostgreSQL 15\./)
  })

  it('refuses a bad file with exit 2, naming the file, the setting and the fix', async () => {
    const cases: { body: string; message: RegExp }[] = [
      { body: `{ snapshot: ['x.json'] }`, message: /unknown setting `snapshot`\. Known settings: app, snapshots/ },
      { body: `{ cycles: 0 }`, message: /`cycles` must be a whole number of at least 1, not 0/ },
      { body: `{ database: { provider: 'docker' } }`, message: /`database\.provider` must be one of embedded, container, url, not "docker"/ },
      { body: `{ snapshots: 'snapshots/*.json' }`, message: /`snapshots` must be a list of paths, not "snapshots\/\*\.json"/ },
      { body: `{ snapshots: ['nothing/*.json'] }`, message: /snapshots: "nothing\/\*\.json" matches no snapshot file\. Fix the pattern/ },
    ]
    for (const [index, { body, message }] of cases.entries()) {
      const folder = await project(`bad-${index}`, body)
      const run = await runCli(['check'], {}, { cwd: folder })
      expect(run.code, run.stderr).toBe(2)
      expect(run.stderr).toContain(`config ${path.join(folder, 'roundtrip.config.ts')}: `)
      expect(run.stderr).toMatch(message)
    }
  })

  it('refuses a file that does not load, a missing --config and one without a default export', async () => {
    const folder = path.join(dir, 'broken')
    await mkdir(folder)
    await writeFile(path.join(folder, 'syntax.ts'), 'export default {{\n')
    await writeFile(path.join(folder, 'named.ts'), 'export const config = {}\n')
    const syntax = await runCli(['check', '--config', 'syntax.ts'], {}, { cwd: folder })
    expect(syntax.code).toBe(2)
    expect(syntax.stderr).toMatch(/syntax\.ts: it could not be loaded: .+\. Fix the error in the file/)
    const missing = await runCli(['check', '--config', 'nope.ts'], {}, { cwd: folder })
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('nope.ts: the file does not exist. Check the path given to --config')
    const named = await runCli(['check', '--config', 'named.ts'], {}, { cwd: folder })
    expect(named.code).toBe(2)
    expect(named.stderr).toContain("it has no default export. End it with `export default defineConfig({ … })`")
  })

  it('without a config file, a bare `check` says how to name snapshots', async () => {
    const folder = path.join(dir, 'empty')
    await mkdir(folder)
    const run = await runCli(['check'], {}, { cwd: folder })
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('no snapshots given: name them (roundtrip check snapshots/*.json), or list them under `snapshots` in roundtrip.config.ts')
  })

  it('loads the repository’s own config, through the package name', async () => {
    const config = await loadConfig({ cwd: REPO_ROOT })
    expect(config.file).toBe(path.join(REPO_ROOT, 'roundtrip.config.ts'))
    expect(config.app).toBe(path.join(REPO_ROOT, 'prisma'))
    expect(config.snapshots).toEqual(['snapshots/*.json'])
  })
})
