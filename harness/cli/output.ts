import { HarnessError } from '../errors.ts'
import { EXIT_FAILURE, EXIT_USAGE } from './exit-codes.ts'

/** Where a command writes: results to `out` (stdout), progress and errors to `err` (stderr). */
export interface CliIo {
  readonly out: (text: string) => void
  readonly err: (text: string) => void
}

export const PROCESS_IO: CliIo = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
}

/** Reports a thrown error the way a person can act on, and returns the exit status. */
export function reportError(io: CliIo, error: unknown): number {
  if (error instanceof HarnessError) {
    io.err(`roundtrip: ${error.message}`)
    // A backup that does not decrypt is an unusable input, like a bad command line.
    const unusable = ['USAGE', 'DATABASE_URL_INVALID', 'DECRYPTION_FAILED'].includes(error.code)
    return unusable ? EXIT_USAGE : EXIT_FAILURE
  }
  io.err(`roundtrip: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
  return EXIT_FAILURE
}
