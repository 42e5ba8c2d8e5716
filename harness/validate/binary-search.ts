/** The index of `value` in the first `length` numbers of `sorted` (ascending, no repeats), or -1. */
export function indexOfSorted(
  sorted: ArrayLike<number>,
  value: number,
  length = sorted.length,
): number {
  let low = 0
  let high = length - 1
  while (low <= high) {
    const middle = (low + high) >>> 1
    const at = sorted[middle]!
    if (at === value) return middle
    if (at < value) low = middle + 1
    else high = middle - 1
  }
  return -1
}
