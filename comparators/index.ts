/** The comparator library: the contract, the built-in comparators and the default map. */
export {
  defineComparator,
  existenceFindings,
  finding,
  hasStandardScrub,
  isMissing,
  isReflexive,
  usesOrdinalOnlyInFindings,
  presentFields,
  scrubFields,
  SCRUBBED,
  type Comparator,
  type ComparatorDefinition,
  type ComparatorFinding,
  type ComparatorName,
  type ComparedRow,
  type CompareContext,
  type FindingKind,
  type InstanceId,
  type PrimaryKeyOrdinals,
  type ScrubbedMarker,
} from './comparator.ts'
export { autoSuffix } from './auto-suffix.ts'
export { dateUpdated } from './date-updated.ts'
export { datetimeEquality } from './datetime-equality.ts'
export { emailObfuscating, shortenEmail } from './email-obfuscating.ts'
export { equalOrRemoved } from './equal-or-removed.ts'
export { foreignKey, primaryKeyOrdinals } from './foreign-key.ts'
export { hashObfuscating, shortenHash } from './hash-obfuscating.ts'
export { ignored } from './ignored.ts'
export { obfuscatingComparator, type ObfuscatingOptions } from './obfuscating.ts'
export { regexComparator, type RegexComparatorOptions } from './regex.ts'
export { secretHex } from './secret-hex.ts'
export { subscriptionId } from './subscription-id.ts'
export { unorderedList } from './unordered-list.ts'
export { userPasswordObfuscating, shortenPassword } from './user-password-obfuscating.ts'
export { uuid4 } from './uuid4.ts'
export {
  defaultComparators,
  describeComparatorMap,
  type ComparatorMap,
  type ComparatorRegistration,
  type DefaultComparatorsOptions,
} from './default-comparators.ts'
