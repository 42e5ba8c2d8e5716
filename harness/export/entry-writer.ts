import { formatPythonFloat, formatPythonJsonText } from '../backup/write-backup.ts'
import type { SparseBitset } from '../import/pk-map.ts'
import type { AsciiOutput } from './ascii-output.ts'
import type { CopyRowSink } from './copy-binary.ts'
import { ColumnKind, type ExportQuery } from './export-query.ts'
import { TimestampText, timestampJson } from './timestamp-text.ts'

/**
 * The backup array as `json.dumps(entries, indent=N)` lays it out: `[`, entries at level 1
 * separated by `,` and a line break, `]` (or `[]` when there is none).
 */
export class BackupArray {
  entries = 0
  private readonly open: Buffer
  private readonly between: Buffer

  constructor(
    readonly output: AsciiOutput,
    readonly indent: number,
  ) {
    this.open = ascii('[' + newline(indent, 1))
    this.between = ascii(',' + newline(indent, 1))
  }

  /** Starts an entry: the bracket or separator before it. */
  next(): void {
    this.output.bytes(this.entries++ === 0 ? this.open : this.between)
  }

  close(): void {
    this.output.ascii(this.entries === 0 ? '[]' : newline(this.indent, 0) + ']')
  }
}

const NULL = ascii('null')

/**
 * Writes the rows of one model's export query (see `exportQuery`) as backup entries. A row whose
 * foreign key points at a row that was not exported is left out (spec §3 step 3), unless the
 * model's `nullIfTargetMissing` names the field (then the query does not check it).
 */
export class EntryWriter implements CopyRowSink {
  /** Rows written. */
  written = 0
  /** Rows left out for a foreign key. */
  dropped = 0
  private readonly output: AsciiOutput
  private readonly indent: number
  /** Per checked foreign key: the pks exported of its target model (null: none were). */
  private readonly targets: (SparseBitset | null)[]
  private readonly holes: Int8Array
  private readonly escapeSegments: boolean[]
  /** The column of the first segment. */
  private readonly firstSegment: number
  private readonly timestamps = new TimestampText()

  constructor(
    query: ExportQuery,
    private readonly array: BackupArray,
    exported: ReadonlyMap<string, SparseBitset>,
    private readonly pks: SparseBitset,
  ) {
    this.output = array.output
    this.indent = array.indent
    this.targets = query.checks.map((field) => exported.get(field.foreignKey!.model) ?? null)
    this.holes = Int8Array.from(query.holes)
    this.escapeSegments = [...query.segmentsNeedEscaping]
    this.firstSegment = 1 + query.checks.length
  }

  row(data: Buffer, starts: Int32Array, lengths: Int32Array): void {
    const targets = this.targets
    for (let k = 0; k < targets.length; k++) {
      const length = lengths[k + 1]!
      if (length < 0) continue
      const target = targets[k]
      if (!target || !target.has(decimalAt(data, starts[k + 1]!, length))) {
        this.dropped++
        return
      }
    }
    this.pks.add(decimalAt(data, starts[0]!, lengths[0]!))
    this.written++
    const output = this.output
    this.array.next()
    const holes = this.holes
    let column = this.firstSegment
    for (let k = 0; ; k++, column += 2) {
      const start = starts[column]!
      if (this.escapeSegments[k]) output.jsonText(data, start, start + lengths[column]!)
      else output.raw(data, start, start + lengths[column]!)
      if (k === holes.length) break
      const valueStart = starts[column + 1]!
      const length = lengths[column + 1]!
      if (length < 0) {
        output.bytes(NULL)
        continue
      }
      switch (holes[k]) {
        case ColumnKind.String:
          output.string(data, valueStart, valueStart + length)
          break
        case ColumnKind.Timestamptz:
          if (this.timestamps.formatFast(data, valueStart)) output.bytes(this.timestamps.bytes)
          else output.ascii(timestampJson(data, valueStart))
          break
        case ColumnKind.JsonColumn:
          // Values sit at level 3: entry (1) → fields (2) → value (3).
          output.ascii(formatPythonJsonText(data.toString('utf8', valueStart, valueStart + length), this.indent, 3))
          break
        case ColumnKind.Float:
          // A float column's value is a Python float: 2 is written 2.0, as Sentry writes it.
          output.ascii(formatPythonFloat(Number(data.toString('latin1', valueStart, valueStart + length))))
          break
      }
    }
  }
}

function ascii(text: string): Buffer {
  return Buffer.from(text, 'latin1')
}

function newline(indent: number, level: number): string {
  return '\n' + ' '.repeat(indent * level)
}

/** The integer written in ASCII at `data[start…start+length]` (an optional minus, then digits). */
function decimalAt(data: Buffer, start: number, length: number): number {
  if (length > 15) return Number(data.toString('latin1', start, start + length))
  let k = start
  const end = start + length
  const negative = data[k] === 0x2d
  if (negative) k++
  let value = 0
  for (; k < end; k++) value = value * 10 + (data[k]! - 0x30)
  return negative ? -value : value
}
