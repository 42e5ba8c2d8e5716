import type { Command } from 'commander'
import pg from 'pg'
import { loadApplication } from '../../application/load-application.ts'
import { startServer } from '../../database/start-server.ts'
import { cloneDatabase, createSchemaTemplate } from '../../schema/template.ts'
import { addDatabaseOptions, toStartServerOptions, type DatabaseFlags } from '../database-options.ts'
import { EXIT_OK } from '../exit-codes.ts'
import { appDir, appOption, configOption, loadCliConfig, type AppFlags } from '../config-option.ts'
import type { CliIo } from '../output.ts'

interface SchemaFlags extends DatabaseFlags, AppFlags {
  readonly to?: string
}

/**
 * `roundtrip schema`: the first half of every round trip on its own — start a throwaway server,
 * build the schema template from the migrations, clone it, and list what the clone holds.
 */
export function registerSchemaCommand(program: Command, io: CliIo, setExitCode: (code: number) => void) {
  addDatabaseOptions(
    program
      .command('schema')
      .description("start a throwaway PostgreSQL, apply the application's migrations, list the tables")
      .addOption(appOption())
      .addOption(configOption())
      .option('--to <migration>', 'apply migrations only up to and including this one'),
  )
    .addHelpText('after', '\nExample:\n  $ roundtrip schema --provider embedded --to 20241101000000_init')
    .action(async (flags: SchemaFlags) => {
      const started = performance.now()
      const config = await loadCliConfig(flags)
      const application = await loadApplication({ dir: appDir(flags, config) })
      await using server = await startServer(toStartServerOptions(flags, config.database))
      io.err(`database: ${server.description} (${server.provider}: ${server.reason})`)
      const template = await createSchemaTemplate(server, { migrations: application.migrations, to: flags.to })
      await using clone = await cloneDatabase(server, template.name)
      io.err(`migrations: ${template.migrations.join(', ') || '(none)'}`)
      for (const line of await describeTables(clone.url)) io.out(line)
      io.err(`ready in ${((performance.now() - started) / 1000).toFixed(2)} s (database ${clone.name})`)
      setExitCode(EXIT_OK)
    })
}

async function describeTables(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const result = await client.query<{ table_name: string; columns: number }>(`
      SELECT c.relname AS table_name, count(a.attnum)::int AS columns
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE c.relkind = 'r'
      GROUP BY c.relname
      ORDER BY c.relname`)
    const width = Math.max(...result.rows.map((row) => row.table_name.length), 5)
    return [
      `${'table'.padEnd(width)}  columns`,
      ...result.rows.map((row) => `${row.table_name.padEnd(width)}  ${row.columns}`),
      `${result.rows.length} tables`,
    ]
  } finally {
    await client.end()
  }
}
