import { isAscii } from 'node:buffer'
import type { BackupEntry } from './backup-entry.ts'
import { open } from 'node:fs/promises'
import { HarnessError, isHarnessError } from '../errors.ts'
import type { SharedParses } from './shared-parses.ts'

/**
 * Streaming reader of a backup file: one top-level JSON array of `{model, pk, fields}` objects
 * (spec §1.1). The whole file is never held in memory and never parsed in one piece: a scanner
 * finds where each top-level element starts and ends, and only that slice goes to `JSON.parse`.
 * Memory is bounded by one entry plus the read buffer, so files larger than V8's maximum string
 * length (~512 MiB) work.
 *
 * Positions: lines and columns are 1-based; columns count UTF-16 code units, as JavaScript and
 * V8's own JSON positions do (they differ from code points only after an astral character on the
 * same line, which Sentry's ASCII-escaped exports never contain).
 */

export interface RawBackupEntry {
  /** 0-based position in the array. */
  readonly index: number
  /** 1-based line of the entry's `{`. */
  readonly line: number
  /** 1-based column of the entry's `{`. */
  readonly column: number
  /** `JSON.parse` of the element; always a plain object. */
  readonly value: unknown
  /**
   * The element's exact source text. It may share memory with the read chunk it came from, so a
   * caller that keeps many texts of a huge file should copy the ones it keeps.
   */
  readonly text: string
}

export interface ReadBackupOptions {
  /** The name used in error messages; defaults to the path, or `<stream>` for a stream. */
  readonly file?: string
  /** Read buffer size in bytes when `source` is a path. */
  readonly highWaterMark?: number
  /** Called with the running total of bytes read, once per chunk (for progress displays). */
  readonly onBytes?: (bytesRead: number) => void
  /**
   * Parsed entries shared with a reader of a file listing the same entries: `lend` offers this
   * reader's, `borrow` takes an equal entry's value from there instead of parsing it again (the
   * same object, which neither caller may change).
   */
  readonly shareParses?: { readonly cache: SharedParses; readonly as: 'lend' | 'borrow' }
}

// Large reads amortise the per-chunk work (decoding, slicing) without hurting the memory bound.
const DEFAULT_HIGH_WATER_MARK = 1 << 20

/**
 * ASCII chunks are decoded this many bytes at a time: a string below V8's largest regular object
 * (128 KiB) is made in the young generation and dies there with its entries. A 1 MiB chunk's
 * string is external (malloc'd by Node) and freed only by a full collection: a 1M-row validate
 * had up to 60 MB of them waiting for one, which raised its peak RSS.
 */
const PIECE = 1 << 16

/**
 * Entries parsed at a time out of a chunk (a 1 MiB chunk holds about 3,000 entries of Sentry's
 * layout). Parsing them as they are taken lets them die young: parsed a chunk ahead, they lived
 * through collections and were copied into the old generation, which then grew (1M-row validate:
 * RSS, and the collector's time).
 */
const SCAN_BATCH = 256

const FIX_HINT =
  'Fix the file at that position; a backup is one JSON array of {model, pk, fields} objects'
const TRUNCATED_HINT =
  'The file ends too early, probably truncated; restore or re-export the complete backup'

/**
 * Yields the entries of a backup file in file order.
 * @param source a file path, or a stream of UTF-8 bytes (string chunks are accepted as they are)
 * @throws HarnessError `BACKUP_INVALID` with the exact line and column of the first problem
 */
export function readBackupEntries(
  source: string | NodeJS.ReadableStream,
  options: ReadBackupOptions = {},
): BackupEntryReader {
  return new BackupEntryIterator(source, options)
}

/** The entries of a backup, and those already read to be taken without a promise each. */
export interface BackupEntryReader extends AsyncGenerator<RawBackupEntry, undefined, unknown> {
  /**
   * The next entry if the last chunk read holds it, else undefined (then `next()` reads on). A
   * caller taking millions of entries saves a promise and a microtask turn per entry.
   */
  takeBuffered(): RawBackupEntry | undefined
}

/**
 * A hand-written async generator: entries come out of the scanner a chunk's worth at a time,
 * and handing out a buffered one as an already-resolved promise costs about half of what
 * resuming an `async function*` per entry does, which is noticeable next to `JSON.parse`.
 */
class BackupEntryIterator implements BackupEntryReader {
  private readonly file: string
  private chunks: AsyncIterator<unknown> | undefined
  private readonly input: Utf8Input
  private entries: RawBackupEntry[] = []
  private at = 0
  private closed = false
  /** The read in progress, so that overlapping `next()` calls queue instead of racing. */
  private reading: Promise<unknown> | undefined
  private bytesRead = 0
  /** A borrower whose bytes so far are the lender's: it hands out the lender's entries. */
  private following: Following | undefined

  constructor(
    private readonly source: string | NodeJS.ReadableStream,
    private readonly options: ReadBackupOptions,
  ) {
    this.file = options.file ?? (typeof source === 'string' ? source : '<stream>')
    this.input = new Utf8Input(this.file, new BackupScanner(this.file, options.shareParses))
    if (options.shareParses?.as === 'borrow') {
      this.following = { cache: options.shareParses.cache, equalUpTo: 0, next: 0, chunk: undefined }
    }
  }

  next(): Promise<IteratorResult<RawBackupEntry, undefined>> {
    let entry: RawBackupEntry | undefined
    try {
      entry = this.takeBuffered()
    } catch (error) {
      return Promise.reject(error)
    }
    if (entry !== undefined) return Promise.resolve({ done: false, value: entry })
    if (this.closed) return Promise.resolve({ done: true, value: undefined })
    if (this.reading) return this.reading.then(() => this.next())
    const reading = this.read()
    this.reading = reading
    return reading.then(
      () => {
        this.reading = undefined
        return this.next()
      },
      (error: unknown) => {
        this.reading = undefined
        throw error
      },
    )
  }

  takeBuffered(): RawBackupEntry | undefined {
    const following = this.following
    if (following !== undefined) {
      const end = following.cache.endOf(following.next)
      if (end < 0 || end > following.equalUpTo) return undefined
      return following.cache.follow(following.next++)
    }
    if (this.at === this.entries.length && !this.closed && !this.reading && this.input.pending) {
      this.scanMore()
    }
    return this.at < this.entries.length ? this.entries[this.at++] : undefined
  }

  /** The next few entries of the chunk read last. */
  private scanMore(): void {
    try {
      this.entries = this.input.more(SCAN_BATCH)
      this.at = 0
    } catch (error) {
      this.close()
      throw error
    }
  }

  return(): Promise<IteratorResult<RawBackupEntry, undefined>> {
    this.close()
    return Promise.resolve({ done: true, value: undefined })
  }

  throw(error: unknown): Promise<IteratorResult<RawBackupEntry, undefined>> {
    this.close()
    return Promise.reject(error)
  }

  [Symbol.asyncIterator](): this {
    return this
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close()
  }

  /** Reads chunks until the scanner has entries to hand out or the input ends. */
  private async read(): Promise<void> {
    this.entries = []
    this.at = 0
    try {
      this.chunks ??= this.open()
      if (this.following && !(await this.readFollowing(this.following))) return
      // `next` took what the chunk before held, so each chunk read here is a new one.
      while (this.entries.length === 0 && !this.closed) {
        const chunk = await this.chunks.next()
        if (this.closed) return
        if (chunk.done) return this.end()
        this.countBytes(chunk.value)
        this.push(chunk.value)
      }
    } catch (error) {
      this.close()
      if (isHarnessError(error)) throw error
      throw new HarnessError({
        code: 'BACKUP_INVALID',
        stage: 'import',
        message: `backup file unreadable: ${describeReadError(error)} (${this.file})`,
        hint: 'Check that the path names a readable backup file',
        context: { file: this.file },
        cause: error,
      })
    }
  }

  /** Tells `onBytes` of a chunk read. */
  private countBytes(value: unknown): void {
    if (!this.options.onBytes) return
    this.bytesRead +=
      typeof value === 'string' ? Buffer.byteLength(value) : (value as Uint8Array).byteLength
    this.options.onBytes(this.bytesRead)
  }

  /** Scans a chunk read (and counted). */
  private push(value: unknown): void {
    if (typeof value === 'string') {
      this.entries = this.input.pushText(value, SCAN_BATCH)
      return
    }
    const bytes = value as Uint8Array
    const ascii = isAscii(bytes)
    const share = this.options.shareParses
    if (share?.as === 'lend' && share.cache.following) {
      share.cache.lendChunk(this.input.offset, bytes, ascii, this.input.checkpoint())
    }
    this.entries = this.input.pushBytes(bytes, ascii, SCAN_BATCH)
  }

  /**
   * Follows the lender one chunk further when the next entry ends beyond the bytes compared so
   * far; takes over reading otherwise. Returns true when the caller must read on for itself.
   */
  private async readFollowing(following: Following): Promise<boolean> {
    const { cache } = following
    const copy = cache.endOf(following.next) < 0 ? undefined : cache.chunkAt(following.equalUpTo)
    if (copy?.checkpoint === undefined) {
      // The lender has not read as far (or has let that go): read this chunk again from its start.
      this.stopFollowing(following)
      if (following.chunk) this.push(following.chunk)
      return true
    }
    const chunk = await this.chunks!.next()
    if (this.closed) return false
    const value: unknown = chunk.done ? undefined : chunk.value
    if (!chunk.done) this.countBytes(value)
    if (value instanceof Uint8Array && copy.bytes && sameBytes(value, copy.bytes)) {
      following.equalUpTo += value.byteLength
      following.checkpoint = copy.checkpoint
      following.chunk = value
      return false
    }
    // The bytes before this chunk were the lender's, so its state at the chunk's start is ours.
    this.stopFollowing(following, copy.checkpoint)
    if (chunk.done) {
      this.end()
      return false
    }
    this.push(value)
    return true
  }

  /** The input has ended: what is left must be a complete backup. */
  private end(): void {
    this.input.finish()
    this.close()
  }

  private stopFollowing(following: Following, from = following.checkpoint): void {
    this.unfollow()
    if (from) this.input.restore(from, following.next)
  }

  /** Reads alone from now on; the lender need not keep its chunks any more. */
  private unfollow(): void {
    if (this.following) this.following.cache.following = false
    this.following = undefined
  }

  private open(): AsyncIterator<unknown> {
    const source = this.source
    if (typeof source === 'string') {
      return fileChunks(source, this.options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK)
    }
    return source[Symbol.asyncIterator]()
  }

  /** Stops reading; like `for await` over a stream, this also destroys a caller's stream. */
  private close(): void {
    if (this.closed) return
    this.closed = true
    this.entries = []
    this.at = 0
    this.unfollow()
    this.chunks?.return?.().catch(() => {})
  }
}

/** Where a borrower following the lender's bytes has got to. */
interface Following {
  readonly cache: SharedParses
  /** Bytes compared with the lender's and found equal, from the start of the file. */
  equalUpTo: number
  /** Index of the next entry to hand out. */
  next: number
  /** The last chunk compared, not scanned; its bytes stay valid until the next is asked for. */
  chunk: Uint8Array | undefined
  /** The lender's state at that chunk's start. */
  checkpoint?: ReaderCheckpoint
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.compare(a, b) === 0
}

/**
 * A file's bytes, read into two buffers in turn: each chunk is decoded (copied) before the next
 * but one is read, and the next is read while the caller works on this one. A read stream's new
 * buffer per chunk, freed whenever the garbage collector got to it, left tens of MB of freed
 * memory resident in malloc's heap on a 1M-row validate; one buffer, read only when asked for,
 * left the reader waiting on the disk (0.2 s more idle in that validate's profile).
 */
async function* fileChunks(path: string, size: number): AsyncGenerator<Uint8Array, void> {
  const handle = await open(path, 'r')
  const buffers = [Buffer.allocUnsafeSlow(size), Buffer.allocUnsafeSlow(size)]
  let turn = 0
  let reading: Promise<{ bytesRead: number }> | undefined = handle.read(buffers[0]!, 0, size, null)
  try {
    for (;;) {
      const { bytesRead } = await reading
      reading = undefined
      if (bytesRead === 0) return
      const chunk = buffers[turn]!.subarray(0, bytesRead)
      turn = 1 - turn
      reading = handle.read(buffers[turn]!, 0, size, null)
      yield chunk
    }
  } finally {
    // Never close the file under a read in flight.
    await reading?.catch(() => undefined)
    await handle.close()
  }
}

/** Reads a whole (small) backup file into memory. */
export async function readBackupFile(
  path: string,
  options: ReadBackupOptions = {},
): Promise<RawBackupEntry[]> {
  const entries: RawBackupEntry[] = []
  for await (const entry of readBackupEntries(path, options)) entries.push(entry)
  return entries
}

/** The entries of a small backup as rows, for callers that need them all in memory. */
export async function readBackupRows(path: string, options: ReadBackupOptions = {}): Promise<BackupEntry[]> {
  const rows: BackupEntry[] = []
  for await (const entry of readBackupEntries(path, options)) rows.push(entry.value as BackupEntry)
  return rows
}

function describeReadError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  const message = error instanceof Error ? error.message : String(error)
  return code && !message.startsWith(code) ? `${code}: ${message}` : message
}

// ---------------------------------------------------------------------------------------------
// UTF-8 decoding

/**
 * Decodes byte chunks with a streaming fatal decoder (multi-byte characters split across chunks
 * are carried by the decoder). On invalid UTF-8 it feeds the valid prefix to the scanner, so any
 * earlier syntax error still wins and the scanner's position is exactly the bad byte.
 */
class Utf8Input {
  private decoder = new TextDecoder('utf-8', { fatal: true })
  /** Bytes of the stream consumed before the current chunk. */
  private bytesBefore = 0
  /** Every chunk so far was ASCII bytes: offsets in characters are offsets in bytes. */
  private ascii = true
  /** The trailing bytes of the previous chunk that the decoder still holds (an incomplete character). */
  private held: Uint8Array = new Uint8Array(0)
  private sawText = false
  /** The ASCII bytes of the chunk pushed last that are not decoded yet (`PIECE` at a time). */
  private rest: Buffer | undefined

  constructor(
    private readonly file: string,
    private readonly scanner: BackupScanner,
  ) {}

  /** Whether the chunk pushed last has entries left to scan (`more`). */
  get pending(): boolean {
    return this.scanner.pending || this.rest !== undefined
  }

  /** The next entries of the chunk pushed last, at most `limit`; none once it is scanned. */
  more(limit: number): RawBackupEntry[] {
    let out = this.scanner.pending ? this.scanner.more(limit) : []
    while (out.length === 0 && this.rest !== undefined) {
      const rest = this.rest
      this.rest = rest.length > PIECE ? rest.subarray(PIECE) : undefined
      out = this.scanner.push(rest.subarray(0, PIECE).toString('latin1'), limit)
    }
    return out
  }

  /** Decodes and scans a chunk, giving the entries of its first `limit` elements. */
  pushText(text: string, limit: number): RawBackupEntry[] {
    // String chunks come from a stream with an encoding set; its decoder leaves a BOM in place.
    if (!this.sawText && text.charCodeAt(0) === 0xfeff) text = text.slice(1)
    this.ascii = false
    if (text.length > 0) this.sawText = true
    return this.scanner.push(text, limit)
  }

  /** Bytes consumed before the chunk pushed next. */
  get offset(): number {
    return this.bytesBefore
  }

  /**
   * The state before the chunk pushed next, for a reader of a file with the same bytes so far to
   * take up (`restore`); undefined unless they were all ASCII, which leaves nothing in the decoder.
   */
  checkpoint(): ReaderCheckpoint | undefined {
    if (!this.ascii) return undefined
    return { bytesBefore: this.bytesBefore, scanner: this.scanner.checkpoint() }
  }

  /** Takes up another reader's `checkpoint`; entries below index `skipBelow` are not handed out. */
  restore(checkpoint: ReaderCheckpoint, skipBelow: number): void {
    this.bytesBefore = checkpoint.bytesBefore
    this.held = new Uint8Array(0)
    this.rest = undefined
    // Only the very first bytes of a stream can be a BOM to drop.
    this.decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: checkpoint.bytesBefore > 0 })
    this.scanner.restore(checkpoint.scanner, skipBelow)
  }

  /** @param ascii `isAscii(bytes)`, which the caller knows */
  pushBytes(bytes: Uint8Array, ascii: boolean, limit: number): RawBackupEntry[] {
    let text: string
    if (this.bytesBefore > 0 && this.held.length === 0 && ascii) {
      // Sentry's exports are pure ASCII (ensure_ascii); latin1 is then an exact, much cheaper
      // decoding than UTF-8's, and no character can be split at the chunk's end. The first chunk
      // always goes through the decoder, so that only a BOM at the very start is dropped.
      this.bytesBefore += bytes.length
      this.rest = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)
      return this.more(limit)
    }
    this.ascii &&= ascii
    try {
      text = this.decoder.decode(bytes, { stream: true })
    } catch {
      this.fail(bytes)
    }
    // A chunk shorter than a character may only continue the bytes held before it.
    const tail = bytes.length < 4 ? concatBytes(this.held, bytes) : bytes
    this.held = tail.slice(tail.length - incompleteTailLength(tail))
    this.bytesBefore += bytes.length
    return this.scanner.push(text, limit)
  }

  finish(): void {
    try {
      const rest = this.decoder.decode()
      if (rest) this.scanner.push(rest)
    } catch {
      // The file ends inside a multi-byte character.
      this.scanner.checkPartial()
      this.throwAt(this.bytesBefore - this.held.length, this.held[0] ?? 0)
    }
    this.scanner.finish()
  }

  private fail(bytes: Uint8Array): never {
    const data = concatBytes(this.held, bytes)
    const start = this.bytesBefore - this.held.length
    let bad = firstInvalidUtf8(data)
    if (bad < 0) bad = 0
    let prefix = new TextDecoder('utf-8', { ignoreBOM: true }).decode(data.subarray(0, bad))
    if (start === 0 && prefix.charCodeAt(0) === 0xfeff) prefix = prefix.slice(1)
    this.scanner.push(prefix)
    this.scanner.checkPartial()
    this.throwAt(start + bad, data[bad] ?? 0)
  }

  private throwAt(offset: number, byte: number): never {
    const { line, column } = this.scanner.position()
    const hex = byte.toString(16).padStart(2, '0')
    throw new HarnessError({
      code: 'BACKUP_INVALID',
      stage: 'import',
      message: `invalid UTF-8 in ${this.file} at line ${line}, column ${column}: byte 0x${hex} at offset ${offset} does not start or continue a valid character`,
      hint: 'Save the backup as UTF-8; Sentry writes it as ASCII with \\u escapes',
      context: { file: this.file, line, column, offset },
    })
  }
}

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b
  const out = new Uint8Array(a.length + b.length)
  out.set(a, 0)
  out.set(b, a.length)
  return out
}

/** How many bytes at the end of `bytes` form an incomplete (so far valid-looking) sequence. */
function incompleteTailLength(bytes: Uint8Array): number {
  const n = bytes.length
  for (let back = 1; back <= 3 && back <= n; back++) {
    const b = bytes[n - back]!
    if ((b & 0xc0) === 0x80) continue
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1
    return need > back ? back : 0
  }
  return 0
}

/** Index of the first byte that makes `data` invalid UTF-8 (WHATWG rules), or -1. */
function firstInvalidUtf8(data: Uint8Array): number {
  let i = 0
  const n = data.length
  while (i < n) {
    const b = data[i]!
    if (b < 0x80) {
      i++
      continue
    }
    let need: number
    let lower = 0x80
    let upper = 0xbf
    if (b >= 0xc2 && b <= 0xdf) need = 1
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2
      if (b === 0xe0) lower = 0xa0
      if (b === 0xed) upper = 0x9f
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3
      if (b === 0xf0) lower = 0x90
      if (b === 0xf4) upper = 0x8f
    } else return i
    for (let k = 1; k <= need; k++) {
      if (i + k >= n) return -1
      const c = data[i + k]!
      // The character starting at `i` is the invalid one.
      if (c < lower || c > upper) return i
      lower = 0x80
      upper = 0xbf
    }
    i += need + 1
  }
  return -1
}

// ---------------------------------------------------------------------------------------------
// Scanner

const enum Mode {
  /** Before the opening `[`. */
  Start,
  /** After `[`: an element or `]`. */
  First,
  /** After `,`: an element. */
  Next,
  /** Inside an element that started in an earlier chunk or needs the slow scan. */
  InElement,
  /** After an element: `,` or `]`. */
  After,
  /** After the closing `]`: only whitespace. */
  Done,
}

const UNKNOWN = -2

/** The scanner's state between two chunks: what `BackupScanner.checkpoint` saves. */
interface ScannerCheckpoint {
  readonly mode: Mode
  readonly index: number
  readonly base: number
  readonly line: number
  readonly lineStart: number
  readonly elementLine: number
  readonly elementColumn: number
  readonly elementStart: number
  readonly pieces: readonly string[]
  readonly stack: readonly number[]
  readonly inString: boolean
  readonly escaped: boolean
  readonly fastPath: boolean
  readonly indent: string
  readonly closing: string
}

/** A reader's state before one of its chunks, which a reader of the same bytes can take up. */
export interface ReaderCheckpoint {
  readonly bytesBefore: number
  readonly scanner: ScannerCheckpoint
}

const QUOTE = 0x22
const BACKSLASH = 0x5c
const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d
const OPEN_BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09
}

/**
 * Finds the top-level elements in decoded text fed chunk by chunk.
 *
 * Fast path: in Python's indented layout an element that starts after indentation `I` on its own
 * line ends at the first `"\n" + I + "}"` (raw newlines cannot occur inside JSON strings, and
 * nested lines are indented deeper), so one native `indexOf` finds the candidate end. The
 * candidate is proven by `JSON.parse` succeeding on the slice: an object that parses completely
 * ends exactly there. Everything else (other layouts, elements spanning chunks, errors) goes
 * through a character scanner that tracks strings, escapes and a bracket stack.
 */
class BackupScanner {
  private mode = Mode.Start
  private index = 0

  // Position tracking, in UTF-16 code units.
  /** The chunk being scanned; empty once scanned to its end. */
  private s = ''
  /** Where to scan on in `s`. */
  private resumeAt = 0
  /** Absolute offset of `s[0]`. */
  private base = 0
  private line = 1
  /** Absolute offset of the current line's first character. */
  private lineStart = 0
  /** Newlines of `s` before this index are counted. */
  private counted = 0
  /** The first newline at or after `counted`, -1 for none, UNKNOWN before searching. */
  private nextNewline = UNKNOWN

  // The element being scanned.
  private elementLine = 0
  private elementColumn = 0
  private elementStart = 0
  private pieces: string[] = []
  private readonly stack: number[] = []
  private inString = false
  private escaped = false

  // Fast-path state.
  private fastPath = true
  private indent = ''
  private closing = '\n}'
  /** First occurrence of `closing` found in `s` by the last search, -1 for none, UNKNOWN. */
  private closingAt = UNKNOWN

  private out: RawBackupEntry[] = []
  /** Entries below this index were handed out already (by the reader this one took over from). */
  private skipBelow = 0

  constructor(
    private readonly file: string,
    private readonly shareParses: ReadBackupOptions['shareParses'],
  ) {}

  /** The state between two chunks (the chunk before scanned to its end), for `restore`. */
  checkpoint(): ScannerCheckpoint {
    return {
      mode: this.mode,
      index: this.index,
      base: this.base,
      line: this.line,
      lineStart: this.lineStart,
      elementLine: this.elementLine,
      elementColumn: this.elementColumn,
      elementStart: this.elementStart,
      pieces: [...this.pieces],
      stack: [...this.stack],
      inString: this.inString,
      escaped: this.escaped,
      fastPath: this.fastPath,
      indent: this.indent,
      closing: this.closing,
    }
  }

  restore(checkpoint: ScannerCheckpoint, skipBelow: number): void {
    this.mode = checkpoint.mode
    this.index = checkpoint.index
    this.base = checkpoint.base
    this.line = checkpoint.line
    this.lineStart = checkpoint.lineStart
    this.elementLine = checkpoint.elementLine
    this.elementColumn = checkpoint.elementColumn
    this.elementStart = checkpoint.elementStart
    this.pieces = [...checkpoint.pieces]
    this.stack.length = 0
    this.stack.push(...checkpoint.stack)
    this.inString = checkpoint.inString
    this.escaped = checkpoint.escaped
    this.fastPath = checkpoint.fastPath
    this.indent = checkpoint.indent
    this.closing = checkpoint.closing
    this.skipBelow = skipBelow
    this.s = ''
    this.resumeAt = 0
    this.counted = 0
    this.out = []
  }

  /**
   * Scans a new chunk as far as the end of its `limit`-th element; `more` scans on. The chunk
   * before must have been scanned to its end.
   */
  push(s: string, limit = Infinity): RawBackupEntry[] {
    this.out = []
    // An empty chunk (a decoder holding half a character) must not consume a pending escape.
    if (s.length === 0) return this.out
    this.s = s
    this.counted = 0
    this.nextNewline = UNKNOWN
    this.closingAt = UNKNOWN
    this.resumeAt = 0
    return this.scan(limit)
  }

  /** The current chunk has not been scanned to its end. */
  get pending(): boolean {
    return this.s.length > 0
  }

  /** Scans on in the current chunk, as far as the end of its next `limit` elements. */
  more(limit = Infinity): RawBackupEntry[] {
    this.out = []
    return this.pending ? this.scan(limit) : this.out
  }

  private scan(limit: number): RawBackupEntry[] {
    const s = this.s
    const n = s.length
    let i = this.resumeAt
    while (i < n) {
      if (this.out.length >= limit) {
        this.resumeAt = i
        return this.out
      }
      if (this.mode === Mode.InElement) {
        i = this.scanElement(i)
        if (i < 0) break
        continue
      }
      const c = s.charCodeAt(i)
      if (isWhitespace(c)) {
        i++
        continue
      }
      switch (this.mode) {
        case Mode.Start:
          if (c !== OPEN_BRACKET) this.notAnArray(i, c)
          this.mode = Mode.First
          i++
          break
        case Mode.First:
        case Mode.Next:
          if (c === OPEN_BRACE) i = this.startElement(i)
          else if (c === CLOSE_BRACKET && this.mode === Mode.First) {
            this.mode = Mode.Done
            i++
          } else this.notAnObject(i, c)
          break
        case Mode.After:
          if (c === 0x2c) this.mode = Mode.Next
          else if (c === CLOSE_BRACKET) this.mode = Mode.Done
          else this.syntaxError(i, "Expected ',' or ']' after array element")
          i++
          break
        case Mode.Done:
          this.syntaxError(i, 'Unexpected non-whitespace character after JSON')
      }
    }
    if (this.mode === Mode.InElement) {
      this.pieces.push(this.elementStart < n ? s.slice(this.elementStart) : '')
      this.elementStart = 0
    }
    this.syncLines(n)
    this.base += n
    this.s = ''
    this.counted = 0
    return this.out
  }

  finish(): void {
    if (this.mode === Mode.Done) return
    if (this.mode === Mode.Start) this.syntaxError(0, 'the file is empty', TRUNCATED_HINT)
    if (this.mode === Mode.InElement) this.elementError(this.pieces.join(''))
    this.syntaxError(0, 'Unexpected end of JSON input', TRUNCATED_HINT)
  }

  /**
   * Reports a syntax error already present in the unfinished element, so that it wins over a
   * problem found later in the input (invalid UTF-8).
   */
  checkPartial(): void {
    if (this.mode !== Mode.InElement) return
    const text = this.pieces.join('')
    const found = locateJsonError(text)
    if (found && found.position < text.length) this.elementError(text)
  }

  /** Current line and column (where the next character would be). */
  position(): { line: number; column: number } {
    this.syncLines(this.s.length)
    return { line: this.line, column: this.base + this.s.length - this.lineStart + 1 }
  }

  /** Counts newlines of the current chunk up to (not including) index `to`. */
  private syncLines(to: number): void {
    if (to <= this.counted) return
    const s = this.s
    let k = this.nextNewline
    if (k === UNKNOWN) k = s.indexOf('\n', this.counted)
    while (k !== -1 && k < to) {
      this.line++
      this.lineStart = this.base + k + 1
      k = s.indexOf('\n', k + 1)
    }
    this.nextNewline = k
    this.counted = to
  }

  private startElement(i: number): number {
    const s = this.s
    this.syncLines(i)
    this.elementLine = this.line
    this.elementColumn = this.base + i - this.lineStart + 1
    this.elementStart = i
    if (this.fastPath) {
      const end = this.tryFastPath(i)
      if (end > 0) return end
    }
    this.mode = Mode.InElement
    this.stack.length = 0
    this.inString = false
    this.escaped = false
    this.pieces = []
    return i
  }

  /** Returns the index after the element, or -1 when the fast path does not apply. */
  private tryFastPath(i: number): number {
    const s = this.s
    const lineStartIndex = this.lineStart - this.base
    if (lineStartIndex < 0) return -1
    for (let k = lineStartIndex; k < i; k++) {
      const c = s.charCodeAt(k)
      if (c !== 0x20 && c !== 0x09) return -1
    }
    if (i - lineStartIndex !== this.indent.length || !s.startsWith(this.indent, lineStartIndex)) {
      this.indent = s.slice(lineStartIndex, i)
      this.closing = `\n${this.indent}}`
      this.closingAt = UNKNOWN
    }
    let q = this.closingAt
    if (q === UNKNOWN || (q !== -1 && q < i)) {
      q = s.indexOf(this.closing, i)
      this.closingAt = q
    }
    if (q === -1) return -1
    const end = q + this.closing.length
    const text = s.slice(i, end)
    let value: unknown
    try {
      value = this.parse(text)
    } catch {
      // Not this layout after all (or a real error, which the slow scan reports precisely); stop
      // guessing so a foreign layout cannot make every element parse a long wrong slice.
      this.fastPath = false
      return -1
    }
    this.emit(text, value, end)
    return end
  }

  /** Continues the slow scan of the current element; returns the index after it, or -1. */
  private scanElement(from: number): number {
    const s = this.s
    const n = s.length
    const stack = this.stack
    let i = from
    let inString = this.inString
    if (this.escaped) {
      this.escaped = false
      i++
    }
    while (i < n) {
      const c = s.charCodeAt(i)
      if (inString) {
        if (c === QUOTE) inString = false
        else if (c === BACKSLASH) {
          if (i + 1 >= n) {
            this.escaped = true
            i++
            break
          }
          i++
        } else if (c < 0x20) this.elementError(this.elementTextUpTo(i + 1))
      } else if (c === QUOTE) inString = true
      else if (c === OPEN_BRACE) stack.push(CLOSE_BRACE)
      else if (c === OPEN_BRACKET) stack.push(CLOSE_BRACKET)
      else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        if (stack.pop() !== c) this.elementError(this.elementTextUpTo(i + 1))
        if (stack.length === 0) {
          this.inString = false
          const text = this.elementTextUpTo(i + 1)
          let value: unknown
          try {
            value = this.parse(text)
          } catch (error) {
            this.elementError(text, error)
          }
          this.pieces = []
          this.emit(text, value, i + 1)
          return i + 1
        }
      }
      i++
    }
    this.inString = inString
    return -1
  }

  /** `JSON.parse` of the current element, unless the reader it borrows from parsed the same text. */
  private parse(text: string): unknown {
    const share = this.shareParses
    if (share?.as === 'borrow') return share.cache.borrow(this.index, text) ?? JSON.parse(text)
    return JSON.parse(text)
  }

  private elementTextUpTo(end: number): string {
    const tail = this.s.slice(this.elementStart, end)
    return this.pieces.length === 0 ? tail : this.pieces.join('') + tail
  }

  /** Hands out the element that ends before index `end` of the chunk. */
  private emit(text: string, value: unknown, end: number): void {
    const index = this.index++
    this.mode = Mode.After
    if (index < this.skipBelow) return
    const entry = { index, line: this.elementLine, column: this.elementColumn, value, text }
    this.out.push(entry)
    if (this.shareParses?.as === 'lend') this.shareParses.cache.lend(entry, this.base + end)
  }

  // --- errors ---------------------------------------------------------------------------------

  /** A syntax error inside the current element, located within its (possibly partial) text. */
  private elementError(text: string, parseError?: unknown): never {
    const found = locateJsonError(text)
    const position = found?.position ?? 0
    const why =
      found?.message ?? (parseError instanceof Error ? parseError.message : 'invalid JSON')
    let line = this.elementLine
    let column = this.elementColumn + position
    const lastNewline = text.lastIndexOf('\n', position - 1)
    if (lastNewline >= 0) {
      for (let k = text.indexOf('\n'); k !== -1 && k < position; k = text.indexOf('\n', k + 1))
        line++
      column = position - lastNewline
    }
    const truncated = found?.position === text.length
    this.throwSyntax(line, column, why, truncated ? TRUNCATED_HINT : FIX_HINT)
  }

  /** A syntax error at index `i` of the current chunk (or at the end of input after `finish`). */
  private syntaxError(i: number, why: string, hint = FIX_HINT): never {
    const { line, column } = this.s ? this.positionOf(i) : this.position()
    this.throwSyntax(line, column, why, hint)
  }

  private positionOf(i: number): { line: number; column: number } {
    this.syncLines(i)
    return { line: this.line, column: this.base + i - this.lineStart + 1 }
  }

  private throwSyntax(line: number, column: number, why: string, hint: string): never {
    throw new HarnessError({
      code: 'BACKUP_INVALID',
      stage: 'import',
      message: `invalid JSON in ${this.file} at line ${line}, column ${column}: ${why}`,
      hint,
      context: {
        file: this.file,
        line,
        column,
        // The 1-based number of the entry being read, when the error is inside one.
        ...(this.mode === Mode.InElement ? { ordinal: this.index + 1 } : {}),
      },
    })
  }

  private notAnArray(i: number, c: number): never {
    const kind = valueKind(c)
    if (!kind) this.syntaxError(i, unexpectedToken(this.s, i))
    const { line, column } = this.positionOf(i)
    throw new HarnessError({
      code: 'BACKUP_INVALID',
      stage: 'import',
      message: `invalid backup in ${this.file} at line ${line}, column ${column}: backup file must be a JSON array, found ${kind}`,
      hint: FIX_HINT,
      context: { file: this.file, line, column },
    })
  }

  private notAnObject(i: number, c: number): never {
    const kind = c === CLOSE_BRACKET ? undefined : valueKind(c)
    if (!kind) this.syntaxError(i, unexpectedToken(this.s, i))
    const { line, column } = this.positionOf(i)
    throw new HarnessError({
      code: 'BACKUP_INVALID',
      stage: 'import',
      message: `invalid backup in ${this.file} at line ${line}, column ${column}: entry ${this.index + 1} of the array is ${kind}, not an object`,
      hint: FIX_HINT,
      context: { file: this.file, line, column, ordinal: this.index + 1 },
    })
  }
}

/** What kind of JSON value starts with character `c`, or undefined when none does. */
function valueKind(c: number): string | undefined {
  if (c === OPEN_BRACE) return 'an object'
  if (c === OPEN_BRACKET) return 'an array'
  if (c === QUOTE) return 'a string'
  if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return 'a number'
  if (c === 0x74 || c === 0x66) return 'a boolean'
  if (c === 0x6e) return 'null'
  return undefined
}

function unexpectedToken(s: string, i: number): string {
  const character = String.fromCodePoint(s.codePointAt(i) ?? 0)
  // Control characters are shown escaped, so the message stays on one line.
  const shown = character < ' ' ? JSON.stringify(character).slice(1, -1) : character
  return `Unexpected token '${shown}'`
}

// ---------------------------------------------------------------------------------------------
// Error location

/**
 * Finds the first syntax error in `text`, with V8's wording: V8 gives no position for some
 * errors ("Unexpected token …"), so the reader validates the failing slice itself. Iterative, so
 * deep nesting cannot overflow the stack. Returns undefined for valid JSON.
 */
function locateJsonError(text: string): { position: number; message: string } | undefined {
  const n = text.length
  const stack: number[] = []
  let i = 0
  const skipWhitespace = (): void => {
    while (i < n && isWhitespace(text.charCodeAt(i))) i++
  }
  const fail = (message: string, position = i) => ({ position, message })
  const end = () => fail('Unexpected end of JSON input', n)
  /** Scans a string at `i` (its opening quote); returns an error or undefined. */
  const scanString = (): { position: number; message: string } | undefined => {
    i++
    for (;;) {
      if (i >= n) return fail('Unterminated string', n)
      const c = text.charCodeAt(i)
      if (c === QUOTE) {
        i++
        return undefined
      }
      if (c === BACKSLASH) {
        i++
        if (i >= n) return end()
        const e = text.charCodeAt(i)
        if (e === 0x75) {
          for (let k = 1; k <= 4; k++) {
            if (i + k >= n) return end()
            if (!isHexDigit(text.charCodeAt(i + k))) return fail('Bad Unicode escape', i + k)
          }
          i += 5
          continue
        }
        // " \ / b f n r t
        if (![0x22, 0x5c, 0x2f, 0x62, 0x66, 0x6e, 0x72, 0x74].includes(e)) {
          return fail('Bad escaped character')
        }
        i++
        continue
      }
      if (c < 0x20) return fail('Bad control character in string literal')
      i++
    }
  }
  const scanDigits = (): number => {
    const start = i
    while (i < n && text.charCodeAt(i) >= 0x30 && text.charCodeAt(i) <= 0x39) i++
    return i - start
  }
  const scanNumber = (): { position: number; message: string } | undefined => {
    if (text.charCodeAt(i) === 0x2d) {
      i++
      if (i >= n) return end()
      if (scanDigits() === 0) return fail('No number after minus sign')
    } else scanDigits()
    if (i < n && text.charCodeAt(i) === 0x2e) {
      i++
      if (i >= n) return end()
      if (scanDigits() === 0) return fail('Unterminated fractional number')
    }
    if (i < n && (text.charCodeAt(i) === 0x65 || text.charCodeAt(i) === 0x45)) {
      i++
      if (i < n && (text.charCodeAt(i) === 0x2b || text.charCodeAt(i) === 0x2d)) i++
      if (i >= n) return end()
      if (scanDigits() === 0) return fail('Exponent part is missing a number')
    }
    return undefined
  }
  const scanKey = (message: string): { position: number; message: string } | undefined => {
    skipWhitespace()
    if (i >= n) return end()
    if (text.charCodeAt(i) !== QUOTE) return fail(message)
    const error = scanString()
    if (error) return error
    skipWhitespace()
    if (i >= n) return end()
    if (text.charCodeAt(i) !== 0x3a) return fail("Expected ':' after property name")
    i++
    return undefined
  }

  for (;;) {
    // A value is expected at `i`.
    skipWhitespace()
    if (i >= n) return end()
    const c = text.charCodeAt(i)
    let containerOpened = false
    if (c === OPEN_BRACE) {
      i++
      skipWhitespace()
      if (i >= n) return end()
      if (text.charCodeAt(i) === CLOSE_BRACE) i++
      else {
        const error = scanKey("Expected property name or '}'")
        if (error) return error
        stack.push(CLOSE_BRACE)
        containerOpened = true
      }
    } else if (c === OPEN_BRACKET) {
      i++
      skipWhitespace()
      if (i >= n) return end()
      if (text.charCodeAt(i) === CLOSE_BRACKET) i++
      else {
        stack.push(CLOSE_BRACKET)
        containerOpened = true
      }
    } else if (c === QUOTE) {
      const error = scanString()
      if (error) return error
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      const start = i
      const error = scanNumber()
      if (error) return error
      // A leading zero stands alone: in "01" the "1" is a second value.
      const digitsStart = text.charCodeAt(start) === 0x2d ? start + 1 : start
      if (text.charCodeAt(digitsStart) === 0x30 && i > digitsStart + 1) {
        const next = text.charCodeAt(digitsStart + 1)
        if (next >= 0x30 && next <= 0x39) return fail('Unexpected number', digitsStart + 1)
      }
    } else if (c === 0x74 || c === 0x66 || c === 0x6e) {
      const word = c === 0x74 ? 'true' : c === 0x66 ? 'false' : 'null'
      for (let k = 0; k < word.length; k++) {
        if (i + k >= n) return end()
        if (text.charCodeAt(i + k) !== word.charCodeAt(k)) {
          return fail(unexpectedToken(text, i + k), i + k)
        }
      }
      i += word.length
    } else return fail(unexpectedToken(text, i))
    if (containerOpened) continue

    // After a complete value: close containers or move to the next member.
    for (;;) {
      skipWhitespace()
      const top = stack[stack.length - 1]
      if (top === undefined) {
        return i < n ? fail('Unexpected non-whitespace character after JSON') : undefined
      }
      if (i >= n) return end()
      const d = text.charCodeAt(i)
      if (d === top) {
        stack.pop()
        i++
        continue
      }
      if (d === 0x2c) {
        i++
        if (top === CLOSE_BRACE) {
          const error = scanKey('Expected double-quoted property name')
          if (error) return error
        }
        break
      }
      return fail(
        top === CLOSE_BRACE
          ? "Expected ',' or '}' after property value"
          : "Expected ',' or ']' after array element",
      )
    }
  }
}

function isHexDigit(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)
}
