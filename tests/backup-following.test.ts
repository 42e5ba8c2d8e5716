import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { readBackupEntries, type RawBackupEntry } from '../harness/backup/read-backup.ts'
import { SharedParses } from '../harness/backup/shared-parses.ts'
import { formatBackup } from '../harness/backup/write-backup.ts'

// A reader that borrows from another follows the lender's bytes while they are its own, handing
// out the lender's entries without reading them, and takes over where they differ. Whatever the
// bytes, the chunking and the turns, it must give exactly what reading its file alone gives.

const entries = Array.from({ length: 30 }, (_, i) => ({
  model: i < 12 ? 'app.first' : 'app.second',
  pk: i + 1,
  fields: {
    name: `thing ${i} \u03a9`,
    nested: { at: [i, null, { deep: i % 3 === 0 }] },
    flag: i % 2 === 0,
  },
}))
const ORIGINAL = Buffer.from(formatBackup(entries))

/** What a reader gives: each entry as plain data, then the error that stopped it, if any. */
interface Outcome {
  readonly entries: Omit<RawBackupEntry, never>[]
  readonly error?: string
}

function chunks(bytes: Buffer, size: number): Readable {
  const out: Buffer[] = []
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size))
  return Readable.from(out)
}

async function alone(bytes: Buffer, size: number): Promise<Outcome> {
  const got: RawBackupEntry[] = []
  try {
    for await (const entry of readBackupEntries(chunks(bytes, size))) got.push(entry)
  } catch (error) {
    return { entries: got.map(plain), error: (error as Error).message }
  }
  return { entries: got.map(plain) }
}

const plain = ({ index, line, column, text, value }: RawBackupEntry) => ({
  index,
  line,
  column,
  text,
  value,
})

/**
 * The borrower gave what reading its bytes alone gives. Before an error, a reader alone withholds
 * the valid entries of the batch it was scanning; one that followed may have handed them out
 * already, so there it must give at least those, and no more than reading a byte at a time gives.
 */
async function expectAsAlone(outcome: Outcome, bytes: Buffer, size: number, what = '') {
  const expected = await alone(bytes, size)
  if (expected.error === undefined || outcome.entries.length === expected.entries.length) {
    expect(outcome, what).toEqual(expected)
    return
  }
  expect(outcome.error, what).toBe(expected.error)
  const everyEntry = await alone(bytes, 1)
  expect(outcome.entries.length, what).toBeGreaterThan(expected.entries.length)
  expect(outcome.entries, what).toEqual(everyEntry.entries.slice(0, outcome.entries.length))
}

interface Turns {
  /** Chunk sizes of the lender's and the borrower's stream. */
  readonly lenderChunk: number
  readonly borrowerChunk: number
  /** Entries each takes before the other's turn. */
  readonly turn: number
  readonly borrowerFirst?: boolean
  readonly capacity?: number
}

/** Both read in chunks of `size`, three entries a turn. */
const inStep = (size: number): Turns => ({ lenderChunk: size, borrowerChunk: size, turn: 3 })

/** Reads the two in turns, as `validate` does; returns what the borrower gave and the cache. */
async function follow(lender: Buffer, borrower: Buffer, turns: Turns) {
  const cache = new SharedParses(turns.capacity)
  const reader = (bytes: Buffer, size: number, as: 'lend' | 'borrow') => ({
    entries: readBackupEntries(chunks(bytes, size), { shareParses: { cache, as } }),
    got: [] as RawBackupEntry[],
    done: false,
    error: undefined as string | undefined,
  })
  const readers = [
    reader(lender, turns.lenderChunk, 'lend'),
    reader(borrower, turns.borrowerChunk, 'borrow'),
  ]
  const order = turns.borrowerFirst ? [readers[1]!, readers[0]!] : readers
  while (readers.some((r) => !r.done)) {
    for (const reader of order) {
      for (let n = 0; n < turns.turn && !reader.done; n++) {
        try {
          const next = await reader.entries.next()
          if (next.done) reader.done = true
          else reader.got.push(next.value)
        } catch (error) {
          reader.error = (error as Error).message
          reader.done = true
        }
      }
    }
  }
  const [lent, borrowed] = readers as [ReturnType<typeof reader>, ReturnType<typeof reader>]
  const outcome: Outcome = {
    entries: borrowed.got.map(plain),
    ...(borrowed.error === undefined ? {} : { error: borrowed.error }),
  }
  return { outcome, cache, lent: lent.got }
}

describe('a borrowing reader following the lender’s bytes', () => {
  it('hands out the lender’s entries for the same bytes, reading none itself', async () => {
    for (const size of [64, 333, 1 << 16]) {
      const { outcome, cache, lent } = await follow(ORIGINAL, Buffer.from(ORIGINAL), inStep(size))
      expect(outcome).toEqual(await alone(ORIGINAL, size))
      expect(cache.followed).toBe(entries.length)
      expect(cache.borrowed).toBe(0)
      // The very objects the lender gave.
      expect(outcome.entries.length).toBe(lent.length)
    }
  })

  it('gives what reading alone gives wherever the bytes first differ, however', async () => {
    const sizes: [number, number][] = [[64, 64], [97, 97], [64, 100]]
    let followed = 0
    let compared = 0
    for (let at = 0; at <= ORIGINAL.length; at += 31) {
      const variants = [
        Buffer.concat([ORIGINAL.subarray(0, at), Buffer.from(' '), ORIGINAL.subarray(at)]),
        Buffer.concat([ORIGINAL.subarray(0, at), ORIGINAL.subarray(at + 1)]),
        ORIGINAL.subarray(0, at),
      ]
      if (at < ORIGINAL.length) {
        const changed = Buffer.from(ORIGINAL)
        changed[at] = ORIGINAL[at] === 0x31 ? 0x32 : 0x31
        variants.push(changed)
      }
      for (const variant of variants) {
        for (const [lenderChunk, borrowerChunk] of sizes) {
          const turns = { lenderChunk, borrowerChunk, turn: 3 }
          const { outcome, cache } = await follow(ORIGINAL, variant, turns)
          const what = `at byte ${at}, chunks ${lenderChunk}/${borrowerChunk}`
          await expectAsAlone(outcome, variant, borrowerChunk, what)
          followed += cache.followed
          compared++
        }
      }
    }
    // Most variants share a prefix of whole chunks: following was tried, not skipped.
    expect(followed).toBeGreaterThan(compared)
  })

  it('gives what reading alone gives ahead of the lender, or far behind it', async () => {
    const changed = Buffer.from(ORIGINAL.toString().replace('thing 20', 'thing 2X'))
    for (const borrower of [ORIGINAL, changed]) {
      for (const turns of [
        { lenderChunk: 64, borrowerChunk: 64, turn: 3, borrowerFirst: true },
        { lenderChunk: 64, borrowerChunk: 64, turn: 1000 },
        { lenderChunk: 1 << 16, borrowerChunk: 1 << 16, turn: 1000, capacity: 8 },
        { lenderChunk: 50, borrowerChunk: 50, turn: 1 },
      ]) {
        const { outcome } = await follow(ORIGINAL, borrower, turns)
        await expectAsAlone(outcome, borrower, turns.borrowerChunk, JSON.stringify(turns))
      }
    }
  })

  it('stops following at bytes that are not ASCII, and after a BOM reads alone', async () => {
    const text = ORIGINAL.toString()
    const raw = Buffer.from(text.replace('thing 15 \\u03a9', 'thing 15 \u03a9 \u{1F600}'))
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), ORIGINAL])
    for (const bytes of [raw, withBom]) {
      for (const size of [5, 64]) {
        const { outcome, cache } = await follow(bytes, Buffer.from(bytes), inStep(size))
        expect(outcome).toEqual(await alone(bytes, size))
        expect(cache.followed).toBeLessThan(entries.length)
      }
    }
    // Before the raw character, entries were followed.
    const { cache } = await follow(raw, Buffer.from(raw), inStep(64))
    expect(cache.followed).toBeGreaterThan(10)
  })

  it('hands out nothing more once closed, and lets the lender stop keeping chunks', async () => {
    const cache = new SharedParses()
    const reader = (as: 'lend' | 'borrow') =>
      readBackupEntries(chunks(ORIGINAL, 1 << 16), { shareParses: { cache, as } })
    const lender = reader('lend')
    const borrower = reader('borrow')
    for (let i = 0; i < 5; i++) await lender.next()
    expect((await borrower.next()).value).toMatchObject({ index: 0 })
    expect(borrower.takeBuffered()).toMatchObject({ index: 1 })
    await borrower.return(undefined)
    expect(borrower.takeBuffered()).toBeUndefined()
    expect(await borrower.next()).toEqual({ done: true, value: undefined })
    expect(cache.following).toBe(false)
    await lender.return(undefined)
  })

  it('tells of every byte once, whether it followed, took over or read alone', async () => {
    const changed = Buffer.from(ORIGINAL.toString().replace('thing 20', 'thing 2X'))
    for (const borrowed of [ORIGINAL, changed]) {
      const cache = new SharedParses()
      const counts: number[] = []
      const reader = (bytes: Buffer, as: 'lend' | 'borrow') =>
        readBackupEntries(chunks(bytes, 64), {
          shareParses: { cache, as },
          ...(as === 'borrow' ? { onBytes: (n: number) => counts.push(n) } : {}),
        })
      const lender = reader(ORIGINAL, 'lend')
      const borrower = reader(borrowed, 'borrow')
      for (let done = false; !done; ) {
        for (let n = 0; n < 3; n++) await lender.next()
        for (let n = 0; n < 3 && !done; n++) done = (await borrower.next()).done === true
      }
      expect(counts.at(-1)).toBe(borrowed.length)
      expect(counts).toEqual([...counts].sort((a, b) => a - b))
      expect(new Set(counts).size).toBe(counts.length)
      expect(cache.followed).toBeGreaterThan(0)
    }
  })

  it('finds the same error as reading alone in a file as broken as the lender’s', async () => {
    const broken = Buffer.from(ORIGINAL.toString().replace('"pk": 17,', '"pk": 17,,'))
    for (const size of [64, 1 << 16]) {
      const { outcome } = await follow(broken, Buffer.from(broken), inStep(size))
      expect(outcome.error).toMatch(/line 276, column 14/)
      await expectAsAlone(outcome, broken, size)
    }
  })
})
