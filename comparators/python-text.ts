import { formatPythonFloat } from '../harness/backup/write-backup.ts'

/**
 * Values written the way Python writes them into an f-string, because Sentry's reason texts are
 * f-strings: `str()` at the top (`{value}`), `repr()` inside lists, dicts and tuples. So a list of
 * strings reads `['b', 'a']`, null reads `None` and a tuple of one `('x',)`.
 */

/** Python's `str(value)` for a JSON value. */
export function pythonStr(value: unknown): string {
  return typeof value === 'string' ? value : pythonRepr(value)
}

/** Python's `repr(value)` for a JSON value. */
export function pythonRepr(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return reprString(value)
    case 'number':
      return Number.isSafeInteger(value) ? String(value) : formatPythonFloat(value)
    case 'bigint':
      return value.toString()
    case 'boolean':
      return value ? 'True' : 'False'
    case 'undefined':
      return 'None'
    case 'object':
      if (value === null) return 'None'
      if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`
      return `{${Object.entries(value)
        .map(([key, item]) => `${reprString(key)}: ${pythonRepr(item)}`)
        .join(', ')}}`
    default:
      return String(value)
  }
}

/** Python's `repr(tuple(values))`: a one-element tuple keeps its trailing comma. */
export function pythonTupleRepr(values: readonly unknown[]): string {
  return values.length === 1
    ? `(${pythonRepr(values[0])},)`
    : `(${values.map(pythonRepr).join(', ')})`
}

/** Single quotes unless the text has a single quote and no double quote, as Python chooses. */
function reprString(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'"
  let out = quote
  for (const character of text) {
    const code = character.codePointAt(0)!
    if (character === quote || character === '\\') out += `\\${character}`
    else if (character === '\n') out += '\\n'
    else if (character === '\r') out += '\\r'
    else if (character === '\t') out += '\\t'
    else if (code < 0x20 || (code >= 0x7f && code < 0xa0))
      out += `\\x${code.toString(16).padStart(2, '0')}`
    else if (code >= 0xd800 && code < 0xe000) out += `\\u${code.toString(16)}`
    else out += character
  }
  return out + quote
}
