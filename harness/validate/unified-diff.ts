/**
 * Python's `difflib.unified_diff(a, b, n=context)` with empty file names, line for line, so
 * `UnequalJSON` reasons read exactly as Sentry's. A port of the algorithm of CPython's difflib
 * (Ratcliff–Obershelp `SequenceMatcher` with its "popular element" heuristic, grouped opcodes and
 * the unified format), not of its code. Myers-style diffs (jsdiff) are as minimal but pair
 * repeated lines such as `  },` differently, so their hunks differ from Sentry's for some rows.
 *
 * Header lines end in "\n" (difflib's `lineterm`); content lines are the input lines with a
 * `' '`, `'-'` or `'+'` prefix and no line end, since the inputs come from `splitlines()`.
 */
export function unifiedDiff(a: readonly string[], b: readonly string[], context: number): string[] {
  const groups = groupedOpcodes(opcodes(a, b), context)
  if (groups.length === 0) return []
  const out = ['--- \n', '+++ \n']
  for (const group of groups) {
    const first = group[0]!
    const last = group[group.length - 1]!
    out.push(`@@ -${formatRange(first.i1, last.i2)} +${formatRange(first.j1, last.j2)} @@\n`)
    for (const { tag, i1, i2, j1, j2 } of group) {
      if (tag === 'equal') {
        for (let i = i1; i < i2; i++) out.push(` ${a[i]}`)
        continue
      }
      if (tag === 'replace' || tag === 'delete') for (let i = i1; i < i2; i++) out.push(`-${a[i]}`)
      if (tag === 'replace' || tag === 'insert') for (let j = j1; j < j2; j++) out.push(`+${b[j]}`)
    }
  }
  return out
}

interface Opcode {
  readonly tag: 'equal' | 'replace' | 'delete' | 'insert'
  readonly i1: number
  readonly i2: number
  readonly j1: number
  readonly j2: number
}

/** difflib's `_format_range_unified`: "start,length", "start" for one line, "start-1,0" for none. */
function formatRange(start: number, stop: number): string {
  const length = stop - start
  if (length === 1) return `${start + 1}`
  return `${length === 0 ? start : start + 1},${length}`
}

/** `SequenceMatcher(None, a, b).get_opcodes()`. */
function opcodes(a: readonly string[], b: readonly string[]): Opcode[] {
  const result: Opcode[] = []
  let i = 0
  let j = 0
  for (const [ai, bj, size] of matchingBlocks(a, b)) {
    const tag = i < ai && j < bj ? 'replace' : i < ai ? 'delete' : j < bj ? 'insert' : undefined
    if (tag) result.push({ tag, i1: i, i2: ai, j1: j, j2: bj })
    i = ai + size
    j = bj + size
    if (size > 0) result.push({ tag: 'equal', i1: ai, i2: i, j1: bj, j2: j })
  }
  return result
}

/** `get_grouped_opcodes(n)`: hunks of changes with up to `n` lines of context around them. */
function groupedOpcodes(codes: Opcode[], n: number): Opcode[][] {
  if (codes.length === 0) codes = [{ tag: 'equal', i1: 0, i2: 1, j1: 0, j2: 1 }]
  const first = codes[0]!
  if (first.tag === 'equal') {
    codes[0] = {
      ...first,
      i1: Math.max(first.i1, first.i2 - n),
      j1: Math.max(first.j1, first.j2 - n),
    }
  }
  const last = codes[codes.length - 1]!
  if (last.tag === 'equal') {
    codes[codes.length - 1] = {
      ...last,
      i2: Math.min(last.i2, last.i1 + n),
      j2: Math.min(last.j2, last.j1 + n),
    }
  }
  const groups: Opcode[][] = []
  let group: Opcode[] = []
  for (const code of codes) {
    let { i1, j1 } = code
    const { tag, i2, j2 } = code
    // A long unchanged stretch ends one hunk and starts the next.
    if (tag === 'equal' && i2 - i1 > 2 * n) {
      group.push({ tag, i1, i2: Math.min(i2, i1 + n), j1, j2: Math.min(j2, j1 + n) })
      groups.push(group)
      group = []
      i1 = Math.max(i1, i2 - n)
      j1 = Math.max(j1, j2 - n)
    }
    group.push({ tag, i1, i2, j1, j2 })
  }
  if (group.length > 0 && !(group.length === 1 && group[0]!.tag === 'equal')) groups.push(group)
  return groups
}

/**
 * `get_matching_blocks()`: the longest matching block, then recursively those left and right of
 * it; adjacent blocks merged; ends with the sentinel `[a.length, b.length, 0]`.
 */
function matchingBlocks(
  aLines: readonly string[],
  bLines: readonly string[],
): [number, number, number][] {
  // Lines as small integers, so that matching compares numbers.
  const ids = new Map<string, number>()
  const idOf = (line: string) => {
    let id = ids.get(line)
    if (id === undefined) {
      id = ids.size
      ids.set(line, id)
    }
    return id
  }
  const a = aLines.map(idOf)
  const b = bLines.map(idOf)
  const b2j = indexOfB(b)

  const blocks: [number, number, number][] = []
  const queue: [number, number, number, number][] = [[0, a.length, 0, b.length]]
  while (queue.length > 0) {
    const [alo, ahi, blo, bhi] = queue.pop()!
    const [i, j, k] = longestMatch(a, b, b2j, alo, ahi, blo, bhi)
    if (k === 0) continue
    blocks.push([i, j, k])
    if (alo < i && blo < j) queue.push([alo, i, blo, j])
    if (i + k < ahi && j + k < bhi) queue.push([i + k, ahi, j + k, bhi])
  }
  blocks.sort((x, y) => x[0] - y[0] || x[1] - y[1] || x[2] - y[2])

  const merged: [number, number, number][] = []
  let [i1, j1, k1] = [0, 0, 0]
  for (const [i2, j2, k2] of blocks) {
    if (i1 + k1 === i2 && j1 + k1 === j2) k1 += k2
    else {
      if (k1 > 0) merged.push([i1, j1, k1])
      ;[i1, j1, k1] = [i2, j2, k2]
    }
  }
  if (k1 > 0) merged.push([i1, j1, k1])
  merged.push([a.length, b.length, 0])
  return merged
}

/**
 * Where each line of `b` occurs. With 200 lines or more, lines occurring more than 1% + 1 times
 * are "popular" and left out (difflib's `autojunk`), which changes which matches are found.
 */
function indexOfB(b: readonly number[]): Map<number, number[]> {
  const b2j = new Map<number, number[]>()
  b.forEach((line, j) => {
    const list = b2j.get(line)
    if (list) list.push(j)
    else b2j.set(line, [j])
  })
  if (b.length >= 200) {
    const limit = Math.floor(b.length / 100) + 1
    for (const [line, list] of b2j) if (list.length > limit) b2j.delete(line)
  }
  return b2j
}

/** `find_longest_match(alo, ahi, blo, bhi)` with no junk function. */
function longestMatch(
  a: readonly number[],
  b: readonly number[],
  b2j: ReadonlyMap<number, readonly number[]>,
  alo: number,
  ahi: number,
  blo: number,
  bhi: number,
): [number, number, number] {
  let besti = alo
  let bestj = blo
  let bestSize = 0
  // Length of the match ending at a[i - 1], b[j], keyed by j.
  let j2len = new Map<number, number>()
  for (let i = alo; i < ahi; i++) {
    const next = new Map<number, number>()
    for (const j of b2j.get(a[i]!) ?? []) {
      if (j < blo) continue
      if (j >= bhi) break
      const k = (j2len.get(j - 1) ?? 0) + 1
      next.set(j, k)
      if (k > bestSize) {
        besti = i - k + 1
        bestj = j - k + 1
        bestSize = k
      }
    }
    j2len = next
  }
  // Popular lines were left out of b2j; extend the match over equal lines on both ends.
  while (besti > alo && bestj > blo && a[besti - 1] === b[bestj - 1]) {
    besti--
    bestj--
    bestSize++
  }
  while (
    besti + bestSize < ahi &&
    bestj + bestSize < bhi &&
    a[besti + bestSize] === b[bestj + bestSize]
  ) {
    bestSize++
  }
  return [besti, bestj, bestSize]
}
