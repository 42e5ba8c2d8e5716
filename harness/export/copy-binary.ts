/**
 * Splits the data of `COPY … TO STDOUT (FORMAT binary)` into rows, whatever the chunk boundaries.
 * The format: an 11-byte signature, flags and a header extension, then per row an int16 column
 * count and per column an int32 length (-1 for NULL) and that many bytes, then an int16 -1.
 * Rows are handed over as offsets into the chunk, so no row allocates anything.
 */

export interface CopyRowSink {
  /**
   * One row: column k is `data[starts[k] … starts[k] + lengths[k]]`, or NULL when `lengths[k]` is
   * -1. The arrays are reused for the next row.
   */
  row(data: Buffer, starts: Int32Array, lengths: Int32Array): void
}

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1')

export class CopyBinaryReader {
  /** Rows read so far. */
  rows = 0
  private readonly starts: Int32Array
  private readonly lengths: Int32Array
  private headerDone = false
  private ended = false
  // An incomplete row (or header) waits here for the chunks that complete it.
  private pending: Buffer[] = []
  private pendingBytes = 0
  private needed = 0

  constructor(private readonly columns: number) {
    this.starts = new Int32Array(columns)
    this.lengths = new Int32Array(columns)
  }

  /** Hands every row that `chunk` completes to `sink`. */
  push(chunk: Buffer, sink: CopyRowSink): void {
    if (this.pendingBytes > 0) {
      this.pending.push(chunk)
      this.pendingBytes += chunk.length
      // A row larger than a chunk: wait until it is all here rather than joining chunks again and again.
      if (this.pendingBytes < this.needed) return
      chunk = Buffer.concat(this.pending, this.pendingBytes)
      this.pending = []
      this.pendingBytes = 0
    }
    let pos = 0
    if (!this.headerDone) {
      pos = this.header(chunk)
      if (pos < 0) return this.keep(chunk, 0, -pos)
      this.headerDone = true
    }
    const { starts, lengths, columns } = this
    const end = chunk.length
    while (pos < end) {
      if (this.ended) throw new Error('COPY: data after the end of the rows')
      if (pos + 2 > end) return this.keep(chunk, pos, 2)
      const count = (chunk[pos]! << 8) | chunk[pos + 1]!
      if (count === 0xffff) {
        this.ended = true
        pos += 2
        continue
      }
      if (count !== columns) throw new Error(`COPY: a row has ${count} columns, expected ${columns}`)
      let at = pos + 2
      // Bytes this row needs from `pos` to go on, when the chunk ends inside it.
      let short = 0
      for (let k = 0; k < columns; k++) {
        if (at + 4 > end) {
          short = at + 4 - pos
          break
        }
        const length = (chunk[at]! << 24) | (chunk[at + 1]! << 16) | (chunk[at + 2]! << 8) | chunk[at + 3]!
        at += 4
        starts[k] = at
        lengths[k] = length
        if (length > 0) at += length
        if (at > end) {
          short = at - pos
          break
        }
      }
      if (short > 0) return this.keep(chunk, pos, short)
      this.rows++
      sink.row(chunk, starts, lengths)
      pos = at
    }
  }

  /** Checks that the data ended where the format says it ends. */
  end(): void {
    if (!this.ended || this.pendingBytes > 0) throw new Error('COPY: the data ended in the middle of a row')
  }

  /** Keeps `chunk[from…]` until at least `atLeast` bytes of it are available. */
  private keep(chunk: Buffer, from: number, atLeast: number): void {
    const rest = chunk.subarray(from)
    this.pending = [rest]
    this.pendingBytes = rest.length
    this.needed = Math.max(atLeast, rest.length + 1)
  }

  /** The offset after the header, or minus the bytes needed when it is not all here yet. */
  private header(chunk: Buffer): number {
    if (chunk.length < SIGNATURE.length + 8) return -(SIGNATURE.length + 8)
    if (!chunk.subarray(0, SIGNATURE.length).equals(SIGNATURE)) throw new Error('COPY: not binary COPY data')
    const extension = chunk.readInt32BE(SIGNATURE.length + 4)
    const end = SIGNATURE.length + 8 + extension
    return chunk.length < end ? -end : end
  }
}
