/** Encrypted backups: Sentry's tarball (spec §6.1), Fernet, and the file-level seam. */
export {
  decryptBackupFile,
  encryptBackupFile,
  encryptingDestination,
  openPlainBackup,
  readPrivateKey,
  readPublicKey,
  type Destination,
  type EncryptingDestination,
  type PlainBackup,
} from './backup-files.ts'
export { compactBackupJson } from './compact-json.ts'
export {
  decryptTarball,
  encryptToTarball,
  TARBALL_MEMBERS,
  type TarballMember,
  type TarballNames,
} from './encrypted-tarball.ts'
export {
  fernetDecrypt,
  fernetEncrypt,
  generateFernetKey,
  type FernetEncryptOptions,
} from './fernet.ts'
