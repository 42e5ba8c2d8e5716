export { DatabaseServer, type CreateDatabaseOptions, type OwnedDatabase } from './database-server.ts'
export { chooseProvider, type ProviderChoice } from './select-provider.ts'
export { startPostgres, startServer, type Postgres, type StartServerOptions } from './start-server.ts'
export { DEFAULT_PG_MAJOR, PROVIDER_NAMES, type ProviderName } from './types.ts'
