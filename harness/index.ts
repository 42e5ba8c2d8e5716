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
