import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import { finished } from 'node:stream/promises'

/**
 * Writes backups byte for byte as Python's `json.dumps(entries, indent=N)` does (spec §1.3):
 * `ensure_ascii=True`, item separator `,` at line ends, key separator `: `, no trailing newline.
 *
 * Numbers: JavaScript cannot tell `1.0` from `1`, so a plain number that is a safe integer prints
 * as an integer; every other number prints as Python's `repr(float)`. A float column whose value
 * happens to be integral should be wrapped in `PythonFloat` (prints `2.0`), and JSON text whose
 * literals must keep their kind goes in `RawJson`. `-0` prints `0` (it is integral), while
 * `new PythonFloat(-0)` prints `-0.0`.
 *
 * Other values: bigints print as plain digits; an object with `toJSON` (a `Date`) is written as
 * what that returns; `undefined`, functions and symbols are refused (Python has no such value,
 * and silently dropping a field would change the row).
 *
 * Objects: keys in `Object.keys` order. JavaScript puts integer-like keys ("1", "42") first, in
 * ascending order, whatever the insertion order was; use a `Map` (or `RawJson`) when such keys
 * must keep their order.
 */

/** JSON text, laid out by `formatPythonJsonText` at the level where it appears. */
export class RawJson {
  constructor(readonly text: string) {}
}

/** A number that Python holds as a float, so `2` prints `2.0` and `-0` prints `-0.0`. */
export class PythonFloat {
  constructor(readonly value: number) {}
}

export interface PythonJsonOptions {
  /** Python's `separators=(',', ':')`: no space after `,` or `:`. */
  readonly compact?: boolean
}

/**
 * One value in Python's `json.dumps` layout.
 * @param indent spaces per level (`indent=N`), or null for one line (`indent=None`)
 * @param level the nesting level the value sits at, for laying out a value inside a larger document
 */
export function formatPythonJson(
  value: unknown,
  indent: number | null,
  level = 0,
  options: PythonJsonOptions = {},
): string {
  return layoutFor(indent, options.compact ?? false).format(value, level)
}

/**
 * Re-lays out JSON text as Python's `json.dumps(json.loads(text), indent=N)` would, without going
 * through JavaScript numbers: integer literals stay exactly as written (any size), literals with
 * a fraction or exponent print as Python's repr of that double. Duplicate keys behave as in a
 * Python dict: the last value wins, in the position of the first occurrence. `NaN`, `Infinity`
 * and `-Infinity` are accepted, as Python's parser does.
 * @throws SyntaxError when `rawJson` is not JSON
 */
export function formatPythonJsonText(
  rawJson: string,
  indent: number | null,
  level = 0,
  options: PythonJsonOptions = {},
): string {
  return layoutFor(indent, options.compact ?? false).format(parsePythonJson(rawJson), level)
}

/** A JSON string literal as Python writes it with `ensure_ascii=True`. */
export function quotePythonJsonString(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return `"${value}"`
  let out = '"'
  let run = 0
  for (let k = 0; k < value.length; k++) {
    const c = value.charCodeAt(k)
    if (c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c) continue
    out +=
      value.slice(run, k) + (c < 0x80 ? ASCII_ESCAPES[c]! : `\\u${c.toString(16).padStart(4, '0')}`)
    run = k + 1
  }
  return out + value.slice(run) + '"'
}

/**
 * Python's `repr(float)` as `json.dumps` writes it: shortest round-trip digits, exponent notation
 * when the decimal exponent is below -4 or at least 16 (`1e-05`, `1e+16`), otherwise a decimal
 * point with at least one digit after it (`1.0`); `NaN`, `Infinity`, `-Infinity`.
 */
export function formatPythonFloat(value: number): string {
  if (value !== value) return 'NaN'
  if (value === Infinity) return 'Infinity'
  if (value === -Infinity) return '-Infinity'
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0'
  const magnitude = value < 0 ? -value : value
  // Both languages print the same shortest digits; in this range both use plain notation.
  if (magnitude >= 1e-4 && magnitude < 1e16 && !Number.isInteger(value)) return String(value)
  const exponential = value.toExponential()
  const e = exponential.indexOf('e')
  const exponent = Number(exponential.slice(e + 1))
  let mantissa = exponential.slice(0, e)
  let sign = ''
  if (mantissa.charCodeAt(0) === 0x2d) {
    sign = '-'
    mantissa = mantissa.slice(1)
  }
  // Python's decpt: the value is 0.<digits> × 10^decpt.
  const decpt = exponent + 1
  if (decpt <= -4 || decpt > 16) {
    const size = exponent < 0 ? -exponent : exponent
    return `${sign}${mantissa}e${exponent < 0 ? '-' : '+'}${size < 10 ? '0' : ''}${size}`
  }
  const digits = mantissa.length > 1 ? mantissa[0] + mantissa.slice(2) : mantissa
  if (decpt <= 0) return `${sign}0.${'0'.repeat(-decpt)}${digits}`
  if (decpt >= digits.length) return `${sign}${digits}${'0'.repeat(decpt - digits.length)}.0`
  return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`
}

// ---------------------------------------------------------------------------------------------
// Layout

const NEEDS_ESCAPE = /[\x00-\x1f"\\\x7f-\uffff]/

/** Python's ESCAPE_DCT for ASCII: short forms where JSON has them, `\u00XX` otherwise. */
const ASCII_ESCAPES: string[] = Array.from({ length: 0x80 }, (_, c) => {
  switch (c) {
    case 0x22:
      return '\\"'
    case 0x5c:
      return '\\\\'
    case 0x08:
      return '\\b'
    case 0x0c:
      return '\\f'
    case 0x0a:
      return '\\n'
    case 0x0d:
      return '\\r'
    case 0x09:
      return '\\t'
    default:
      return c < 0x20 || c === 0x7f
        ? `\\u${c.toString(16).padStart(4, '0')}`
        : String.fromCharCode(c)
  }
})

/** Text already in its final form (number literals of parsed JSON text). */
class Verbatim {
  constructor(readonly text: string) {}
}

const layouts = new Map<string, PythonJsonLayout>()

// Enough for every field name of a large schema; keys of free-form JSON values beyond it are
// simply not cached.
const KEY_CACHE_SIZE = 10_000

function layoutFor(indent: number | null, compact: boolean): PythonJsonLayout {
  if (indent !== null && !(Number.isInteger(indent) && indent >= 0)) {
    throw new RangeError(`indent must be a non-negative integer or null, not ${indent}`)
  }
  const key = `${indent}/${compact}`
  let layout = layouts.get(key)
  if (!layout) {
    layout = new PythonJsonLayout(indent, compact)
    layouts.set(key, layout)
  }
  return layout
}

class PythonJsonLayout {
  readonly itemSeparator: string
  readonly keySeparator: string
  private readonly unit: string | null
  private readonly keyPrefixes = new Map<string, string>()
  /** `newlines[level]`: a line break plus the indentation of that level ('' with no indent). */
  private readonly newlines: string[] = []

  constructor(indent: number | null, compact: boolean) {
    // Python's defaults: (', ', ': ') without indent, (',', ': ') with one.
    this.itemSeparator = compact || indent !== null ? ',' : ', '
    this.keySeparator = compact ? ':' : ': '
    this.unit = indent === null ? null : ' '.repeat(indent)
  }

  newline(level: number): string {
    if (this.unit === null) return ''
    let text = this.newlines[level]
    if (text === undefined) {
      text = '\n' + this.unit.repeat(level)
      this.newlines[level] = text
    }
    return text
  }

  format(value: unknown, level: number): string {
    switch (typeof value) {
      case 'string':
        return quotePythonJsonString(value)
      case 'number':
        return Number.isSafeInteger(value) ? String(value) : formatPythonFloat(value)
      case 'boolean':
        return value ? 'true' : 'false'
      case 'bigint':
        return value.toString()
      case 'object':
        if (value === null) return 'null'
        if (Array.isArray(value)) return this.formatArray(value, level)
        if (value instanceof RawJson) return this.format(parsePythonJson(value.text), level)
        if (value instanceof Verbatim) return value.text
        if (value instanceof PythonFloat) return formatPythonFloat(value.value)
        if (value instanceof Map) return this.formatMap(value, level)
        if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
          return this.format((value as { toJSON(): unknown }).toJSON(), level)
        }
        return this.formatObject(value as Record<string, unknown>, level)
      default:
        throw new TypeError(`cannot write ${typeof value} as JSON: Python's json has no such value`)
    }
  }

  /** The quoted key and the key separator; cached, as rows repeat the same field names. */
  private keyPrefix(key: string): string {
    let prefix = this.keyPrefixes.get(key)
    if (prefix === undefined) {
      prefix = quotePythonJsonString(key) + this.keySeparator
      if (this.keyPrefixes.size < KEY_CACHE_SIZE) this.keyPrefixes.set(key, prefix)
    }
    return prefix
  }

  private formatArray(items: readonly unknown[], level: number): string {
    if (items.length === 0) return '[]'
    const inner = this.newline(level + 1)
    const separator = this.itemSeparator + inner
    let out = '[' + inner + this.format(items[0], level + 1)
    for (let k = 1; k < items.length; k++) out += separator + this.format(items[k], level + 1)
    return out + this.newline(level) + ']'
  }

  private formatObject(object: Record<string, unknown>, level: number): string {
    const keys = Object.keys(object)
    if (keys.length === 0) return '{}'
    const inner = this.newline(level + 1)
    const separator = this.itemSeparator + inner
    let out = '{' + inner
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k]!
      const value = object[key]
      if (value === undefined) throw new TypeError(`cannot write undefined as JSON (key "${key}")`)
      if (k > 0) out += separator
      out += this.keyPrefix(key) + this.format(value, level + 1)
    }
    return out + this.newline(level) + '}'
  }

  private formatMap(map: ReadonlyMap<unknown, unknown>, level: number): string {
    if (map.size === 0) return '{}'
    const inner = this.newline(level + 1)
    const separator = this.itemSeparator + inner
    let out = '{' + inner
    let first = true
    for (const [key, value] of map) {
      if (value === undefined) throw new TypeError(`cannot write undefined as JSON (key "${key}")`)
      if (!first) out += separator
      first = false
      out += this.keyPrefix(String(key)) + this.format(value, level + 1)
    }
    return out + this.newline(level) + '}'
  }
}

// ---------------------------------------------------------------------------------------------
// JSON text → values that keep number literals (Python's `json.loads` semantics)

/**
 * Parses JSON text into strings, booleans, null, arrays, `Map`s (Python dict semantics for
 * duplicate keys, which `Map.set` happens to share) and `Verbatim` numbers already formatted.
 */
function parsePythonJson(text: string): unknown {
  const parser = new JsonTextParser(text)
  parser.skipWhitespace()
  const value = parser.value()
  parser.skipWhitespace()
  if (parser.pos < text.length) parser.fail('Unexpected non-whitespace character after JSON')
  return value
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?/y

class JsonTextParser {
  pos = 0

  constructor(private readonly text: string) {}

  fail(message: string, position = this.pos): never {
    throw new SyntaxError(`${message} in JSON at position ${position}`)
  }

  skipWhitespace(): void {
    const text = this.text
    let c = text.charCodeAt(this.pos)
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = text.charCodeAt(++this.pos)
  }

  value(): unknown {
    const text = this.text
    const c = text.charCodeAt(this.pos)
    switch (c) {
      case 0x7b:
        return this.object()
      case 0x5b:
        return this.array()
      case 0x22:
        return this.string()
      case 0x74:
        return this.word('true', true)
      case 0x66:
        return this.word('false', false)
      case 0x6e:
        return this.word('null', null)
      case 0x4e:
        return this.word('NaN', new Verbatim('NaN'))
      case 0x49:
        return this.word('Infinity', new Verbatim('Infinity'))
    }
    if (c === 0x2d && text.startsWith('-Infinity', this.pos)) {
      return this.word('-Infinity', new Verbatim('-Infinity'))
    }
    NUMBER.lastIndex = this.pos
    const match = NUMBER.exec(text)
    if (!match) {
      if (this.pos >= text.length) this.fail('Unexpected end of JSON input')
      this.fail(`Unexpected token '${text[this.pos]}'`)
    }
    this.pos = NUMBER.lastIndex
    const literal = match[0]
    if (match[1] === undefined && match[2] === undefined) {
      // Python's int(): exact at any size; "-0" is just 0.
      return new Verbatim(literal === '-0' ? '0' : literal)
    }
    return new Verbatim(formatPythonFloat(Number(literal)))
  }

  private word<T>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.pos))
      this.fail(`Unexpected token '${this.text[this.pos]}'`)
    this.pos += word.length
    return value
  }

  private object(): Map<string, unknown> {
    const text = this.text
    const map = new Map<string, unknown>()
    this.pos++
    this.skipWhitespace()
    if (text.charCodeAt(this.pos) === 0x7d) {
      this.pos++
      return map
    }
    for (;;) {
      if (text.charCodeAt(this.pos) !== 0x22) this.fail('Expected double-quoted property name')
      const key = this.string()
      this.skipWhitespace()
      if (text.charCodeAt(this.pos) !== 0x3a) this.fail("Expected ':' after property name")
      this.pos++
      this.skipWhitespace()
      map.set(key, this.value())
      this.skipWhitespace()
      const c = text.charCodeAt(this.pos++)
      if (c === 0x7d) return map
      if (c !== 0x2c) this.fail("Expected ',' or '}' after property value", this.pos - 1)
      this.skipWhitespace()
    }
  }

  private array(): unknown[] {
    const text = this.text
    const items: unknown[] = []
    this.pos++
    this.skipWhitespace()
    if (text.charCodeAt(this.pos) === 0x5d) {
      this.pos++
      return items
    }
    for (;;) {
      items.push(this.value())
      this.skipWhitespace()
      const c = text.charCodeAt(this.pos++)
      if (c === 0x5d) return items
      if (c !== 0x2c) this.fail("Expected ',' or ']' after array element", this.pos - 1)
      this.skipWhitespace()
    }
  }

  private string(): string {
    const text = this.text
    const start = this.pos + 1
    const close = text.indexOf('"', start)
    if (close < 0) this.fail('Unterminated string', text.length)
    // Fast path: no escapes and no control characters between the quotes.
    const plain = text.slice(start, close)
    if (!ESCAPE_OR_CONTROL.test(plain)) {
      this.pos = close + 1
      return plain
    }
    let out = ''
    let run = start
    let k = start
    for (;;) {
      if (k >= text.length) this.fail('Unterminated string', text.length)
      const c = text.charCodeAt(k)
      if (c === 0x22) break
      if (c < 0x20) this.fail('Bad control character in string literal', k)
      if (c !== 0x5c) {
        k++
        continue
      }
      out += text.slice(run, k)
      const e = text.charCodeAt(k + 1)
      switch (e) {
        case 0x22:
        case 0x5c:
        case 0x2f:
          out += String.fromCharCode(e)
          break
        case 0x62:
          out += '\b'
          break
        case 0x66:
          out += '\f'
          break
        case 0x6e:
          out += '\n'
          break
        case 0x72:
          out += '\r'
          break
        case 0x74:
          out += '\t'
          break
        case 0x75: {
          const hex = text.slice(k + 2, k + 6)
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('Bad Unicode escape', k + 2)
          // Lone surrogates stay as they are, as in Python; pairs recombine by concatenation.
          out += String.fromCharCode(parseInt(hex, 16))
          k += 4
          break
        }
        default:
          this.fail('Bad escaped character', k + 1)
      }
      k += 2
      run = k
    }
    this.pos = k + 1
    return out + text.slice(run, k)
  }
}

const ESCAPE_OR_CONTROL = /[\\\x00-\x1f]/

// ---------------------------------------------------------------------------------------------
// Streaming writer

/** A row as written: `{model, pk, fields}` in that key order (or a whole entry as JSON text). */
export interface BackupEntryToWrite {
  readonly model: string
  readonly pk: number | bigint
  readonly fields: Readonly<Record<string, unknown>> | ReadonlyMap<string, unknown>
}

export interface BackupWriterOptions {
  /** Spaces per level as `json.dumps(indent=…)`; null for one line. Default: 2 (Sentry's). */
  readonly indent?: number | null
  /** Python's `separators=(',', ':')`. */
  readonly compact?: boolean
  /** End the stream in `end()`. Default: false, so several writers can share a stream. */
  readonly endStream?: boolean
}

export interface BackupWriter {
  /** Appends one entry; resolves when the stream can take more (backpressure). */
  write(entry: BackupEntryToWrite | RawJson): Promise<void>
  /** Closes the array (`]`, or `[]` when empty) and resolves with the bytes written. */
  end(): Promise<number>
  readonly entries: number
  readonly bytes: number
}

// Entries are batched into writes of about this many characters: one `stream.write` per entry
// would cost more than formatting it.
const FLUSH_AT = 64 * 1024

/** A writer of one backup array onto `stream` (entries are formatted at level 1 of the array). */
export function createBackupWriter(
  stream: NodeJS.WritableStream,
  options: BackupWriterOptions = {},
): BackupWriter {
  return new StreamBackupWriter(stream, options)
}

class StreamBackupWriter implements BackupWriter {
  entries = 0
  bytes = 0
  private readonly layout: PythonJsonLayout
  private readonly open: string
  private readonly between: string
  private readonly close: string
  private readonly endStream: boolean
  private pending = ''
  private ended = false
  private failure: unknown
  private readonly onError = (error: unknown): void => {
    this.failure ??= error
  }

  constructor(
    private readonly stream: NodeJS.WritableStream,
    options: BackupWriterOptions,
  ) {
    this.layout = layoutFor(
      options.indent === undefined ? 2 : options.indent,
      options.compact ?? false,
    )
    this.open = '[' + this.layout.newline(1)
    this.between = this.layout.itemSeparator + this.layout.newline(1)
    this.close = this.layout.newline(0) + ']'
    this.endStream = options.endStream ?? false
    stream.on('error', this.onError)
  }

  async write(entry: BackupEntryToWrite | RawJson): Promise<void> {
    if (this.ended) throw new Error('backup writer: write after end')
    if (this.failure) throw this.failure
    const text = this.layout.format(entry, 1)
    this.pending += (this.entries === 0 ? this.open : this.between) + text
    this.entries++
    if (this.pending.length >= FLUSH_AT) await this.flush()
  }

  async end(): Promise<number> {
    if (this.ended) return this.bytes
    this.ended = true
    try {
      this.pending += this.entries === 0 ? '[]' : this.close
      await this.flush()
      if (this.endStream) {
        this.stream.end()
        await finished(this.stream)
      }
    } finally {
      this.stream.removeListener('error', this.onError)
    }
    if (this.failure) throw this.failure
    return this.bytes
  }

  private async flush(): Promise<void> {
    const chunk = this.pending
    this.pending = ''
    if (this.failure) throw this.failure
    if ((this.stream as { destroyed?: boolean }).destroyed) {
      throw new Error('backup writer: the output stream was destroyed')
    }
    this.bytes += chunk.length
    // The output is pure ASCII (ensure_ascii), so latin1 is the cheapest exact encoding.
    if (!this.stream.write(chunk, 'latin1')) await once(this.stream as NodeJS.EventEmitter, 'drain')
  }
}

/** Writes a whole backup file; resolves with the bytes written once the file is complete. */
export async function writeBackupFile(
  path: string,
  entries: Iterable<BackupEntryToWrite | RawJson> | AsyncIterable<BackupEntryToWrite | RawJson>,
  options: Omit<BackupWriterOptions, 'endStream'> = {},
): Promise<number> {
  const stream = createWriteStream(path)
  const writer = createBackupWriter(stream, { ...options, endStream: true })
  try {
    for await (const entry of entries) await writer.write(entry)
    return await writer.end()
  } catch (error) {
    stream.destroy()
    throw error
  }
}

/** The whole backup as one string, for small sets of entries. */
export function formatBackup(
  entries: Iterable<BackupEntryToWrite | RawJson>,
  options: Omit<BackupWriterOptions, 'endStream'> = {},
): string {
  const layout = layoutFor(
    options.indent === undefined ? 2 : options.indent,
    options.compact ?? false,
  )
  return layout.format([...entries], 0)
}
