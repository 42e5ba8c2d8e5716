import type { Command } from 'commander'
import { decryptBackupFile } from '../../crypto/backup-files.ts'
import { HarnessError } from '../../errors.ts'
import { EXIT_OK } from '../exit-codes.ts'
import type { CliIo } from '../output.ts'

interface DecryptFlags {
  readonly src?: string
  readonly decryptWith?: string
  readonly silent?: boolean
}

/**
 * `roundtrip decrypt <dest>`: the JSON inside an encrypted tarball (spec §6.1), written as it is
 * stored there (compact), as Sentry's `backup decrypt` does. A tarball that does not decrypt
 * (wrong key, damaged, not a backup tarball) exits 2, like any unusable input.
 */
export function registerDecryptCommand(
  program: Command,
  io: CliIo,
  setExitCode: (code: number) => void,
) {
  program
    .command('decrypt')
    .description('decrypt an encrypted backup tarball into its JSON')
    .argument('<dest>', 'the JSON file to write; "-" for standard output')
    .option('--src <tar>', 'the encrypted tarball')
    .option(
      '--decrypt-with <private.pem>',
      'the RSA private key (PEM) of the encrypting public key',
    )
    .option('--silent', 'print nothing')
    .addHelpText(
      'after',
      '\nExample:\n  $ roundtrip decrypt backup.json --src backup.tar --decrypt-with private.pem',
    )
    .action(async (dest: string, flags: DecryptFlags) => {
      const src = required(flags.src, '--src', 'Name the tarball to decrypt, e.g. --src backup.tar')
      const key = required(
        flags.decryptWith,
        '--decrypt-with',
        'Name the RSA private key, e.g. --decrypt-with private.pem',
      )
      const bytes = await decryptBackupFile(src, key, dest === '-' ? process.stdout : dest)
      if (!flags.silent) {
        io.err(`decrypted ${src} into ${dest === '-' ? 'standard output' : dest} (${bytes} bytes)`)
      }
      setExitCode(EXIT_OK)
    })
}

function required(value: string | undefined, flag: string, hint: string): string {
  if (value) return value
  throw new HarnessError({ code: 'USAGE', stage: 'cli', message: `decrypt needs ${flag}`, hint })
}
