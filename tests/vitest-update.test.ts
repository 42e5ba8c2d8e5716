import { copyFile, readFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { spawn } from 'node:child_process'
import path from 'node:path'
import { describe, expect, inject, it } from 'vitest'
import { REPO_ROOT } from './support/processes.ts'
import { tempDir } from './support/temp.ts'

async function runVitest(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'node_modules/vitest/vitest.mjs'), 'run', '--config', 'tests/fixtures/vitest-update/vitest.config.ts', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (chunk) => (output += chunk))
  child.stderr.on('data', (chunk) => (output += chunk))
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve))
  return { code, output }
}

describe('baselines in the vitest integration', () => {
  it('are written by vitest -u, never without it, and never on CI', { timeout: 180_000 }, async () => {
    const dir = await tempDir('rt-vitest-u-')
    const snapshot = path.join(dir, 'sample.json')
    await copyFile(path.join(REPO_ROOT, 'snapshots', 'fresh_install.json'), snapshot)
    const expectations = path.join(dir, 'sample.expect.json')
    const env = { ROUNDTRIP_SAMPLE_SNAPSHOT: snapshot, ROUNDTRIP_SAMPLE_SERVER_URL: inject('roundtripServer').maintenanceUrl, CI: '' }

    const before = await runVitest([], env)
    expect(before.code, before.output).toBe(1)
    expect(before.output).toContain('expected a clean round trip')
    expect(existsSync(expectations)).toBe(false)

    const onCi = await runVitest(['-u'], { ...env, CI: 'true' })
    expect(onCi.code).toBe(1)
    expect(existsSync(expectations)).toBe(false)

    const updated = await runVitest(['-u'], env)
    expect(updated.code, updated.output).toBe(0)
    expect(JSON.parse(await readFile(expectations, 'utf8'))).toEqual({
      changes: [{ model: 'sentry.organization', pk: 1, patch: [{ op: 'replace', path: '/name', value: 'Renamed by transform' }] }],
    })

    const after = await runVitest([], env)
    expect(after.code, after.output).toBe(0)
  })
})
