/**
 * The shortcuts that keep a CLI run's start short must never change an answer: the cached DMMF is
 * the parsed one, a damaged cache is parsed again, and the container probe is skipped only when
 * testcontainers would find nothing either.
 */
import { existsSync } from 'node:fs'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readDmmf } from '../harness/application/prisma-dmmf.ts'
import { hasContainerRuntimeHint } from '../harness/database/select-provider.ts'
import { REPO_ROOT } from './support/processes.ts'

describe('the DMMF cache', () => {
  let dir: string
  let schema: string
  const previous = process.env.ROUNDTRIP_CACHE_DIR
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'roundtrip-dmmf-cache-'))
    process.env.ROUNDTRIP_CACHE_DIR = dir
    schema = await readFile(path.join(REPO_ROOT, 'prisma', 'schema.prisma'), 'utf8')
  })
  afterAll(async () => {
    if (previous === undefined) delete process.env.ROUNDTRIP_CACHE_DIR
    else process.env.ROUNDTRIP_CACHE_DIR = previous
    await rm(dir, { recursive: true, force: true })
  })

  it('answers from the cache what the parser answered', async () => {
    const parsed = readDmmf(schema, 'schema.prisma')
    const files = await readdir(dir)
    expect(files).toHaveLength(1)
    expect(readDmmf(schema, 'schema.prisma')).toEqual(parsed)
    expect(parsed.datamodel.models.map((m) => m.name)).toContain('User')
  })

  it('parses again when the schema changes or the cached file is damaged', async () => {
    const changed = `${schema}\nmodel Extra {\n  id Int @id\n}\n`
    expect(readDmmf(changed, 'schema.prisma').datamodel.models.map((m) => m.name)).toContain('Extra')
    for (const file of await readdir(dir)) await writeFile(path.join(dir, file), '{"datamodel": {"mod')
    expect(readDmmf(changed, 'schema.prisma').datamodel.models.map((m) => m.name)).toContain('Extra')
    expect(readDmmf(schema, 'schema.prisma').datamodel.models.map((m) => m.name)).not.toContain('Extra')
  })

  it('never caches an invalid schema', async () => {
    const before = (await readdir(dir)).length
    expect(() => readDmmf('model {', 'broken.prisma')).toThrow(/prisma schema invalid: .* \(broken\.prisma\)/)
    expect(await readdir(dir)).toHaveLength(before)
  })
})

describe('the container runtime hint', () => {
  it('sends DOCKER_HOST to the real probe', () => {
    expect(hasContainerRuntimeHint({ DOCKER_HOST: 'unix:///nowhere.sock' })).toBe(true)
  })

  it('finds ~/.testcontainers.properties, and otherwise looks only at the Docker sockets', async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'roundtrip-home-'))
    const previous = process.env.HOME
    process.env.HOME = home
    try {
      const rootful = ['/var/run/docker.sock', `/run/user/${process.getuid?.()}/docker.sock`].some((socket) => existsSync(socket))
      expect(hasContainerRuntimeHint({})).toBe(rootful)
      await writeFile(path.join(home, '.testcontainers.properties'), 'docker.host=unix:///nowhere.sock\n')
      expect(hasContainerRuntimeHint({})).toBe(true)
    } finally {
      process.env.HOME = previous
      await rm(home, { recursive: true, force: true })
    }
  })
})
