import { HarnessError } from '../errors.ts'
import type { ModelRegistry } from '../application/model-registry.ts'

/** Model name → names of the models it must come after. */
export type DependencyGraph = ReadonlyMap<string, readonly string[]>

/**
 * The models' dependencies: foreign-key targets plus declared ordering dependencies. A model's
 * references to itself are left out, since rows of one model go in together.
 */
export function dependencyGraph(registry: ModelRegistry): DependencyGraph {
  const graph = new Map<string, string[]>()
  for (const model of registry.models.values()) {
    const targets = new Set<string>()
    for (const field of model.fields) if (field.foreignKey) targets.add(field.foreignKey.model)
    for (const dependency of model.dependsOn) targets.add(dependency)
    targets.delete(model.name)
    graph.set(model.name, [...targets].sort())
  }
  return graph
}

/**
 * The import/export order of the models: Sentry's `sorted_dependencies`, reproduced exactly
 * because it fixes the on-disk order of every export. Passes over the not-yet-placed models append
 * each model whose dependencies are all placed (including ones placed earlier in the same pass).
 * The first pass visits models in ascending name order and every later pass in descending order —
 * a quirk of the original that a faithful port must keep. A dependency on a model outside the
 * graph counts as satisfied.
 */
export function sortDependencies(graph: DependencyGraph): string[] {
  const placed: string[] = []
  const placedSet = new Set<string>()
  // Taken from the end, so sorted descending means visited ascending.
  let remaining = [...graph.keys()].sort().reverse()
  while (remaining.length > 0) {
    const skipped: string[] = []
    let changed = false
    while (remaining.length > 0) {
      const model = remaining.pop()!
      const ready = graph.get(model)!.every((dep) => placedSet.has(dep) || !graph.has(dep))
      if (ready) {
        placed.push(model)
        placedSet.add(model)
        changed = true
      } else {
        skipped.push(model)
      }
    }
    if (!changed) {
      const names = [...skipped].sort()
      throw new HarnessError({
        code: 'APPLICATION_INVALID',
        stage: 'application',
        message: `dependency cycle: can't resolve dependencies for ${names.join(', ')}`,
        hint: 'Break the cycle by making one of these foreign keys a plain column without a declared target, or by removing an ordering dependency',
        context: { model: names[0] },
      })
    }
    // Sorted ascending and taken from the end: later passes visit in descending order.
    remaining = skipped.sort()
  }
  return placed
}
