import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadApplication } from '../harness/application/load-application.ts'
import { isHarnessError } from '../harness/errors.ts'
import { dependencyGraph, sortDependencies } from '../harness/graph/sorted-dependencies.ts'

const DEPENDENCIES = path.resolve(import.meta.dirname, '..', 'snapshots', 'sentry', 'model_dependencies')
const readJson = async <T>(name: string) => JSON.parse(await readFile(path.join(DEPENDENCIES, name), 'utf8')) as T

describe('sortDependencies', () => {
  it("reproduces Sentry's sorted.json from flat.json plus the relocation dependencies, all 232 models", async () => {
    const flat = await readJson<Record<string, string[]>>('flat.json')
    const detailed = await readJson<Record<string, { relocation_dependencies: string[] }>>('detailed.json')
    const sorted = await readJson<string[]>('sorted.json')
    const graph = new Map(
      Object.entries(flat).map(([model, targets]) => [
        model,
        [...targets, ...(detailed[model]?.relocation_dependencies ?? [])],
      ]),
    )
    expect(graph.size).toBe(232)
    expect(sortDependencies(graph)).toEqual(sorted)
  })

  it('orders the reference application as the matching subsequence of sorted.json', async () => {
    const application = await loadApplication({ dir: 'prisma' })
    const sorted = await readJson<string[]>('sorted.json')
    const ours = sortDependencies(dependencyGraph(application.registry))
    expect(ours).toEqual(sorted.filter((model) => application.registry.models.has(model)))
  })

  it('visits ascending first and descending afterwards', () => {
    // b waits for c; on the second pass the remaining models are visited from z down.
    const graph = new Map([
      ['a', []],
      ['b', ['c']],
      ['c', ['d']],
      ['d', []],
      ['y', ['b']],
      ['z', ['b']],
    ])
    // Pass 1 (ascending) places a, d. Pass 2 (descending: z, y, c, b) places c, then b, which
    // needed c from the same pass. Pass 3 (descending again) places z before y; ascending passes
    // throughout would give y before z.
    expect(sortDependencies(graph)).toEqual(['a', 'd', 'c', 'b', 'z', 'y'])
  })

  it('counts a dependency on a model outside the graph as satisfied', () => {
    expect(sortDependencies(new Map([['x', ['elsewhere']]]))).toEqual(['x'])
  })

  it('names the models of an unresolvable cycle', () => {
    const graph = new Map([
      ['app.a', ['app.b']],
      ['app.b', ['app.c']],
      ['app.c', ['app.a']],
      ['app.free', []],
    ])
    let error: unknown
    try {
      sortDependencies(graph)
    } catch (e) {
      error = e
    }
    expect(isHarnessError(error, 'APPLICATION_INVALID')).toBe(true)
    expect((error as Error).message).toMatch(/^dependency cycle: can't resolve dependencies for app\.a, app\.b, app\.c\./)
  })
})
