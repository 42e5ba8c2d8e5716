import { Command, CommanderError } from 'commander'
import { registerCompareCommand } from './commands/compare-command.ts'
import { registerCheckCommand } from './commands/check-command.ts'
import { registerDecryptCommand } from './commands/decrypt-command.ts'
import { registerEncryptCommand } from './commands/encrypt-command.ts'
import { registerExportCommand } from './commands/export-command.ts'
import { registerImportCommand } from './commands/import-command.ts'
import { registerMigrateCommand } from './commands/migrate-command.ts'
import { registerSchemaCommand } from './commands/schema-command.ts'
import { EXIT_OK, EXIT_USAGE } from './exit-codes.ts'
import { PROCESS_IO, reportError, type CliIo } from './output.ts'

/** Builds the `roundtrip` command; each subcommand lives in its own module. */
export function buildProgram(io: CliIo, setExitCode: (code: number) => void): Command {
  const program = new Command('roundtrip')
    .description('Prove that a database backup survives a round trip through your schema.')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
  registerSchemaCommand(program, io, setExitCode)
  registerCheckCommand(program, io, setExitCode)
  registerMigrateCommand(program, io, setExitCode)
  registerImportCommand(program, io, setExitCode)
  registerExportCommand(program, io, setExitCode)
  registerCompareCommand(program, io, setExitCode)
  registerEncryptCommand(program, io, setExitCode)
  registerDecryptCommand(program, io, setExitCode)
  return program
}

/** Runs the CLI and returns the exit status instead of exiting, so tests can call it in-process. */
export async function main(argv: readonly string[], io: CliIo = PROCESS_IO): Promise<number> {
  let exitCode = EXIT_OK
  const program = buildProgram(io, (code) => {
    exitCode = code
  })
  try {
    await program.parseAsync([...argv], { from: 'user' })
    return exitCode
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through here with exit code 0.
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE
    }
    return reportError(io, error)
  }
}
