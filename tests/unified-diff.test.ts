/**
 * The final diff of validate() must read exactly as Python's `difflib.unified_diff(a, b, n=15)`,
 * because that is the text of Sentry's `UnequalJSON` reasons. Fixed cases (expected output taken
 * from CPython 3.11), then, when python3 is installed, random cases checked against it directly.
 */
import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { unifiedDiff } from '../harness/validate/unified-diff.ts'

const lines = (prefix: string, from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => `${prefix}${from + i}`)

describe('unifiedDiff', () => {
  it.each([
    {
      name: 'one changed line of a short row',
      a: ['{', '  "a": 1,', '  "b": 2', '}'],
      b: ['{', '  "a": 1,', '  "b": 3', '}'],
      diff: [
        '--- \n',
        '+++ \n',
        '@@ -1,4 +1,4 @@\n',
        ' {',
        '   "a": 1,',
        '-  "b": 2',
        '+  "b": 3',
        ' }',
      ],
    },
    {
      name: 'a one-line range written without its length',
      a: ['x'],
      b: ['x', 'y', 'z'],
      diff: ['--- \n', '+++ \n', '@@ -1 +1,3 @@\n', ' x', '+y', '+z'],
    },
    {
      name: 'an empty range written as start - 1 and 0',
      a: ['a', 'b'],
      b: [],
      diff: ['--- \n', '+++ \n', '@@ -1,2 +0,0 @@\n', '-a', '-b'],
    },
    {
      name: 'repeated closing lines paired as difflib pairs them (jsdiff pairs them otherwise)',
      a: [
        '{',
        '  "f13": 1,',
        '  "f15": [',
        '    "",',
        '    "a",',
        '    0',
        '  ],',
        '  "f22": 0',
        '}',
      ],
      b: ['{', '  "f10": [', '    3', '  ],', '  "f13": 1,', '  "f15": "x",', '  "f22": 0', '}'],
      diff: [
        '--- \n',
        '+++ \n',
        '@@ -1,9 +1,8 @@\n',
        ' {',
        '+  "f10": [',
        '+    3',
        '+  ],',
        '   "f13": 1,',
        '-  "f15": [',
        '-    "",',
        '-    "a",',
        '-    0',
        '-  ],',
        '+  "f15": "x",',
        '   "f22": 0',
        ' }',
      ],
    },
    {
      name: 'two hunks when more than 30 unchanged lines separate the changes',
      a: lines('l', 0, 50),
      b: ['changed0', ...lines('l', 1, 49), 'changed49'],
      diff: [
        '--- \n',
        '+++ \n',
        '@@ -1,16 +1,16 @@\n',
        '-l0',
        '+changed0',
        ...lines(' l', 1, 16),
        '@@ -35,16 +35,16 @@\n',
        ...lines(' l', 34, 49),
        '-l49',
        '+changed49',
      ],
    },
    { name: 'nothing for equal inputs', a: ['{', '}'], b: ['{', '}'], diff: [] },
  ])('$name', ({ a, b, diff }) => {
    expect(unifiedDiff(a, b, 15)).toEqual(diff)
  })

  const python = spawnSync('python3', ['-c', 'import difflib'], { encoding: 'utf8' })
  it.skipIf(python.status !== 0)(
    'agrees with python3 on 2,000 random line lists, long ones included',
    () => {
      let seed = 42
      const random = () => {
        seed = (seed * 1103515245 + 12345) % 2147483648
        return seed / 2147483648
      }
      const pairs: [string[], string[]][] = []
      for (let n = 0; n < 2000; n++) {
        const length = [0, 3, 20, 60, 199, 240][n % 6]!
        const alphabet = [2, 5, 40][n % 3]!
        const a = Array.from({ length }, () => `L${Math.floor(random() * alphabet)}`)
        const b = [...a]
        for (let edit = Math.floor(random() * 6); edit > 0; edit--) {
          const at = Math.floor(random() * (b.length + 1))
          const what = random()
          if (what < 0.33) b.splice(at, 0, `L${Math.floor(random() * alphabet)}`)
          else if (what < 0.66) b.splice(at, 1)
          else if (at < b.length) b[at] = `L${Math.floor(random() * alphabet)}`
        }
        pairs.push([a, b])
      }
      const script =
        'import difflib, json, sys\nfor a, b in json.load(sys.stdin): print(json.dumps(list(difflib.unified_diff(a, b, n=15))))'
      const result = spawnSync('python3', ['-c', script], {
        input: JSON.stringify(pairs),
        encoding: 'utf8',
        maxBuffer: 1 << 28,
      })
      const expected = result.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as string[])
      expect(expected).toHaveLength(pairs.length)
      const differing = pairs.filter(
        ([a, b], i) => JSON.stringify(unifiedDiff(a, b, 15)) !== JSON.stringify(expected[i]),
      )
      expect(differing).toEqual([])
    },
  )
})
