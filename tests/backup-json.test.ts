import { execFileSync, spawnSync } from 'node:child_process'
import { createWriteStream, readdirSync, readFileSync, statSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { Readable, Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import v8 from 'node:v8'
import vm from 'node:vm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  readBackupEntries,
  readBackupFile,
  type RawBackupEntry,
  type ReadBackupOptions,
} from '../harness/backup/read-backup.ts'
import { SharedParses } from '../harness/backup/shared-parses.ts'
import {
  createBackupWriter,
  formatBackup,
  formatPythonFloat,
  formatPythonJson,
  formatPythonJsonText,
  PythonFloat,
  RawJson,
  writeBackupFile,
} from '../harness/backup/write-backup.ts'
import { HarnessError } from '../harness/errors.ts'

/*
 * Pure tests of the backup JSON reader and writer (no database). The writer's expected outputs
 * come from the real Python `json` module whenever python3 is installed, so "byte for byte like
 * Sentry" is checked against the implementation Sentry uses, not against our reading of it.
 */

const FIXTURES = fileURLToPath(new URL('../snapshots/sentry/', import.meta.url))
const FIXTURE_FILES = readdirSync(FIXTURES)
  .filter((name) => name.endsWith('.json') && !name.endsWith('.expect.json'))
  .sort()

// --- Python ----------------------------------------------------------------------------------

const PYTHON = findPython()
if (!PYTHON.ok) console.warn(`backup-json tests: Python comparisons skipped: ${PYTHON.reason}`)

function findPython(): { ok: true } | { ok: false; reason: string } {
  const probe = spawnSync('python3', ['-c', 'import json, sys; print(sys.version_info[0])'], {
    encoding: 'utf8',
  })
  if (probe.error) return { ok: false, reason: `python3 not runnable (${probe.error.message})` }
  if (probe.status !== 0 || probe.stdout.trim() !== '3') {
    return { ok: false, reason: `python3 failed: ${probe.stderr.trim()}` }
  }
  return { ok: true }
}

/** Runs a Python script with `input` on stdin and returns its stdout. */
function python(script: string, input = '', args: string[] = []): string {
  return execFileSync('python3', ['-c', script, ...args], {
    input,
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    env: { ...process.env, PYTHONIOENCODING: 'utf-8', PYTHONUTF8: '1' },
  })
}

interface Layout {
  readonly indent: number | null
  readonly compact?: boolean
}

const LAYOUTS: readonly Layout[] = [
  { indent: 2 },
  { indent: 4 },
  { indent: 0 },
  { indent: null },
  { indent: null, compact: true },
  { indent: 2, compact: true },
]

/**
 * Encodes a JavaScript value as JSON that Python decodes to the equivalent Python value: floats
 * travel as `{"$float": "<repr>"}` because JSON alone cannot say `2.0`, bigints as exact integer
 * literals, `RawJson` as its own text. ASCII only, so the pipe's encoding cannot matter.
 */
function encodeForPython(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'boolean') return String(value)
  if (typeof value === 'bigint') return value.toString()
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) ? String(value) : encodeFloat(value)
  }
  if (typeof value === 'string') {
    return JSON.stringify(value).replace(
      /[\u007f-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    )
  }
  if (value instanceof PythonFloat) return encodeFloat(value.value)
  if (value instanceof RawJson) return value.text
  if (Array.isArray(value)) return `[${value.map(encodeForPython).join(',')}]`
  const pairs = value instanceof Map ? [...value] : Object.entries(value as object)
  return `{${pairs.map(([k, v]) => `${encodeForPython(String(k))}:${encodeForPython(v)}`).join(',')}}`
}

function encodeFloat(x: number): string {
  return `{"$float":"${Object.is(x, -0) ? '-0.0' : String(x)}"}`
}

const PY_DUMPS = `
import json, sys
def hook(pairs):
    if len(pairs) == 1 and pairs[0][0] == '$float':
        return float(pairs[0][1])
    return dict(pairs)
request = json.load(sys.stdin)
out = []
for item in request['items']:
    value = json.loads(item, object_pairs_hook=hook) if request['hook'] else json.loads(item)
    out.append([
        json.dumps(value, indent=l['indent'], separators=((',', ':') if l.get('compact') else None))
        for l in request['layouts']
    ])
sys.stdout.write(json.dumps(out))
`

/** Python's `json.dumps` of each item under each layout; undefined without python3. */
function pythonDumps(items: readonly string[], hook: boolean): string[][] | undefined {
  if (!PYTHON.ok) return undefined
  const output = python(PY_DUMPS, JSON.stringify({ items, hook, layouts: LAYOUTS }))
  return JSON.parse(output) as string[][]
}

function layoutName(layout: Layout): string {
  return `indent=${layout.indent}${layout.compact ? ', compact' : ''}`
}

// --- deterministic randomness ----------------------------------------------------------------

function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function randomDoubles(count: number, seed: number): number[] {
  const random = mulberry32(seed)
  const view = new DataView(new ArrayBuffer(8))
  const out: number[] = []
  while (out.length < count) {
    if (out.length % 2 === 0) {
      // Any bit pattern: subnormals, huge and tiny exponents.
      view.setUint32(0, Math.floor(random() * 2 ** 32))
      view.setUint32(4, Math.floor(random() * 2 ** 32))
      const x = view.getFloat64(0)
      if (Number.isFinite(x)) out.push(x)
    } else {
      // Decimal-looking values of every magnitude, the common case in real data.
      const exponent = Math.floor(random() * 44) - 22
      out.push(Number((random() * 10 ** exponent).toPrecision(1 + Math.floor(random() * 17))))
    }
  }
  return out
}

// --- formatPythonJson against Python ----------------------------------------------------------

const ALL_ASCII = Array.from({ length: 0x80 }, (_, c) => String.fromCharCode(c)).join('')

const VALUE_CASES: { readonly name: string; readonly value: unknown }[] = [
  { name: 'every ASCII character', value: ALL_ASCII },
  { name: 'quotes, backslash, slash', value: '"\\/ \'' },
  { name: 'empty string', value: '' },
  { name: 'Latin-1 and BMP', value: 'é ß ÿ Ā € 中文 \u00a0 \u2028\u2029 \ufeff \uffff' },
  { name: 'astral characters', value: '😀 𝄞 \u{10ffff}' },
  { name: 'lone high surrogate', value: 'a\ud800b' },
  { name: 'lone low surrogate', value: 'a\udc00b' },
  { name: 'reversed surrogates', value: '\udc00\ud800' },
  { name: 'NUL and DEL', value: '\u0000\u007f\u0080' },
  { name: 'integers', value: [0, 1, -1, 42, 2 ** 53 - 1, -(2 ** 53 - 1), 4554531257778176] },
  { name: 'negative zero as a plain number', value: -0 },
  { name: 'bigints', value: [0n, -1n, 12345678901234567890123456789n, -(2n ** 64n)] },
  {
    name: 'floats',
    // prettier-ignore
    value: [
      0.1, 0.5, 1.5, -2.5, 1 / 3, 123456789.123, 1687902001.2623305, 1e-4, 1e-5, 0.0001234,
      0.00001234, 1e15 + 0.5, 1e16, 1e17, 1e21, 1e22, 1e300, -1e-300, 2 ** 53, 2 ** 63,
      1.7976931348623157e308, 5e-324, 2.2250738585072014e-308, 100.25, 9999999999999998,
    ],
  },
  { name: 'non-finite floats', value: [NaN, Infinity, -Infinity] },
  {
    name: 'PythonFloat',
    value: [new PythonFloat(2), new PythonFloat(-0), new PythonFloat(0), new PythonFloat(1e15)],
  },
  { name: 'booleans and null', value: [true, false, null] },
  { name: 'empty containers', value: [[], {}, [[]], [{}], { a: [] }, { b: {} }, [[], {}, [[{}]]]] },
  { name: 'empty array alone', value: [] },
  { name: 'empty object alone', value: {} },
  { name: 'deep nesting', value: { a: [1, { b: [2, [3, { c: null }]] }], d: { e: { f: {} } } } },
  { name: 'unicode keys', value: { é: 1, '\n': 2, '😀': 3, '"': 4, '': 5 } },
  {
    name: 'Map keeps integer-like keys in insertion order',
    value: new Map<string, unknown>([
      ['b', 1],
      ['2', 2],
      ['1', 3],
    ]),
  },
  {
    name: 'typical row',
    value: {
      model: 'sentry.user',
      pk: 1,
      fields: {
        password: 'pbkdf2_sha256$150000$abc$def=',
        last_login: null,
        username: 'admin@example.com',
        is_active: true,
        flags: '0',
        date_joined: '2023-06-22T22:59:55.488Z',
        options: { dynamicSdkLoaderOptions: { hasReplay: true }, list: [1, 2.5, 'x'] },
      },
    },
  },
  {
    name: 'RawJson nested in a value',
    value: { a: [new RawJson('{"x": 1.0, "y": [1e16, {}], "x": 2}')], b: new RawJson('[]') },
  },
]

const RANDOM_FLOATS = randomDoubles(3000, 20240601)
const FLOAT_EXPECTED = PYTHON.ok
  ? (JSON.parse(
      python(
        'import json,sys; print(json.dumps([repr(float(s)) for s in json.load(sys.stdin)]))',
        JSON.stringify(RANDOM_FLOATS.map((x) => String(x))),
      ),
    ) as string[])
  : undefined

const VALUE_EXPECTED = pythonDumps(
  VALUE_CASES.map((c) => encodeForPython(c.value)),
  true,
)

describe('formatPythonJson matches Python json.dumps', () => {
  it.skipIf(!PYTHON.ok).each(VALUE_CASES.map((c, i) => ({ ...c, i })))('$name', ({ value, i }) => {
    LAYOUTS.forEach((layout, l) => {
      const ours = formatPythonJson(value, layout.indent, 0, { compact: layout.compact })
      expect({ layout: layoutName(layout), text: ours }).toEqual({
        layout: layoutName(layout),
        text: VALUE_EXPECTED![i]![l],
      })
    })
  })

  it.skipIf(!PYTHON.ok)('3000 random doubles print as Python repr(float)', () => {
    const mismatches = RANDOM_FLOATS.map((x, i) => ({
      x,
      ours: formatPythonFloat(x),
      python: FLOAT_EXPECTED![i],
    }))
      .filter((m) => m.ours !== m.python)
      .slice(0, 10)
    expect(mismatches).toEqual([])
  })

  it('documents the JavaScript number compromises', () => {
    // JS cannot tell 1.0 from 1: integral safe numbers are integers, -0 included.
    expect(formatPythonJson([1.0, -0, 2 ** 53], 2)).toBe('[\n  1,\n  0,\n  9007199254740992.0\n]')
    expect(formatPythonJson(new PythonFloat(1), null)).toBe('1.0')
    // Python escapes DEL (0x7f): its ensure_ascii keeps only ' '..'~' unescaped.
    expect(formatPythonJson('\u007f', null)).toBe('"\\u007f"')
  })

  it('nests a value at the given level', () => {
    expect(formatPythonJson({ a: [1] }, 2, 2)).toBe('{\n      "a": [\n        1\n      ]\n    }')
  })

  it.each([
    { name: 'undefined', value: undefined },
    { name: 'undefined property', value: { a: undefined } },
    { name: 'function', value: () => 1 },
    { name: 'symbol', value: Symbol('x') },
  ])('rejects $name', ({ value }) => {
    expect(() => formatPythonJson(value, 2)).toThrow(TypeError)
  })

  it('rejects a bad indent', () => {
    expect(() => formatPythonJson(1, -1)).toThrow(RangeError)
    expect(() => formatPythonJson(1, 1.5)).toThrow(RangeError)
  })
})

// --- formatPythonJsonText against Python ------------------------------------------------------

const TEXT_CASES: { readonly name: string; readonly text: string }[] = [
  { name: 'duplicate keys: last value, first position', text: '{"a":1,"b":2,"a":3}' },
  {
    name: 'duplicate keys with container values',
    text: '{"a":{"x":1},"b":2,"a":[1,{"c":1,"c":[]}]}',
  },
  {
    name: 'number literals keep their kind',
    text: '[1.0, 1e16, 1E16, 0.00001, 1.50, -0, -0.0, 0, 10, 1.0e+2, 0.1e1, 2.5e-5, 1e-7, 1e22, 123456789.123]',
  },
  {
    name: 'huge integers stay exact',
    text: '[123456789012345678901234567890, -98765432109876543210, 9007199254740993]',
  },
  {
    name: 'float limits and overflow',
    text: '[5e-324, 1.7976931348623157e308, 1e400, -1e400, 1e-400]',
  },
  { name: 'Python constants', text: '[NaN, Infinity, -Infinity]' },
  {
    name: 'escapes and raw non-ASCII',
    text: '"\\u00e9\\ud83d\\ude00\\ud800 \\/ \\b\\f\\n\\r\\t\\"\\\\ é😀 \\u007f\\u001F"',
  },
  { name: 'odd whitespace', text: ' {\n\t"a" :\r\n 1 ,"b":[ ] , "c" : { } } ' },
  { name: 'scalars', text: '[null, true, false, "x", 12]' },
  { name: 'bare scalar', text: '12' },
  { name: 'empty object', text: '{}' },
  { name: 'empty array', text: '[]' },
  { name: 'nested empties', text: '[[],{},[[]],{"a":{}}]' },
  { name: 'integer-like keys keep their order', text: '{"b":1,"2":2,"1":3}' },
]

const TEXT_EXPECTED = pythonDumps(
  TEXT_CASES.map((c) => c.text),
  false,
)

describe('formatPythonJsonText matches Python json.dumps(json.loads(text))', () => {
  it.skipIf(!PYTHON.ok).each(TEXT_CASES.map((c, i) => ({ ...c, i })))('$name', ({ text, i }) => {
    LAYOUTS.forEach((layout, l) => {
      const ours = formatPythonJsonText(text, layout.indent, 0, { compact: layout.compact })
      expect({ layout: layoutName(layout), text: ours }).toEqual({
        layout: layoutName(layout),
        text: TEXT_EXPECTED![i]![l],
      })
    })
  })

  it('keeps number literals and duplicate-key semantics without Python too', () => {
    expect(formatPythonJsonText('{"a":1,"b":[1.0,1e16,0.00001,1.50,-0],"a":2}', null)).toBe(
      '{"a": 2, "b": [1.0, 1e+16, 1e-05, 1.5, 0]}',
    )
  })

  it.each([
    { text: '', message: 'Unexpected end of JSON input in JSON at position 0' },
    { text: '{"a" 1}', message: "Expected ':' after property name in JSON at position 5" },
    { text: '[1,]', message: "Unexpected token ']' in JSON at position 3" },
    { text: '"a\nb"', message: 'Bad control character in string literal in JSON at position 2' },
    {
      text: '[1] x',
      message: 'Unexpected non-whitespace character after JSON in JSON at position 4',
    },
  ])('rejects $text', ({ text, message }) => {
    expect(() => formatPythonJsonText(text, 2)).toThrow(new SyntaxError(message))
  })
})

// --- reader: fixtures --------------------------------------------------------------------------

/** The UTF-16 offset of a 1-based line and column in `text`. */
function offsetOf(text: string, line: number, column: number): number {
  let offset = 0
  for (let l = 1; l < line; l++) offset = text.indexOf('\n', offset) + 1
  return offset + column - 1
}

async function collect(
  source: string | NodeJS.ReadableStream,
  options?: ReadBackupOptions,
): Promise<RawBackupEntry[]> {
  const entries: RawBackupEntry[] = []
  for await (const entry of readBackupEntries(source, options)) entries.push(entry)
  return entries
}

describe('readBackupEntries on the Sentry fixtures', () => {
  it.each(FIXTURE_FILES)('%s: every entry, at its exact position', async (name) => {
    const file = path.join(FIXTURES, name)
    const text = readFileSync(file, 'utf8')
    const whole = JSON.parse(text) as unknown[]
    const entries = await readBackupFile(file)
    expect(entries.map((e) => e.index)).toEqual(whole.map((_, i) => i))
    expect(entries.map((e) => e.value)).toEqual(whole)
    let previousEnd = 0
    for (const entry of entries) {
      const offset = offsetOf(text, entry.line, entry.column)
      expect(offset).toBeGreaterThanOrEqual(previousEnd)
      expect(text.slice(offset, offset + entry.text.length)).toBe(entry.text)
      expect(JSON.parse(entry.text)).toEqual(entry.value)
      previousEnd = offset + entry.text.length
    }
  })

  it.each([
    { name: 'single-integration.json', count: 1, starts: ['2:5'] },
    { name: 'single-option.json', count: 1, starts: ['2:5'] },
    { name: 'datetime-millis.json', count: 2, starts: ['2:3', '12:3'] },
    { name: 'fresh-install.json', count: 34, starts: ['2:1', '12:1', '22:1', '32:1'] },
    {
      name: 'user-with-maximum-privileges.json',
      count: 9,
      starts: ['2:5', '27:5', '35:5', '46:5'],
    },
  ])('$name: $count entries starting at $starts', async ({ name, count, starts }) => {
    const entries = await readBackupFile(path.join(FIXTURES, name))
    expect(entries).toHaveLength(count)
    expect(entries.slice(0, starts.length).map((e) => `${e.line}:${e.column}`)).toEqual(starts)
  })

  it('accepts the leading space of single-integration.json', async () => {
    const file = path.join(FIXTURES, 'single-integration.json')
    expect(readFileSync(file, 'utf8').startsWith(' [')).toBe(true)
    const [entry] = await readBackupFile(file)
    expect((entry!.value as { model: string }).model).toBe('sentry.integration')
  })
})

// --- reader: chunk boundaries ---------------------------------------------------------------------

/** A document that puts every awkward character somewhere a chunk boundary can split it. */
const TORTURE = [
  '\ufeff \r\n[',
  '  {',
  '    "model": "sentry.é😀",',
  '    "pk": 1,',
  '    "fields": {',
  '      "quote": "a \\" b \\\\\\" c \\\\",',
  '      "brackets": "{[}]\\n    }\\n  },",',
  '      "unicode": "€ 中文 𝄞 \\ud83d\\ude00 \u2028",',
  '      "nested": {"a": [1, 2.5, -3e-7, {"b": []}], "c": {}},',
  '      "backslash_end": "\\\\"',
  '    }',
  '  },',
  '{"model":"compact.row","pk":2,"fields":{"x":"}","y":[{}]}} ,  {"model": "same.line", "pk": 3, "fields": {}},',
  '  {',
  '    "model": "big.row",',
  '    "pk": 4,',
  `    "fields": {"text": "${'ünïcödé '.repeat(300)}", "list": [${Array.from({ length: 200 }, (_, i) => i).join(', ')}]}`,
  '  },',
  '      {"model": "indented.differently", "pk": 5, "fields": {"z": "😀"}',
  '      }',
  ']',
  '',
].join('\n')

function chunked(bytes: Buffer, nextSize: () => number): Readable {
  const chunks: Buffer[] = []
  for (let i = 0; i < bytes.length;) {
    const size = Math.max(1, nextSize())
    chunks.push(bytes.subarray(i, i + size))
    i += size
  }
  return Readable.from(chunks)
}

describe('readBackupEntries across chunk boundaries', () => {
  const bytes = Buffer.from(TORTURE, 'utf8')
  let baseline: RawBackupEntry[]

  beforeAll(async () => {
    baseline = await collect(Readable.from([bytes]))
  })

  it('reads the torture document', () => {
    const expected = JSON.parse(TORTURE.slice(1)) as unknown[]
    expect(baseline.map((e) => e.value)).toEqual(expected)
    expect(baseline.map((e) => `${e.line}:${e.column}`)).toEqual([
      '3:3',
      '14:1',
      '14:63',
      '15:3',
      '20:7',
    ])
    const text = TORTURE.slice(1)
    for (const entry of baseline) {
      // Columns and lines are of the text after the BOM.
      const lines = text.split('\n')
      const offset = offsetOf(text, entry.line, entry.column)
      expect(lines[entry.line - 1]!.slice(entry.column - 1).startsWith('{')).toBe(true)
      expect(text.slice(offset, offset + entry.text.length)).toBe(entry.text)
    }
  })

  it.each([
    { name: '1-byte chunks', size: () => () => 1 },
    { name: '2-byte chunks', size: () => () => 2 },
    { name: '3-byte chunks', size: () => () => 3 },
    {
      name: 'random 1–7 byte chunks',
      size: () => {
        const r = mulberry32(1)
        return () => 1 + Math.floor(r() * 7)
      },
    },
    {
      name: 'random 1–300 byte chunks',
      size: () => {
        const r = mulberry32(2)
        return () => 1 + Math.floor(r() * 300)
      },
    },
    {
      name: 'random 1–5000 byte chunks',
      size: () => {
        const r = mulberry32(3)
        return () => 1 + Math.floor(r() * 5000)
      },
    },
  ])('$name give identical entries', async ({ size }) => {
    expect(await collect(chunked(bytes, size()))).toEqual(baseline)
  })

  it('gives identical entries from a file with tiny read buffers', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'rt-backup-json-'))
    try {
      const file = path.join(dir, 'torture.json')
      await new Promise<void>((resolve, reject) => {
        const out = createWriteStream(file)
        out.on('error', reject)
        out.end(bytes, resolve)
      })
      for (const highWaterMark of [1, 5, 64, 1 << 20]) {
        expect(await collect(file, { highWaterMark })).toEqual(baseline)
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('gives every entry at its place from ASCII chunks decoded 64 KiB at a time', async () => {
    // 1 MiB reads of an ASCII file are decoded in pieces: elements span piece ends, in the
    // indented layout (found by its closing line) and in others (scanned character by character).
    const rows = Array.from({ length: 16_000 }, (_, i) => ({
      model: 'app.thing',
      pk: i + 1,
      fields: { name: `thing ${i} \\u00e9 "q" {[`, list: Array.from({ length: i % 7 }, (_, k) => k) },
    }))
    const indented = formatBackup(rows)
    const oddLines = indented.replace(/\n  },\n  \{/g, (m, at: number) => (at % 3 === 0 ? '}, {' : m))
    const dir = await mkdtemp(path.join(os.tmpdir(), 'rt-backup-json-'))
    try {
      for (const text of [indented, oddLines, JSON.stringify(rows)]) {
        const file = path.join(dir, 'pieces.json')
        await writeFile(file, text)
        // The first chunk goes through the UTF-8 decoder; the pieces are the later chunks'.
        expect(Buffer.byteLength(text)).toBeGreaterThan((1 << 20) + 3 * 65_536)
        const entries = await collect(file)
        expect(entries.map((e) => e.value)).toEqual(rows)
        for (const entry of entries) {
          const offset = offsetOf(text, entry.line, entry.column)
          expect(text.slice(offset, offset + entry.text.length)).toBe(entry.text)
        }
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('gives identical entries from string chunks (a stream with an encoding)', async () => {
    const stream = Readable.from(chunked(bytes, () => 5))
    stream.setEncoding('utf8')
    expect(await collect(stream)).toEqual(baseline)
  })

  it('keeps an escape pending across an empty chunk', async () => {
    const stream = Readable.from(['[{"a": "x\\', '', '"y"}]'])
    const [entry] = await collect(stream)
    expect(entry!.value).toEqual({ a: 'x"y' })
  })

  it('stops early without reading the rest', async () => {
    const seen: number[] = []
    for await (const entry of readBackupEntries(Readable.from([bytes]))) {
      seen.push(entry.index)
      if (entry.index === 1) break
    }
    expect(seen).toEqual([0, 1])
  })
})

describe('readBackupEntries sharing parses between two readers', () => {
  const entries = Array.from({ length: 40 }, (_, i) => ({
    model: 'app.thing',
    pk: i + 1,
    fields: { name: `thing ${i} \u03a9`, nested: { at: [i, null] } },
  }))
  const original = formatBackup(entries)

  /** Reads `lender` then `borrower` in turns of `turn` entries, as validate does. */
  async function readInTurns(lender: string, borrower: string, cache: SharedParses, turn = 3) {
    const lent = readBackupEntries(Readable.from([lender]), { shareParses: { cache, as: 'lend' } })
    const borrowed = readBackupEntries(Readable.from([borrower]), { shareParses: { cache, as: 'borrow' } })
    const out = { lent: [] as RawBackupEntry[], borrowed: [] as RawBackupEntry[] }
    for (let done = 0; done < 2; ) {
      done = 0
      for (const [reader, into] of [[lent, out.lent], [borrowed, out.borrowed]] as const) {
        let n = 0
        for (; n < turn; n++) {
          const next = await reader.next()
          if (next.done) break
          into.push(next.value)
        }
        if (n < turn) done++
      }
    }
    return out
  }

  it('hands the borrower the lender’s value for the same text at the same index', async () => {
    const cache = new SharedParses()
    const { lent, borrowed } = await readInTurns(original, original, cache)
    expect(borrowed.map((e) => e.value)).toEqual(entries)
    borrowed.forEach((entry, i) => expect(entry.value).toBe(lent[i]!.value))
    expect(cache.borrowed).toBe(entries.length)
  })

  it('parses for itself an entry whose text differs, or that moved to another index', async () => {
    const changed = entries.map((e) => structuredClone(e))
    changed[5]!.fields.name = 'renamed'
    changed.splice(20, 0, { model: 'app.thing', pk: 99, fields: { name: 'inserted', nested: { at: [] } } })
    const cache = new SharedParses()
    const { lent, borrowed } = await readInTurns(original, formatBackup(changed), cache)
    expect(borrowed.map((e) => e.value)).toEqual(changed)
    expect(borrowed.map((e) => e.text)).toEqual(changed.map((e) => formatBackup([e]).slice(4, -2)))
    // Before the change and between it and the insertion: shared; from there on every index holds
    // its neighbour's text, so nothing is.
    const shared = borrowed.flatMap((entry, i) => (entry.value === lent[i]?.value ? [i] : []))
    expect(shared).toEqual([...Array(20).keys()].filter((i) => i !== 5))
    expect(cache.borrowed).toBe(19)
  })

  it('keeps only its latest entries: a borrower far behind parses for itself', async () => {
    const cache = new SharedParses(8)
    const { lent } = await readInTurns(original, '[]', cache, 1000)
    const late = await collect(Readable.from([original]), { shareParses: { cache, as: 'borrow' } })
    expect(late.map((e) => e.value)).toEqual(entries)
    const shared = late.flatMap((entry, i) => (entry.value === lent[i]!.value ? [i] : []))
    expect(shared).toEqual([32, 33, 34, 35, 36, 37, 38, 39])
  })
})

// --- reader: errors -------------------------------------------------------------------------------

interface ErrorCase {
  readonly name: string
  readonly input: string | Buffer
  readonly message: string
  readonly line: number
  readonly column: number
}

const at = (line: number, column: number, why: string, kind = 'invalid JSON') =>
  ({
    line,
    column,
    message: `${kind} in x.json at line ${line}, column ${column}: ${why}`,
  }) as const

const ERROR_CASES: ErrorCase[] = [
  { name: 'empty file', input: '', ...at(1, 1, 'the file is empty') },
  { name: 'whitespace only', input: ' \n  ', ...at(2, 3, 'the file is empty') },
  { name: 'BOM only', input: '\ufeff', ...at(1, 1, 'the file is empty') },
  {
    name: 'top level is an object',
    input: '{"model": "a", "pk": 1, "fields": {}}',
    ...at(1, 1, 'backup file must be a JSON array, found an object', 'invalid backup'),
  },
  { name: 'top level is garbage', input: '  x', ...at(1, 3, "Unexpected token 'x'") },
  {
    name: 'missing colon',
    input: '[\n  {"a": 1,\n   "b" 2}\n]',
    ...at(3, 8, "Expected ':' after property name"),
  },
  {
    name: 'error inside a Python-layout entry',
    input:
      '[\n  {\n    "model": "a",\n    "pk": 1,\n    "fields": {\n      "x": nul\n    }\n  }\n]',
    ...at(6, 15, "Unexpected token '\\n'"),
  },
  {
    name: 'missing comma between properties',
    input: '[\n  {\n    "model": "a"\n    "pk": 1\n  }\n]',
    ...at(4, 5, "Expected ',' or '}' after property value"),
  },
  {
    name: 'trailing garbage after the array',
    input: '[{"a": 1}]\n  x',
    ...at(2, 3, 'Unexpected non-whitespace character after JSON'),
  },
  {
    name: 'truncated inside an entry',
    input: '[\n  {"a": 1},\n  {"b": [1, 2',
    ...at(3, 14, 'Unexpected end of JSON input'),
  },
  {
    name: 'truncated after a comma',
    input: '[{"a":1},',
    ...at(1, 10, 'Unexpected end of JSON input'),
  },
  {
    name: 'truncated after an entry',
    input: '[{"a":1}\n',
    ...at(2, 1, 'Unexpected end of JSON input'),
  },
  { name: 'truncated after [', input: '[', ...at(1, 2, 'Unexpected end of JSON input') },
  { name: 'truncated inside a string', input: '[{"a": "abc', ...at(1, 12, 'Unterminated string') },
  {
    name: 'entry is a number',
    input: '[{"a":1}, 2]',
    ...at(1, 11, 'entry 2 of the array is a number, not an object', 'invalid backup'),
  },
  {
    name: 'entry is an array',
    input: '[\n  [1]\n]',
    ...at(2, 3, 'entry 1 of the array is an array, not an object', 'invalid backup'),
  },
  {
    name: 'entry is a string',
    input: '["x"]',
    ...at(1, 2, 'entry 1 of the array is a string, not an object', 'invalid backup'),
  },
  { name: 'trailing comma', input: '[{"a":1},]', ...at(1, 10, "Unexpected token ']'") },
  {
    name: 'missing comma between entries',
    input: '[{"a":1} {"b":2}]',
    ...at(1, 10, "Expected ',' or ']' after array element"),
  },
  {
    name: 'mismatched bracket',
    input: '[{"a": [1}]',
    ...at(1, 10, "Expected ',' or ']' after array element"),
  },
  {
    name: 'raw newline in a string',
    input: '[{"a": "x\ny"}]',
    ...at(1, 10, 'Bad control character in string literal'),
  },
  { name: 'bad escape', input: '[{"a": "\\q"}]', ...at(1, 10, 'Bad escaped character') },
  { name: 'bad unicode escape', input: '[{"a": "\\u12g4"}]', ...at(1, 13, 'Bad Unicode escape') },
  { name: 'leading zero', input: '[{"a": 01}]', ...at(1, 9, 'Unexpected number') },
  { name: 'minus without digits', input: '[{"a": -}]', ...at(1, 9, 'No number after minus sign') },
  { name: 'unquoted key', input: '[{a: 1}]', ...at(1, 3, "Expected property name or '}'") },
  {
    name: 'trailing comma in an object',
    input: '[{"a": 1,}]',
    ...at(1, 10, 'Expected double-quoted property name'),
  },
  { name: 'Python NaN is not JSON', input: '[{"a": NaN}]', ...at(1, 8, "Unexpected token 'N'") },
  {
    name: 'error after a multibyte character',
    input: '[{"é😀": 1 2}]',
    ...at(1, 12, "Expected ',' or '}' after property value"),
  },
  {
    name: 'invalid UTF-8 byte',
    input: Buffer.concat([Buffer.from('[\n {"a": "x'), Buffer.from([0xff]), Buffer.from('"}]')]),
    ...at(
      2,
      10,
      'byte 0xff at offset 11 does not start or continue a valid character',
      'invalid UTF-8',
    ),
  },
  {
    name: 'invalid continuation byte',
    input: Buffer.concat([
      Buffer.from('[{"a": "é'),
      Buffer.from([0xe2, 0x82, 0x28]),
      Buffer.from('"}]'),
    ]),
    ...at(
      1,
      10,
      'byte 0xe2 at offset 10 does not start or continue a valid character',
      'invalid UTF-8',
    ),
  },
  {
    name: 'UTF-8 truncated at the end of the file',
    input: Buffer.from('[{"a": "é').subarray(0, -1),
    ...at(
      1,
      9,
      'byte 0xc3 at offset 8 does not start or continue a valid character',
      'invalid UTF-8',
    ),
  },
  {
    name: 'a syntax error before invalid UTF-8 wins',
    input: Buffer.concat([
      Buffer.from('[{"a" 1, "b": "'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"}]'),
    ]),
    ...at(1, 7, "Expected ':' after property name"),
  },
]

async function readError(source: NodeJS.ReadableStream | string): Promise<HarnessError> {
  try {
    await collect(source, { file: 'x.json' })
  } catch (error) {
    if (error instanceof HarnessError) return error
    throw error
  }
  throw new Error('expected the read to fail')
}

describe('readBackupEntries errors', () => {
  it.each(ERROR_CASES)('$name', async ({ input, message, line, column }) => {
    const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input
    for (const source of [
      Readable.from([bytes]),
      chunked(bytes, () => 1),
      chunked(bytes, () => 3),
    ]) {
      const error = await readError(source)
      expect({
        code: error.code,
        stage: error.stage,
        message: error.message,
        line: error.context.line,
        column: error.context.column,
        file: error.context.file,
      }).toEqual({
        code: 'BACKUP_INVALID',
        stage: 'import',
        message: expect.stringMatching(new RegExp(`^${escapeRegExp(message)}\\. [A-Z].*[^.]$`)),
        line,
        column,
        file: 'x.json',
      })
      expect(error.hint).toMatch(/^[A-Z]/)
    }
  })

  it('says what to do', async () => {
    const error = await readError(Readable.from([Buffer.from('[{"a": 1 "b": 2}]')]))
    expect(error.hint).toBe(
      'Fix the file at that position; a backup is one JSON array of {model, pk, fields} objects',
    )
    expect(error.context.ordinal).toBe(1)
  })

  it('reports a missing file', async () => {
    const error = await readError('/nonexistent/backup.json')
    expect(error.code).toBe('BACKUP_INVALID')
    expect(error.message).toMatch(
      /^backup file unreadable: ENOENT: .*'\/nonexistent\/backup\.json' \(x\.json\)\. /,
    )
  })

  it.each([
    { name: 'empty array', input: '[]' },
    { name: 'empty array with whitespace', input: ' [\n]\n' },
    { name: 'BOM and whitespace', input: '\ufeff \n [ ] \n' },
  ])('$name yields nothing', async ({ input }) => {
    expect(await collect(Readable.from([Buffer.from(input)]))).toEqual([])
  })
})

describe('readBackupEntries agrees with JSON.parse on corrupted input', () => {
  // Random edits of real files: the reader must fail exactly when JSON.parse of the whole file
  // fails (or the shape is wrong), and where V8 names a position, at that same line and column.
  const documents = [
    {
      name: 'indent 4 (Python layout)',
      text: readFileSync(path.join(FIXTURES, 'user-with-maximum-privileges.json'), 'utf8'),
    },
    {
      name: 'entries at column 1',
      text: readFileSync(path.join(FIXTURES, 'fresh-install.json'), 'utf8').slice(0, 2500),
    },
    {
      name: 'compact, one line',
      text: JSON.stringify(
        JSON.parse(readFileSync(path.join(FIXTURES, 'fresh-install.json'), 'utf8')),
      ),
    },
  ]
  const alphabet = '{}[]",:\\ \n0123456789-.eEtrufalsn\u00e9\u0001x'

  it.each(documents)('$name', async ({ text }) => {
    const random = mulberry32(1000 + text.length)
    for (let round = 0; round < 500; round++) {
      let s = text
      for (let edit = 0; edit < 1 + Math.floor(random() * 2); edit++) {
        const at = Math.floor(random() * s.length)
        const ch = alphabet[Math.floor(random() * alphabet.length)]!
        const kind = random()
        s =
          kind < 0.33
            ? s.slice(0, at) + s.slice(at + 1)
            : kind < 0.66
              ? s.slice(0, at) + ch + s.slice(at)
              : s.slice(0, at) + ch + s.slice(at + 1)
      }
      let whole: unknown
      let v8Position: number | undefined
      let valid = true
      try {
        whole = JSON.parse(s)
      } catch (error) {
        valid = false
        const match = /at position (\d+)/.exec((error as Error).message)
        v8Position = match ? Number(match[1]) : undefined
      }
      const bytes = Buffer.from(s)
      const chunks = round % 5 === 0 ? chunked(bytes, () => 7) : Readable.from([bytes])
      let entries: RawBackupEntry[] | undefined
      let failure: HarnessError | undefined
      try {
        entries = await collect(chunks)
      } catch (error) {
        if (!(error instanceof HarnessError)) throw error
        failure = error
      }
      const context = { round, text: s }
      const shapeOk =
        Array.isArray(whole) &&
        whole.every((x) => typeof x === 'object' && x !== null && !Array.isArray(x))
      if (valid && shapeOk)
        expect({ ...context, values: entries?.map((e) => e.value) }).toEqual({
          ...context,
          values: whole,
        })
      else
        expect({ ...context, failed: failure !== undefined }).toEqual({ ...context, failed: true })
      if (failure && v8Position !== undefined && failure.message.startsWith('invalid JSON')) {
        const before = s.slice(0, v8Position)
        const line = before.split('\n').length
        const column = v8Position - before.lastIndexOf('\n')
        expect({ ...context, line: failure.context.line, column: failure.context.column }).toEqual({
          ...context,
          line,
          column,
        })
      }
    }
  })
})

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

// --- writer -----------------------------------------------------------------------------------------

/** A Writable that keeps everything, optionally slow, recording its peak buffered length. */
function sink(options: { highWaterMark?: number; slow?: boolean } = {}) {
  const chunks: Buffer[] = []
  let peak = 0
  const stream = new Writable({
    highWaterMark: options.highWaterMark ?? 16 * 1024,
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk)
      if (options.slow) setImmediate(callback)
      else callback()
    },
  })
  const originalWrite = stream.write.bind(stream)
  stream.write = ((...args: Parameters<Writable['write']>) => {
    const result = originalWrite(...args)
    peak = Math.max(peak, stream.writableLength)
    return result
  }) as Writable['write']
  return { stream, text: () => Buffer.concat(chunks).toString('latin1'), peak: () => peak }
}

const PY_FILE_DUMPS = `
import json, sys
with open(sys.argv[1], encoding='utf-8') as f:
    data = json.load(f)
indent = None if sys.argv[2] == 'null' else int(sys.argv[2])
sys.stdout.write(json.dumps(data, indent=indent))
`

describe('backup writer', () => {
  it.skipIf(!PYTHON.ok).each(FIXTURE_FILES)(
    '%s: read → write equals python json.dumps(json.load(f))',
    async (name) => {
      const file = path.join(FIXTURES, name)
      const entries = await readBackupFile(file)
      for (const indent of [2, 4, null]) {
        const expected = python(PY_FILE_DUMPS, '', [file, String(indent)])
        // Parsed values through the streaming writer.
        const out = sink()
        const writer = createBackupWriter(out.stream, { indent })
        for (const entry of entries) await writer.write(entry.value as never)
        const bytes = await writer.end()
        expect(out.text()).toBe(expected)
        expect(bytes).toBe(expected.length)
        // Each entry as raw text: number literals keep their kind.
        expect(
          formatBackup(
            entries.map((e) => new RawJson(e.text)),
            { indent },
          ),
        ).toBe(expected)
        // Raw JSON at field level, the exporter's shape for json columns.
        const rawFields = entries.map((e) => {
          const value = e.value as { model: string; pk: number; fields: Record<string, unknown> }
          const fields = Object.fromEntries(
            Object.entries(value.fields).map(([k, v]) => [k, new RawJson(JSON.stringify(v))]),
          )
          return { model: value.model, pk: value.pk, fields }
        })
        expect(formatBackup(rawFields, { indent })).toBe(expected)
      }
    },
  )

  it.skipIf(!PYTHON.ok)(
    'RawJson entries keep floats, huge integers and duplicate keys as Python does',
    async () => {
      const text =
        '[{"model": "a.b", "pk": 1, "fields": {"f": 1.0, "g": 1e16, "h": 123456789012345678901234567890, "d": 1, "d": 2.50}}]'
      const dir = await mkdtemp(path.join(os.tmpdir(), 'rt-backup-json-'))
      try {
        const file = path.join(dir, 'floats.json')
        await writeBackupFile(file, [new RawJson(JSON.stringify(JSON.parse('{}')))], { indent: 2 })
        expect(readFileSync(file, 'latin1')).toBe('[\n  {}\n]')
        const source = path.join(dir, 'source.json')
        await new Promise<void>((resolve) => createWriteStream(source).end(text, resolve))
        const entries = await readBackupFile(source)
        const expected = python(PY_FILE_DUMPS, '', [source, '2'])
        expect(
          formatBackup(
            entries.map((e) => new RawJson(e.text)),
            { indent: 2 },
          ),
        ).toBe(expected)
      } finally {
        await rm(dir, { recursive: true, force: true })
      }
    },
  )

  it('writes [] for no entries, like json.dumps([])', async () => {
    for (const indent of [2, null]) {
      const out = sink()
      const writer = createBackupWriter(out.stream, { indent })
      expect(await writer.end()).toBe(2)
      expect(out.text()).toBe('[]')
    }
    expect(formatBackup([])).toBe('[]')
  })

  it('leaves the stream open unless asked to end it', async () => {
    const out = sink()
    await createBackupWriter(out.stream).end()
    expect(out.stream.writableEnded).toBe(false)
    const ended = sink()
    await createBackupWriter(ended.stream, { endStream: true }).end()
    expect(ended.stream.writableFinished).toBe(true)
  })

  it('waits for a slow stream (backpressure)', async () => {
    const out = sink({ highWaterMark: 1024, slow: true })
    const writer = createBackupWriter(out.stream, { indent: 2 })
    const row = { model: 'sentry.user', pk: 0, fields: { name: 'x'.repeat(200), n: 1 } }
    for (let pk = 1; pk <= 20_000; pk++) await writer.write({ ...row, pk })
    const bytes = await writer.end()
    expect(bytes).toBeGreaterThan(5_000_000)
    // One batch (~64 KiB) beyond the stream's high-water mark at most: never the whole output.
    expect(out.peak()).toBeLessThan(200 * 1024)
    expect(out.text().length).toBe(bytes)
  })

  it('refuses to write after end', async () => {
    const writer = createBackupWriter(sink().stream)
    await writer.end()
    await expect(writer.write({ model: 'a.b', pk: 1, fields: {} })).rejects.toThrow(
      'write after end',
    )
  })

  it('reports a failing stream', async () => {
    const failing = new Writable({
      write(_chunk, _encoding, callback) {
        callback(new Error('disk full'))
      },
    })
    failing.on('error', () => {})
    const writer = createBackupWriter(failing)
    await expect(
      (async () => {
        for (let pk = 1; pk < 10_000; pk++)
          await writer.write({ model: 'a.b', pk, fields: { x: 'y'.repeat(100) } })
        await writer.end()
      })(),
    ).rejects.toThrow('disk full')
  })
})

// --- scale: bounded memory, throughput ------------------------------------------------------

function gcFunction(): () => void {
  v8.setFlagsFromString('--expose-gc')
  return vm.runInNewContext('gc') as () => void
}

describe('large files', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'rt-backup-json-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('writes and reads 200k entries with bounded memory', { timeout: 300_000 }, async () => {
    const fixture = await readBackupFile(path.join(FIXTURES, 'fresh-install.json'))
    const rows = fixture.map((e) => e.value as { model: string; fields: Record<string, unknown> })
    const file = path.join(dir, 'big.json')
    const count = 200_000

    let started = performance.now()
    const bytes = await writeBackupFile(
      file,
      (function* () {
        for (let i = 0; i < count; i++) {
          const row = rows[i % rows.length]!
          yield { model: row.model, pk: i + 1, fields: row.fields }
        }
      })(),
      { indent: 2 },
    )
    const writeSeconds = (performance.now() - started) / 1000
    expect(statSync(file).size).toBe(bytes)

    const gc = gcFunction()
    gc()
    const baseline = process.memoryUsage().heapUsed
    let peakGrowth = 0
    let seen = 0
    let lastPk = 0
    started = performance.now()
    for await (const entry of readBackupEntries(file)) {
      seen++
      lastPk = (entry.value as { pk: number }).pk
      if (seen % 20_000 === 0) {
        gc()
        peakGrowth = Math.max(peakGrowth, process.memoryUsage().heapUsed - baseline)
      }
    }
    const readSeconds = (performance.now() - started) / 1000 // includes the sampled gc() calls

    expect(seen).toBe(count)
    expect(lastPk).toBe(count)
    // The file never sits in memory: growth stays a small fraction of its size.
    expect(peakGrowth).toBeLessThan(Math.min(bytes / 8, 16 * 1024 * 1024))
    console.log(
      `backup-json: ${(bytes / 1e6).toFixed(1)} MB, ${count} entries; ` +
        `writer ${(bytes / 1e6 / writeSeconds).toFixed(0)} MB/s, ` +
        `reader ${(bytes / 1e6 / readSeconds).toFixed(0)} MB/s, ` +
        `peak heap growth while reading ${(peakGrowth / 1e6).toFixed(1)} MB`,
    )
  })

  // Beyond V8's maximum string length (~512 MiB), which no single string can hold. Generated as
  // a stream rather than a file, so it costs no disk and runs on every CI.
  it('reads a backup larger than the maximum string length', { timeout: 300_000 }, async () => {
    const blob = 'x'.repeat(4000)
    const count = 160_000
    let bytes = 0
    const source = Readable.from(
      (function* () {
        yield '['
        for (let i = 0; i < count; i++) {
          const text = `${i === 0 ? '' : ','}\n  {\n    "model": "app.blob",\n    "pk": ${i + 1},\n    "fields": {\n      "data": "${blob}",\n      "n": ${i}\n    }\n  }`
          bytes += text.length
          yield text
        }
        yield '\n]'
      })(),
      { objectMode: false },
    )
    const started = performance.now()
    let seen = 0
    let lastPk = 0
    for await (const entry of readBackupEntries(source, { file: '<generated>' })) {
      seen++
      lastPk = (entry.value as { pk: number }).pk
    }
    expect(bytes).toBeGreaterThan(0x1fffffe8)
    expect([seen, lastPk]).toEqual([count, count])
    console.log(
      `backup-json: ${(bytes / 1e6).toFixed(0)} MB stream read at ${(bytes / 1e3 / (performance.now() - started)).toFixed(0)} MB/s`,
    )
  })
})
