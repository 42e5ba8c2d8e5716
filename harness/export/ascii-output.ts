import { once } from 'node:events'

/**
 * The export's output: bytes gathered in a large buffer and handed to the stream a buffer at a
 * time. Everything written is ASCII, as Python's `ensure_ascii` makes it: UTF-8 that arrives from
 * the database is escaped byte by byte on the way in (`\uXXXX`, surrogate pairs above U+FFFF),
 * which costs far less than decoding it into JavaScript strings and encoding it again.
 */
export class AsciiOutput {
  /** Bytes handed to the stream so far. */
  written = 0
  private buffer: Buffer
  private pos = 0
  private blocked = false
  private failure: unknown
  private readonly onError = (error: unknown): void => {
    this.failure ??= error
  }

  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly bufferSize = 1 << 20,
  ) {
    this.buffer = Buffer.allocUnsafe(bufferSize)
    stream.on('error', this.onError)
  }

  /** Makes room for `bytes` more bytes, handing what is buffered to the stream if need be. */
  reserve(bytes: number): void {
    if (this.pos + bytes <= this.buffer.length) return
    this.flush()
    if (bytes > this.buffer.length) this.buffer = Buffer.allocUnsafe(bytes)
  }

  /** ASCII bytes, such as a prepared key and separator. */
  bytes(source: Uint8Array): void {
    if (this.pos + source.length > this.buffer.length) this.reserve(source.length)
    if (source.length < 32) {
      const buffer = this.buffer
      let pos = this.pos
      for (let k = 0; k < source.length; k++) buffer[pos++] = source[k]!
      this.pos = pos
    } else {
      this.buffer.set(source, this.pos)
      this.pos += source.length
    }
  }

  /** ASCII bytes of `source[start…end]`, copied as they are. */
  raw(source: Buffer, start: number, end: number): void {
    const length = end - start
    if (this.pos + length > this.buffer.length) this.reserve(length)
    if (length < 64) {
      const buffer = this.buffer
      let pos = this.pos
      for (let k = start; k < end; k++) buffer[pos++] = source[k]!
      this.pos = pos
    } else {
      this.pos += source.copy(this.buffer, this.pos, start, end)
    }
  }

  /** An ASCII string. */
  ascii(text: string): void {
    this.reserve(text.length)
    this.pos += this.buffer.write(text, this.pos, 'latin1')
  }

  /**
   * UTF-8 that is JSON text already: ASCII is copied, every other character escaped (it can only
   * sit inside a string literal, where an escape means the same character).
   */
  jsonText(source: Buffer, start: number, end: number): void {
    this.reserve((end - start) * 6)
    const buffer = this.buffer
    let pos = this.pos
    for (let k = start; k < end; k++) {
      const c = source[k]!
      if (c < 0x7f) buffer[pos++] = c
      else {
        this.pos = pos
        k = this.escapeFrom(source, k, end)
        pos = this.pos
      }
    }
    this.pos = pos
  }

  /** UTF-8 text as a JSON string literal, escaped as Python's `json.dumps` escapes it. */
  string(source: Buffer, start: number, end: number): void {
    this.reserve((end - start) * 6 + 2)
    const buffer = this.buffer
    let pos = this.pos
    buffer[pos++] = 0x22
    for (let k = start; k < end; k++) {
      const c = source[k]!
      if (PLAIN[c] === 1) buffer[pos++] = c
      else if (c < 0x80) {
        const escape = ASCII_ESCAPES[c]!
        for (let e = 0; e < escape.length; e++) buffer[pos++] = escape[e]!
      } else {
        this.pos = pos
        k = this.escapeFrom(source, k, end)
        pos = this.pos
      }
    }
    buffer[pos++] = 0x22
    this.pos = pos
  }

  /**
   * Escapes the character (DEL or a UTF-8 sequence) at `source[k]`; returns the index of its last
   * byte. Invalid UTF-8 becomes U+FFFD, one per byte, as a lenient decoder would have it.
   */
  private escapeFrom(source: Buffer, k: number, end: number): number {
    const c = source[k]!
    let code = 0xfffd
    let last = k
    if (c === 0x7f) code = 0x7f
    else if (c >= 0xc2 && c < 0xe0 && k + 1 < end && isContinuation(source[k + 1]!)) {
      code = ((c & 0x1f) << 6) | (source[k + 1]! & 0x3f)
      last = k + 1
    } else if (c >= 0xe0 && c < 0xf0 && k + 2 < end && isContinuation(source[k + 1]!) && isContinuation(source[k + 2]!)) {
      const decoded = ((c & 0x0f) << 12) | ((source[k + 1]! & 0x3f) << 6) | (source[k + 2]! & 0x3f)
      if (decoded >= 0x800) {
        code = decoded
        last = k + 2
      }
    } else if (
      c >= 0xf0 && c < 0xf5 && k + 3 < end &&
      isContinuation(source[k + 1]!) && isContinuation(source[k + 2]!) && isContinuation(source[k + 3]!)
    ) {
      const decoded = ((c & 0x07) << 18) | ((source[k + 1]! & 0x3f) << 12) | ((source[k + 2]! & 0x3f) << 6) | (source[k + 3]! & 0x3f)
      if (decoded >= 0x10000 && decoded <= 0x10ffff) {
        // Python escapes a character beyond the BMP as its UTF-16 surrogate pair.
        this.unicodeEscape(0xd800 + ((decoded - 0x10000) >> 10))
        this.unicodeEscape(0xdc00 + ((decoded - 0x10000) & 0x3ff))
        return k + 3
      }
    }
    this.unicodeEscape(code)
    return last
  }

  private unicodeEscape(code: number): void {
    const buffer = this.buffer
    let pos = this.pos
    buffer[pos++] = 0x5c
    buffer[pos++] = 0x75
    buffer[pos++] = HEX[(code >> 12) & 0xf]!
    buffer[pos++] = HEX[(code >> 8) & 0xf]!
    buffer[pos++] = HEX[(code >> 4) & 0xf]!
    buffer[pos++] = HEX[code & 0xf]!
    this.pos = pos
  }

  /** Hands the buffered bytes to the stream (without waiting: see `drain`). */
  flush(): void {
    if (this.failure) throw this.failure
    if (this.pos === 0) return
    const chunk = this.buffer.subarray(0, this.pos)
    // The stream keeps the chunk until it is written, so the next bytes go into a new buffer.
    this.buffer = Buffer.allocUnsafe(this.bufferSize)
    this.pos = 0
    this.written += chunk.length
    if ((this.stream as { destroyed?: boolean }).destroyed) throw new Error('export: the output stream was destroyed')
    if (!this.stream.write(chunk)) this.blocked = true
  }

  /**
   * Waits while the stream has more than it wants (backpressure). A stream that says how much it
   * holds is allowed two buffers before the wait, so that formatting the next one overlaps
   * writing the last (a file stream's 16 kB high-water mark would otherwise make every buffer
   * wait for its own write).
   */
  async drain(): Promise<void> {
    if (this.failure) throw this.failure
    if (!this.blocked) return
    const held = (this.stream as { writableLength?: number }).writableLength
    if (held !== undefined && held < 2 * this.bufferSize) return
    this.blocked = false
    // `once` rejects if the stream fails instead.
    await once(this.stream as NodeJS.EventEmitter, 'drain')
    if (this.failure) throw this.failure
  }

  /** Flushes, waits for the stream, and stops listening to it. Resolves with the bytes written. */
  async close(): Promise<number> {
    try {
      this.flush()
      await this.drain()
    } finally {
      this.release()
    }
    return this.written
  }

  /** Stops listening to the stream (which the caller may go on using), whether or not it was closed. */
  release(): void {
    this.stream.removeListener('error', this.onError)
  }
}

function isContinuation(byte: number): boolean {
  return (byte & 0xc0) === 0x80
}

const HEX = Buffer.from('0123456789abcdef', 'latin1')

/** 1 for the bytes a JSON string carries as they are: printable ASCII but `"` and `\`. */
const PLAIN = new Uint8Array(256).map((_, c) => (c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c ? 1 : 0))

/** Python's ESCAPE_DCT for ASCII: short forms where JSON has them, `\u00xx` otherwise. */
const ASCII_ESCAPES: readonly Buffer[] = Array.from({ length: 0x80 }, (_, c) => {
  const short: Record<number, string> = { 0x22: '\\"', 0x5c: '\\\\', 0x08: '\\b', 0x0c: '\\f', 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t' }
  return Buffer.from(short[c] ?? `\\u${c.toString(16).padStart(4, '0')}`, 'latin1')
})
