/**
 * PostgreSQL's COPY text format (the `text` format of `COPY … FROM STDIN`): one line per row,
 * columns separated by tabs, `\N` for NULL. Inside a value only backslash, tab, newline and
 * carriage return mean something, so only those are escaped; every other character (quotes, any
 * Unicode, other control characters) goes through as it is. A doubled backslash also keeps a value
 * that reads `\N` or `\.` from being taken for NULL or for the end of the data.
 */

/** The text of NULL. */
export const COPY_NULL = '\\N'

const SPECIAL = /[\\\t\n\r]/
const SPECIAL_ALL = /[\\\t\n\r]/g
const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' }

/** One value as COPY text: NULL as `\N`, the four special characters escaped. */
export function copyValue(text: string | null): string {
  if (text === null) return COPY_NULL
  // Most values have nothing to escape; the test is much cheaper than a replace that finds nothing.
  return SPECIAL.test(text) ? text.replace(SPECIAL_ALL, (c) => ESCAPES[c]!) : text
}

/** A row for `copyRows`: its pk and its column texts (undefined for a column left out). */
export interface CopyRow {
  readonly pk: number
  readonly values: readonly (string | null | undefined)[]
}

/**
 * The COPY text of `rows`, one line each: the pk, then `values[i]` for every `i` of `indices`.
 * @param plain per value index: true when the texts of that column never hold a special character
 *   (numbers, booleans, checked date-times), which skips the scan for them
 */
export function copyRows(rows: readonly CopyRow[], indices: readonly number[], plain: readonly boolean[]): string {
  // One string grown by `+=` (a rope in V8) and flattened once when it is encoded as UTF-8.
  let out = ''
  for (const row of rows) {
    let line = String(row.pk)
    const values = row.values
    for (const i of indices) {
      const value = values[i]
      line += value == null ? `\t${COPY_NULL}` : plain[i] ? `\t${value}` : `\t${copyValue(value)}`
    }
    out += `${line}\n`
  }
  return out
}

/** Where a COPY error happened: the 1-based row within the COPY's data, and the column if known. */
export interface CopyErrorPlace {
  readonly line: number
  readonly column?: string
}

/**
 * Reads the row of a failed COPY from the error's context line, `COPY table, line N[, column c]:
 * …` (it may follow other context lines, e.g. `JSON data, line 1: …`). Errors raised when the
 * statement ends (foreign keys) have no such line: undefined.
 */
export function copyErrorPlace(error: unknown): CopyErrorPlace | undefined {
  const where = (error as { where?: unknown } | null)?.where
  if (typeof where !== 'string') return undefined
  const match = /^COPY [^\n]*?, line (\d+)(?:, column ([^\n:]+))?/m.exec(where)
  if (!match) return undefined
  return { line: Number(match[1]), ...(match[2] ? { column: match[2] } : {}) }
}
