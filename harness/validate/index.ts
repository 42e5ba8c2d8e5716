/** validate(): compares two exports instance by instance through the comparators (spec §4). */
export {
  DIFF_CONTEXT_LINES,
  validate,
  validateBackups,
  type BackupSource,
  type ModelCounts,
  type ScrubCount,
  type ValidateCounts,
  type ValidateOptions,
  type ValidateResult,
} from './validate.ts'
export { unifiedDiff } from './unified-diff.ts'
