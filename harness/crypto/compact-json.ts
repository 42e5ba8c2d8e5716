import { readBackupEntries } from '../backup/read-backup.ts'
import { formatPythonJsonText } from '../backup/write-backup.ts'

/**
 * A backup file as the JSON inside an encrypted tarball (spec §1.3): compact, raw UTF-8, which is
 * Python's `json.dumps(data, separators=(',', ':'), ensure_ascii=False)`. Entries are read one
 * by one and keep their number literals and key order; only the result is held in memory (it is
 * encrypted as one Fernet token anyway).
 * @throws HarnessError `BACKUP_INVALID` with line and column when the file is not a backup array
 */
export async function compactBackupJson(file: string, name = file): Promise<Buffer> {
  const parts: Buffer[] = []
  let pending = '['
  for await (const entry of readBackupEntries(file, { file: name })) {
    if (entry.index > 0) pending += ','
    pending += rawUtf8(formatPythonJsonText(entry.text, null, 1, { compact: true }))
    // Converted in pieces of about 1 MB, so no string grows with the file.
    if (pending.length >= 1 << 20) {
      parts.push(Buffer.from(pending, 'utf8'))
      pending = ''
    }
  }
  parts.push(Buffer.from(`${pending}]`, 'utf8'))
  return Buffer.concat(parts)
}

// An escape of a surrogate pair, of one UTF-16 unit, or any other escape. In `ensure_ascii` output
// every backslash starts an escape, so matching from the left never misreads an escaped
// backslash followed by "u".
const ESCAPE = /\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})|\\u([0-9a-f]{4})|\\./g

/**
 * `ensure_ascii=True` text as `ensure_ascii=False` writes it: `\uXXXX` escapes of characters from
 * U+007F up become the characters. Control characters, quotes and backslashes stay escaped, as
 * Python keeps them; so do lone surrogates, which UTF-8 cannot hold.
 */
export function rawUtf8(asciiJson: string): string {
  if (!asciiJson.includes('\\u')) return asciiJson
  return asciiJson.replace(ESCAPE, (escape, high?: string, low?: string, unit?: string) => {
    if (high !== undefined && low !== undefined) {
      return String.fromCharCode(parseInt(high, 16), parseInt(low, 16))
    }
    if (unit === undefined) return escape
    const code = parseInt(unit, 16)
    return code < 0x7f || (code >= 0xd800 && code <= 0xdfff) ? escape : String.fromCharCode(code)
  })
}
