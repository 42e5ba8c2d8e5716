import type { Command } from 'commander'
import { encryptBackupFile } from '../../crypto/backup-files.ts'
import { HarnessError, isHarnessError } from '../../errors.ts'
import { EXIT_OK, EXIT_USAGE } from '../exit-codes.ts'
import type { CliIo } from '../output.ts'

interface EncryptFlags {
  readonly src?: string
  readonly encryptWith?: string
  readonly silent?: boolean
}

/**
 * `roundtrip encrypt <dest>`: a backup as Sentry's encrypted tarball (spec §6.1), which only the
 * holder of the private key can open. Exit 2 for a bad command line, key or input JSON.
 */
export function registerEncryptCommand(
  program: Command,
  io: CliIo,
  setExitCode: (code: number) => void,
) {
  program
    .command('encrypt')
    .description("encrypt a backup into a tarball only the private key opens (Sentry's format)")
    .argument('<dest>', 'the tarball to write; "-" for standard output')
    .option('--src <file>', 'the backup (JSON) to encrypt')
    .option('--encrypt-with <public.pem>', 'the RSA public key (PEM) to encrypt with')
    .option('--silent', 'print nothing')
    .addHelpText(
      'after',
      '\nExample:\n' +
        '  $ openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out private.pem\n' +
        '  $ openssl rsa -in private.pem -pubout -out public.pem\n' +
        '  $ roundtrip encrypt backup.tar --src backup.json --encrypt-with public.pem',
    )
    .action(async (dest: string, flags: EncryptFlags) => {
      const src = required(flags.src, '--src', 'Name the backup to encrypt, e.g. --src backup.json')
      const key = required(
        flags.encryptWith,
        '--encrypt-with',
        'Name the RSA public key, e.g. --encrypt-with public.pem',
      )
      try {
        const sizes = await encryptBackupFile(src, key, dest === '-' ? process.stdout : dest)
        if (!flags.silent) {
          io.err(
            `encrypted ${src} into ${dest === '-' ? 'standard output' : dest} (${sizes.jsonBytes} bytes of compact JSON, a ${sizes.tarballBytes}-byte tarball)`,
          )
        }
        setExitCode(EXIT_OK)
      } catch (error) {
        // Sentry's "Invalid input JSON": the input is unusable, like a bad command line.
        if (!isHarnessError(error, 'BACKUP_INVALID')) throw error
        io.err(`roundtrip: ${error.message}`)
        setExitCode(EXIT_USAGE)
      }
    })
}

function required(value: string | undefined, flag: string, hint: string): string {
  if (value) return value
  throw new HarnessError({ code: 'USAGE', stage: 'cli', message: `encrypt needs ${flag}`, hint })
}
