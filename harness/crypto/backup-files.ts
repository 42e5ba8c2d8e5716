import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto'
import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { finished } from 'node:stream/promises'
import { HarnessError, describeError } from '../errors.ts'
import { compactBackupJson } from './compact-json.ts'
import { decryptTarball, encryptToTarball } from './encrypted-tarball.ts'

/**
 * Encrypted backups as files: what the CLI needs to encrypt and decrypt, and the seam through
 * which `import`, `export`, `check` and `compare` take an encrypted backup: a decrypted temporary
 * JSON file, or an export to a temporary file that is then encrypted. Everything downstream reads
 * and writes plain JSON files as before.
 */

/** A path, or a stream such as standard output. */
export type Destination = string | NodeJS.WritableStream

const PUBLIC_KEY_HINT =
  'Give an RSA public key in PEM, e.g. from openssl rsa -in private.pem -pubout -out public.pem'
const PRIVATE_KEY_HINT =
  'Give an unencrypted RSA private key in PEM, e.g. from openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out private.pem'

/** Reads an RSA public key (SPKI or PKCS#1 PEM; a private key file gives its public half). */
export async function readPublicKey(file: string): Promise<KeyObject> {
  return readKey(file, 'public', (pem) => createPublicKey(pem), PUBLIC_KEY_HINT)
}

/** Reads an unencrypted RSA private key (PKCS#8 or PKCS#1 PEM). */
export async function readPrivateKey(file: string): Promise<KeyObject> {
  return readKey(file, 'private', (pem) => createPrivateKey(pem), PRIVATE_KEY_HINT)
}

async function readKey(
  file: string,
  kind: 'public' | 'private',
  parse: (pem: Buffer) => KeyObject,
  hint: string,
): Promise<KeyObject> {
  const pem = await readFile(file).catch((error: unknown) => {
    throw usage(
      `${kind} key unreadable: ${describeError(error)} (${file})`,
      'Check the path',
      error,
    )
  })
  let key: KeyObject
  try {
    key = parse(pem)
  } catch (error) {
    // OpenSSL's words for "this is not PEM at all" say nothing to a person.
    const why = /DECODER routines::unsupported|no start line/.test(describeError(error))
      ? `not a ${kind} key in PEM form`
      : describeError(error)
    throw usage(`${kind} key unusable: ${why} (${file})`, hint, error)
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw usage(
      `${kind} key unusable: an RSA key is needed, not ${key.asymmetricKeyType} (${file})`,
      hint,
    )
  }
  return key
}

/**
 * Encrypts the backup file `source` into a tarball at `destination` (spec §6.1). The JSON is
 * re-written compact, as Sentry does.
 * @returns the size of the JSON and of the tarball, in bytes
 */
export async function encryptBackupFile(
  source: string,
  publicKeyFile: string,
  destination: Destination,
): Promise<{ jsonBytes: number; tarballBytes: number }> {
  const publicKey = await readPublicKey(publicKeyFile)
  return await encryptWithKey(source, publicKey, destination)
}

async function encryptWithKey(
  source: string,
  publicKey: KeyObject,
  destination: Destination,
): Promise<{ jsonBytes: number; tarballBytes: number }> {
  const json = await compactBackupJson(source)
  const chunks = await encryptToTarball(json, publicKey)
  await writeChunks(destination, chunks)
  return { jsonBytes: json.length, tarballBytes: chunks.reduce((n, c) => n + c.length, 0) }
}

/**
 * Decrypts the tarball `source` and writes the JSON inside to `destination` as it is (compact, as
 * Sentry's `backup decrypt` does).
 * @returns the size of the JSON in bytes
 */
export async function decryptBackupFile(
  source: string,
  privateKeyFile: string,
  destination: Destination,
): Promise<number> {
  const json = await decryptFile(source, privateKeyFile)
  await writeChunks(destination, [json])
  return json.length
}

async function decryptFile(
  file: string,
  privateKeyFile: string,
  side?: 'left' | 'right',
): Promise<Buffer> {
  const privateKey = await readPrivateKey(privateKeyFile)
  const tarball = await readFile(file).catch((error: unknown) => {
    throw usage(
      `backup file unreadable: ${describeError(error)} (${file})`,
      'Check the path',
      error,
    )
  })
  return await decryptTarball(tarball, privateKey, { file, privateKeyFile, side })
}

/** A backup to read as a plain JSON file. */
export interface PlainBackup extends AsyncDisposable {
  /** The JSON file to read. */
  readonly path: string
  /** What to call it in messages: the file given, marked when it is a decrypted copy. */
  readonly name: string
}

/**
 * The backup `file` as plain JSON: the file itself when no private key is given, else a decrypted
 * copy in a new private temporary folder, deleted on dispose. The copy is plaintext on disk
 * while it lives, hence the folder that only the owner may enter.
 */
export async function openPlainBackup(
  file: string,
  privateKeyFile: string | undefined,
  options: { readonly side?: 'left' | 'right' } = {},
): Promise<PlainBackup> {
  if (privateKeyFile === undefined) {
    return { path: file, name: file, [Symbol.asyncDispose]: async () => {} }
  }
  const json = await decryptFile(file, privateKeyFile, options.side)
  const dir = await mkdtemp(path.join(os.tmpdir(), 'roundtrip-decrypted-'))
  const plain = path.join(dir, `${path.basename(file)}.json`)
  try {
    await writeFile(plain, json, { mode: 0o600 })
  } catch (error) {
    await rm(dir, { recursive: true, force: true })
    throw error
  }
  return {
    path: plain,
    name: `${file} (decrypted)`,
    [Symbol.asyncDispose]: () => rm(dir, { recursive: true, force: true }),
  }
}

/** Where an export goes when it is to end up encrypted. */
export interface EncryptingDestination extends AsyncDisposable {
  /** Write the JSON export here. */
  readonly stream: NodeJS.WritableStream
  /** Ends `stream` if needed, then encrypts what was written into the real destination. */
  finish(): Promise<{ jsonBytes: number; tarballBytes: number }>
}

/**
 * A temporary file to export into, encrypted into `destination` by `finish()`. The public key is
 * read first, so a bad key fails before anything is exported.
 */
export async function encryptingDestination(
  destination: Destination,
  publicKeyFile: string,
): Promise<EncryptingDestination> {
  const publicKey = await readPublicKey(publicKeyFile)
  const dir = await mkdtemp(path.join(os.tmpdir(), 'roundtrip-encrypting-'))
  const plain = path.join(dir, 'export.json')
  const stream = createWriteStream(plain, { mode: 0o600 })
  return {
    stream,
    finish: async () => {
      if (!stream.writableEnded) stream.end()
      await finished(stream)
      return await encryptWithKey(plain, publicKey, destination)
    },
    [Symbol.asyncDispose]: async () => {
      stream.destroy()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

async function writeChunks(destination: Destination, chunks: readonly Uint8Array[]): Promise<void> {
  if (typeof destination === 'string') {
    await writeFile(destination, chunks)
    return
  }
  for (const chunk of chunks) {
    if (!destination.write(chunk)) await once(destination as NodeJS.EventEmitter, 'drain')
  }
}

function usage(message: string, hint: string, cause?: unknown): HarnessError {
  return new HarnessError({ code: 'USAGE', stage: 'crypto', message, hint, cause })
}
