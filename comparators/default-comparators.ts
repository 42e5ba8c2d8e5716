import {
  checkComparatorRegistrations,
  type ModelRegistry,
  type RegistryModel,
} from '../harness/application/model-registry.ts'
import { HarnessError } from '../harness/errors.ts'
import type { Comparator, ComparatorName } from './comparator.ts'
import { datetimeEquality } from './datetime-equality.ts'
import { emailObfuscating } from './email-obfuscating.ts'
import { foreignKey } from './foreign-key.ts'

/** Each model's comparators, in the order `validate()` runs them. Models without one are absent. */
export type ComparatorMap = ReadonlyMap<string, readonly Comparator[]>

/** A comparator added for a model outside the relocation metadata. */
export interface ComparatorRegistration {
  /** The model's name in backups. */
  readonly model: string
  readonly comparator: Comparator
}

export interface DefaultComparatorsOptions {
  /**
   * More explicit comparators, placed after the model's declared ones and before the automatic
   * ones; checked like the declared ones (unknown model or field, duplicates). Default: none.
   */
  readonly extra?: readonly ComparatorRegistration[]
}

/**
 * The default comparator map (spec §5.3): each model's explicit comparators (declared in the
 * relocation metadata, then `extra`), then, from the schema alone,
 * 1. DatetimeEquality over the datetime fields of exportable models that already have an entry,
 *    leaving out fields a DateUpdated or Ignored comparator of the model names;
 * 2. EmailObfuscating over the e-mail fields of every exportable model;
 * 3. a ForeignKey comparator over all foreign-key fields of every model (possibly none).
 * Steps 1 and 2 merge their fields into a comparator of the same name already in the list.
 * @throws HarnessError for an `extra` registration naming an unknown model or field, or a duplicate
 */
export function defaultComparators(
  registry: ModelRegistry,
  options: DefaultComparatorsOptions = {},
): ComparatorMap {
  const map = new Map<string, Comparator[]>()
  for (const model of registry.models.values()) {
    if (model.comparators.length > 0) map.set(model.name, [...model.comparators])
  }
  addExtra(registry, map, options.extra ?? [])

  for (const model of registry.models.values()) {
    const list = map.get(model.name)
    if (!list || !isExportable(model)) continue
    const claimed = new Set(
      list
        .filter((c) => c.name === 'DateUpdatedComparator' || c.name === 'IgnoredComparator')
        .flatMap((c) => c.fields),
    )
    const datetimes = model.fields
      // A date column is not a datetime, as Django's DateField is not a DateTimeField.
      .filter((f) => f.type === 'datetime' && f.nativeType !== 'Date' && !claimed.has(f.name))
      .map((f) => f.name)
    merge(list, 'DatetimeEqualityComparator', datetimes, datetimeEquality)
  }
  for (const model of registry.models.values()) {
    if (!isExportable(model)) continue
    const emails = model.fields.filter((f) => f.isEmail).map((f) => f.name)
    if (emails.length === 0) continue
    const list = map.get(model.name) ?? []
    map.set(model.name, list)
    merge(list, 'EmailObfuscatingComparator', emails, emailObfuscating)
  }
  for (const model of registry.models.values()) {
    const targets = Object.fromEntries(
      model.fields.flatMap((f) => (f.foreignKey ? [[f.name, f.foreignKey.model]] : [])),
    )
    const list = map.get(model.name) ?? []
    map.set(model.name, list)
    list.push(foreignKey(targets))
  }
  return map
}

/** The map as Sentry's snapshot writes it (`default-comparators.json`): sorted, fields sorted. */
export function describeComparatorMap(
  map: ComparatorMap,
): { model_name: string; comparators: { class: string; fields: string[] }[] }[] {
  return [...map.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([model, comparators]) => ({
      model_name: model,
      comparators: comparators.map((c) => ({ class: c.name, fields: [...c.fields].sort() })),
    }))
}

/** A model that travels in some backup: Sentry's "exportable" (its scope is not only Excluded). */
function isExportable(model: RegistryModel): boolean {
  return model.scopes.some((scope) => scope !== 'Excluded')
}

function addExtra(
  registry: ModelRegistry,
  map: Map<string, Comparator[]>,
  extra: readonly ComparatorRegistration[],
): void {
  for (const { model: name, comparator } of extra) {
    const model = registry.get(name)
    if (!model) {
      throw new HarnessError({
        code: 'APPLICATION_INVALID',
        stage: 'application',
        message: `comparator registration invalid: no model "${name}" in the application (model ${name})`,
        hint: 'Register comparators for models of the relocation metadata, by their names in backups',
        context: { model: name, comparator: comparator?.name },
      })
    }
    const list = map.get(name) ?? []
    list.push(comparator)
    checkComparatorRegistrations(model, list)
    map.set(name, list)
  }
}

/** Adds `fields` to the list's comparator named `name`, or appends a new one. */
function merge(
  list: Comparator[],
  name: ComparatorName,
  fields: readonly string[],
  build: (...fields: string[]) => Comparator,
): void {
  if (fields.length === 0) return
  const index = list.findIndex((c) => c.name === name)
  // Comparators are immutable (declared ones are shared), so a merge builds a new one.
  if (index >= 0) list[index] = build(...list[index]!.fields, ...fields)
  else list.push(build(...fields))
}
