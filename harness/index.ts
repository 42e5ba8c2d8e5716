/** The public surface of the roundtrip harness. */
export * from './database/index.ts'
export { loadApplication, type Application, type LoadApplicationOptions } from './application/load-application.ts'
export type {
  FieldType,
  ForeignKeyTarget,
  ModelRegistry,
  RegistryField,
  RegistryModel,
} from './application/model-registry.ts'
export {
  defineRelocation,
  type ForeignKeyKind,
  type ModelRelocation,
  type PlainForeignKey,
  type RelocationMetadata,
  type RelocationScope,
} from './application/relocation-metadata.ts'
export { HarnessError, isHarnessError, type HarnessErrorCode, type HarnessStage } from './errors.ts'
export { readMigrations, migrationsUpTo, type Migration } from './schema/migrations.ts'
export {
  applyMigrations,
  readMigrationState,
  type MigrationResult,
  type MigrationResultSet,
  type MigrationState,
} from './schema/migrator.ts'
export { cloneDatabase, createSchemaTemplate, type SchemaTemplate } from './schema/template.ts'
export { importBackup, DEFAULT_IMPORT_BATCH_SIZE, type ImportBackupOptions } from './import/import-backup.ts'
export type { BackupScope, DropReason, ImportSummary, ModelImportSummary } from './import/import-types.ts'
export type { FilterRequest } from './import/import-filters.ts'
export { exportBackup, DEFAULT_EXPORT_BATCH_SIZE, type ExportBackupOptions, type ExportSummary } from './export/export-backup.ts'
export { dependencyGraph, sortDependencies, type DependencyGraph } from './graph/sorted-dependencies.ts'
export { readBackupEntries, type RawBackupEntry } from './backup/read-backup.ts'
export { createBackupWriter } from './backup/write-backup.ts'
export * from './crypto/index.ts'
export * from './validate/index.ts'
export * from '../comparators/index.ts'
export { check, type CheckOptions, type CheckResult, type SnapshotCheck } from './check/check.ts'
export type { Expectations } from './check/expectations.ts'
export type { Transform, TransformContext } from './check/transforms.ts'
export * from './reports/index.ts'
export { defineConfig, type DatabaseConfig, type RoundtripConfig } from './config/index.ts'
export type { ProgressListener, ProgressUpdate } from './progress/progress-events.ts'
