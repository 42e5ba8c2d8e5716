/**
 * Fernet (https://github.com/fernet/spec), written here on Node's crypto instead of taken from
 * npm, because no package there is both sound and kept up:
 * - `fernet` is built on crypto-js 3.1 (discontinued in favour of native crypto), adds a method
 *   to `String.prototype` and has no types of its own;
 * - `fernet-nodejs` is sound (Node's crypto, a constant-time HMAC check, types) but has had one
 *   release and nothing since, and only takes and returns strings;
 * - `fernet-ts` and `fernet-web` are single-release Web Crypto ports that almost nobody uses.
 * The format is small, and Node's crypto does the real work (AES-128-CBC with PKCS7 padding,
 * HMAC-SHA256, a constant-time comparison) either way.
 *
 * Tokens and keys are ASCII bytes here, never one JavaScript string, so V8's string limit
 * (~512 MiB) does not cap a token. Memory does: a token is one unit (its HMAC, at the end, covers
 * everything before it, and nothing may be decrypted before it is checked), so encrypting or
 * decrypting holds the plaintext, the ciphertext and the token at once, about 3.5 times the
 * plaintext.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto'
import { HarnessError } from '../errors.ts'

const VERSION = 0x80
/** Version byte, 64-bit big-endian timestamp, IV. */
const HEADER_BYTES = 1 + 8 + 16
const IV_BYTES = 16
const BLOCK_BYTES = 16
const HMAC_BYTES = 32
const KEY_BYTES = 32

export interface FernetEncryptOptions {
  /** The IV. Default: 16 random bytes; fixed only to reproduce the spec's test vectors. */
  readonly iv?: Uint8Array
  /** Seconds since the Unix epoch written into the token. Default: now. */
  readonly timestamp?: number
}

/**
 * A new key as Python's `Fernet.generate_key()` makes one: 32 random bytes as URL-safe base64
 * with padding, 44 ASCII bytes. The first 16 bytes sign, the last 16 encrypt.
 */
export function generateFernetKey(): Buffer {
  return encodeBase64Url(randomBytes(KEY_BYTES))
}

/** The token (ASCII bytes) of `plaintext` under `key` (44 ASCII bytes of URL-safe base64). */
export function fernetEncrypt(
  key: Uint8Array,
  plaintext: Uint8Array,
  options: FernetEncryptOptions = {},
): Buffer {
  const { signingKey, encryptionKey } = splitKey(key)
  const iv = options.iv ?? randomBytes(IV_BYTES)
  if (iv.length !== IV_BYTES) throw new RangeError(`a Fernet IV has 16 bytes, not ${iv.length}`)
  const header = Buffer.alloc(HEADER_BYTES)
  header[0] = VERSION
  header.writeBigUInt64BE(BigInt(options.timestamp ?? Math.floor(Date.now() / 1000)), 1)
  header.set(iv, 1 + 8)
  // PKCS7 is the cipher's default padding.
  const cipher = createCipheriv('aes-128-cbc', encryptionKey, iv)
  const signed = Buffer.concat([header, cipher.update(plaintext), cipher.final()])
  const hmac = createHmac('sha256', signingKey).update(signed).digest()
  return encodeBase64Url(Buffer.concat([signed, hmac]))
}

/**
 * The plaintext of `token` (ASCII bytes of URL-safe base64; trailing whitespace is ignored).
 * The token's age is not checked, as in Sentry.
 * @throws HarnessError `DECRYPTION_FAILED` naming why the token is invalid (`context.reason`)
 */
export function fernetDecrypt(key: Uint8Array, token: Uint8Array): Buffer {
  const { signingKey, encryptionKey } = splitKey(key)
  const data = decodeBase64Url(token)
  if (data === undefined) invalidToken('it is not URL-safe base64 with padding')
  if (data.length === 0 || data[0] !== VERSION) {
    const found = data.length === 0 ? 'nothing' : `0x${data[0]!.toString(16).padStart(2, '0')}`
    invalidToken(`its version byte is ${found}, not 0x80`)
  }
  if (data.length < HEADER_BYTES + BLOCK_BYTES + HMAC_BYTES) {
    invalidToken(`it has ${data.length} bytes, fewer than the 73 of the shortest token`)
  }
  const signed = data.subarray(0, data.length - HMAC_BYTES)
  const expected = createHmac('sha256', signingKey).update(signed).digest()
  // Constant time: how long a comparison takes must not tell a forger how much of a MAC was right.
  if (!timingSafeEqual(expected, data.subarray(data.length - HMAC_BYTES))) {
    invalidToken('its HMAC does not match: another key encrypted it, or it was altered')
  }
  const ciphertext = signed.subarray(HEADER_BYTES)
  if (ciphertext.length % BLOCK_BYTES !== 0) {
    invalidToken('its ciphertext is not a whole number of 16-byte blocks')
  }
  const decipher = createDecipheriv(
    'aes-128-cbc',
    encryptionKey,
    signed.subarray(1 + 8, HEADER_BYTES),
  )
  try {
    return Buffer.concat([decipher.update(ciphertext), decipher.final()])
  } catch {
    return invalidToken('its padding is not valid PKCS7')
  }
}

function splitKey(key: Uint8Array): { signingKey: Buffer; encryptionKey: Buffer } {
  const bytes = decodeBase64Url(key)
  if (bytes === undefined || bytes.length !== KEY_BYTES) {
    throw new HarnessError({
      code: 'DECRYPTION_FAILED',
      stage: 'crypto',
      // Python's text for the same check, so both implementations say the same thing.
      message: 'fernet key invalid: Fernet key must be 32 url-safe base64-encoded bytes.',
      context: { reason: 'Fernet key must be 32 url-safe base64-encoded bytes.' },
    })
  }
  return { signingKey: bytes.subarray(0, 16), encryptionKey: bytes.subarray(16) }
}

function invalidToken(reason: string): never {
  throw new HarnessError({
    code: 'DECRYPTION_FAILED',
    stage: 'crypto',
    message: `fernet token invalid: ${reason}`,
    hint: 'Decrypt with the key it was encrypted with, from an undamaged copy',
    context: { reason },
  })
}

// Whole groups of 3 bytes (4 characters), so that no padding appears inside the token and no
// string grows large.
const ENCODE_CHUNK_BYTES = 3 * 256 * 1024
const DECODE_CHUNK_CHARS = 4 * 256 * 1024

/** URL-safe base64 with padding, as Python's `base64.urlsafe_b64encode` writes it. */
export function encodeBase64Url(bytes: Uint8Array): Buffer {
  const source = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const out = Buffer.alloc(Math.ceil(source.length / 3) * 4, '=')
  let at = 0
  for (let start = 0; start < source.length; start += ENCODE_CHUNK_BYTES) {
    const chunk = source.subarray(start, start + ENCODE_CHUNK_BYTES).toString('base64url')
    at += out.write(chunk, at, 'latin1')
  }
  return out
}

const BASE64URL_ALPHABET = new Uint8Array(256)
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_') {
  BASE64URL_ALPHABET[c.charCodeAt(0)] = 1
}

/**
 * Decodes URL-safe base64 with padding; undefined for anything else. Node's own decoder skips
 * characters outside the alphabet silently, which would let a damaged token through to the HMAC
 * check with a misleading reason, so the text is checked first.
 */
export function decodeBase64Url(text: Uint8Array): Buffer | undefined {
  let end = text.length
  while (end > 0 && isWhitespace(text[end - 1]!)) end--
  if (end % 4 !== 0) return undefined
  let data = end
  if (data > 0 && text[data - 1] === 0x3d) data--
  if (data > 0 && text[data - 1] === 0x3d) data--
  for (let k = 0; k < data; k++) if (!BASE64URL_ALPHABET[text[k]!]) return undefined
  const source = Buffer.from(text.buffer, text.byteOffset, data)
  const out = Buffer.alloc(Math.floor((data * 3) / 4))
  let at = 0
  for (let start = 0; start < data; start += DECODE_CHUNK_CHARS) {
    const chunk = source.subarray(start, start + DECODE_CHUNK_CHARS).toString('latin1')
    at += Buffer.from(chunk, 'base64url').copy(out, at)
  }
  return out.subarray(0, at)
}

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09
}
