import type { RawBackupEntry, ReaderCheckpoint } from './read-backup.ts'

/**
 * What one reader (the lender) shares with another reading a file with the same entries at the
 * same positions: the two sides of a round trip, which `validate` reads side by side.
 *
 * - Parses: an entry whose text equals the lender's entry at the same index is not parsed again;
 *   the borrower gets the lender's value, the same object, so neither caller may change it.
 * - Bytes: while the borrower's file has so far been byte for byte the lender's, it follows the
 *   lender instead of reading for itself: a prefix of equal bytes holds equal entries at equal
 *   positions, so the borrower compares each chunk with the lender's copy of it and hands out the
 *   lender's entries that end within what it has compared. At the first chunk that differs, or
 *   when the lender has not got as far, it takes up the lender's scanner state at the start of its
 *   chunk (the state of an equal prefix) and reads on for itself.
 *
 * Only the lender's latest `capacity` entries and last few chunks are kept (rings), so memory
 * stays bounded whatever the file size: two readers that stay within that distance of each other
 * share everything, two that drift apart just read for themselves.
 */
export class SharedParses {
  private readonly indexes: Float64Array
  /** Where each entry ends: its offset in the file, in characters (bytes while it is ASCII). */
  private readonly ends: Float64Array
  private readonly entries: (RawBackupEntry | undefined)[]
  private readonly mask: number
  /** The lender's latest chunks, oldest first. */
  private readonly chunks: ChunkCopy[] = []
  private chunkBytes = 0
  /** Entries borrowed, for tests and benchmarks. */
  borrowed = 0
  /** Entries the borrower handed out as the lender's, without reading them, for the same. */
  followed = 0
  /** The borrower still follows the lender's bytes, so the lender keeps copies of its chunks. */
  following = true

  /** @param capacity entries kept; rounded up to a power of two */
  constructor(capacity = DEFAULT_CAPACITY) {
    let size = 1
    while (size < capacity) size *= 2
    this.mask = size - 1
    this.indexes = new Float64Array(size).fill(-1)
    this.ends = new Float64Array(size)
    this.entries = new Array<RawBackupEntry | undefined>(size).fill(undefined)
  }

  /** The lender read `entry`, which ends at offset `end` of its file. */
  lend(entry: RawBackupEntry, end: number): void {
    const slot = entry.index & this.mask
    this.indexes[slot] = entry.index
    this.ends[slot] = end
    this.entries[slot] = entry
  }

  /** The lender's value for entry `index` if it read the same text there, else undefined. */
  borrow(index: number, text: string): unknown {
    const slot = index & this.mask
    const entry = this.entries[slot]
    if (this.indexes[slot] !== index || entry!.text !== text) return undefined
    this.borrowed++
    this.forget(slot)
    return entry!.value
  }

  /** Where the lender's entry `index` ends, or -1 if the lender has not read it or let it go. */
  endOf(index: number): number {
    const slot = index & this.mask
    return this.indexes[slot] === index ? this.ends[slot]! : -1
  }

  /** The lender's entry `index`, for a borrower that found it within its equal bytes (`endOf`). */
  follow(index: number): RawBackupEntry {
    const slot = index & this.mask
    const entry = this.entries[slot]!
    this.followed++
    this.forget(slot)
    return entry
  }

  /**
   * The lender is about to read the chunk at byte `offset`, from scanner state `checkpoint`
   * (undefined when that state cannot be taken up: the bytes so far were not all ASCII). Its bytes
   * are copied only when they are ASCII, so that entries' offsets in characters are offsets in
   * bytes, which is what the borrower compares.
   */
  lendChunk(
    offset: number,
    bytes: Uint8Array,
    ascii: boolean,
    checkpoint: ReaderCheckpoint | undefined,
  ): void {
    // The oldest copy's room is reused: freed chunk-sized buffers would stay in malloc's heap.
    let copy: ChunkCopy | undefined
    const full = () =>
      this.chunks.length >= CHUNKS_KEPT || this.chunkBytes + bytes.length > BYTES_KEPT
    while (this.chunks.length > 0 && full()) {
      copy = this.chunks.shift()!
      this.chunkBytes -= copy.bytes?.length ?? 0
    }
    copy ??= { offset: -1, store: new Uint8Array(0), bytes: undefined, checkpoint: undefined }
    this.chunks.push(copy)
    copy.offset = offset
    copy.checkpoint = checkpoint
    copy.bytes = undefined
    if (checkpoint === undefined || !ascii) return
    if (copy.store.length < bytes.length) copy.store = new Uint8Array(bytes.length)
    copy.store.set(bytes)
    copy.bytes = copy.store.subarray(0, bytes.length)
    this.chunkBytes += bytes.length
  }

  /** The lender's chunk that starts at byte `offset`, if it is still kept. */
  chunkAt(offset: number): ChunkCopy | undefined {
    for (let k = this.chunks.length - 1; k >= 0; k--) {
      if (this.chunks[k]!.offset === offset) return this.chunks[k]
    }
    return undefined
  }

  /** Each index is taken once: let go of the entry now rather than when the ring comes round. */
  private forget(slot: number): void {
    this.indexes[slot] = -1
    this.entries[slot] = undefined
  }
}

/** A chunk of the lender's file, as the borrower needs it to follow or to take over. */
export interface ChunkCopy {
  offset: number
  /** Room the copies are made in, reused as the ring comes round. */
  store: Uint8Array
  /** The chunk's bytes, when they are ASCII and the scanner state before them can be taken up. */
  bytes: Uint8Array | undefined
  /** The lender's state at the chunk's start; the borrower takes it up where its bytes differ. */
  checkpoint: ReaderCheckpoint | undefined
}

/**
 * Room to spare: the two readers of `validate` take turns of a few hundred entries and parse a
 * few hundred ahead, so the lender leads by under a thousand entries; a few read chunks' worth
 * (1 MiB chunks of 300-byte entries) still shares everything when one drifts further.
 */
const DEFAULT_CAPACITY = 16384

/**
 * The lender leads by about one 1 MiB chunk (a turn's entries); a few more cover a borrower that
 * falls a little behind, and many small chunks (a stream's) the same few hundred entries.
 */
const BYTES_KEPT = 4 << 20
const CHUNKS_KEPT = 256
