import { HarnessError } from '../errors.ts'
import { coloursFor, type Colours } from './colours.ts'
import { EXIT_FAILURE, EXIT_USAGE } from './exit-codes.ts'

/** Where a command writes: results to `out` (stdout), progress and errors to `err` (stderr). */
export interface CliIo {
  readonly out: (text: string) => void
  readonly err: (text: string) => void
  /** Writes to stderr exactly as given (no newline added), for a progress bar that redraws its line. */
  readonly errRaw?: (text: string) => void
  /** Whether stderr is a terminal: a progress bar and colour only then. Default: false. */
  readonly errIsTerminal?: boolean
  /** The environment (`NO_COLOR`, progress interval). Default: none set. */
  readonly env?: NodeJS.ProcessEnv
}

export const PROCESS_IO: CliIo = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
  errRaw: (text) => process.stderr.write(text),
  get errIsTerminal() {
    return process.stderr.isTTY === true
  },
  get env() {
    return process.env
  },
}

/** The colours for what a command writes to stderr. */
export function stderrColours(io: CliIo): Colours {
  return coloursFor(io.errIsTerminal ?? false, io.env ?? {})
}

/** Writes `roundtrip: <message>` to stderr, the label in red on a terminal. */
export function writeErrorLine(io: CliIo, message: string): void {
  io.err(`${stderrColours(io).red('roundtrip:')} ${message}`)
}

/** Reports a thrown error the way a person can act on, and returns the exit status. */
export function reportError(io: CliIo, error: unknown): number {
  if (error instanceof HarnessError) {
    writeErrorLine(io, error.message)
    // A backup that does not decrypt is an unusable input, like a bad command line or config.
    const unusable = ['USAGE', 'DATABASE_URL_INVALID', 'DECRYPTION_FAILED', 'CONFIG_INVALID'].includes(error.code)
    return unusable ? EXIT_USAGE : EXIT_FAILURE
  }
  writeErrorLine(io, `unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
  return EXIT_FAILURE
}
