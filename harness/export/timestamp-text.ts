/**
 * Timestamptz values of a binary COPY (int64 microseconds since 2000-01-01 UTC) as the JSON
 * string `"YYYY-MM-DDTHH:MM:SS.mmmZ"`, byte for byte what
 * `to_char(value AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')` writes: milliseconds
 * truncated, years before 1 AD as their BC number (to_char's YYYY has no sign), years past 9999
 * with all their digits. `to_char` costs the server more than the rest of a row, hence this.
 */
export class TimestampText {
  /** The text of the last value formatted, quotes included (reused: copy it before the next call). */
  readonly bytes = Buffer.from('"0000-00-00T00:00:00.000Z"', 'latin1')
  // Rows written in pk order tend to have close timestamps: the date part is kept per day.
  private day = Number.NaN

  /**
   * Formats the timestamp at `data[start…start+8]` into `bytes`; returns false for ±infinity
   * (to_char gives NULL for them) and for years outside 1…9999, which `format` handles.
   */
  formatFast(data: Buffer, start: number): boolean {
    const hi = data.readInt32BE(start)
    const lo = data.readUInt32BE(start + 4)
    // Beyond ±2^53 µs (about ±285 years from 2000) a double is not exact: take the slow path.
    if (hi < -0x200000 || hi >= 0x200000) return false
    const ms = Math.floor((hi * 4_294_967_296 + lo) / 1000)
    const day = Math.floor(ms / MS_PER_DAY)
    const bytes = this.bytes
    if (day !== this.day) {
      const { year, month, dayOfMonth } = civilFromDays(day)
      if (year < 1 || year > 9999) return false
      this.day = day
      put(bytes, 1, year, 4)
      put(bytes, 6, month, 2)
      put(bytes, 9, dayOfMonth, 2)
    }
    let time = ms - day * MS_PER_DAY
    const hours = Math.floor(time / 3_600_000)
    time -= hours * 3_600_000
    const minutes = Math.floor(time / 60_000)
    time -= minutes * 60_000
    const seconds = Math.floor(time / 1000)
    put(bytes, 12, hours, 2)
    put(bytes, 15, minutes, 2)
    put(bytes, 18, seconds, 2)
    put(bytes, 21, time - seconds * 1000, 3)
    return true
  }
}

/** Any timestamptz value as JSON text (`null` for ±infinity); the slow path of `TimestampText`. */
export function timestampJson(data: Buffer, start: number): string {
  const us = data.readBigInt64BE(start)
  if (us === 0x7fff_ffff_ffff_ffffn || us === -0x8000_0000_0000_0000n) return 'null'
  // Floor divisions in bigint: the milliseconds themselves may be beyond 2^53.
  const ms = floorDivide(us, 1000n)
  const days = floorDivide(ms, BigInt(MS_PER_DAY))
  const { year, month, dayOfMonth } = civilFromDays(Number(days))
  const time = Number(ms - days * BigInt(MS_PER_DAY))
  const pad = (value: number, width: number) => String(value).padStart(width, '0')
  const shownYear = year > 0 ? year : 1 - year
  return (
    `"${pad(shownYear, 4)}-${pad(month, 2)}-${pad(dayOfMonth, 2)}T${pad(Math.floor(time / 3_600_000), 2)}:` +
    `${pad(Math.floor(time / 60_000) % 60, 2)}:${pad(Math.floor(time / 1000) % 60, 2)}.${pad(time % 1000, 3)}Z"`
  )
}

const MS_PER_DAY = 86_400_000
// Days from 0000-03-01 (where civil_from_days counts from) to 2000-01-01, PostgreSQL's epoch.
const DAYS_0000_03_01_TO_2000 = 730_425

/** Howard Hinnant's civil_from_days: proleptic Gregorian, astronomical years (0 is 1 BC), as PostgreSQL counts. */
function civilFromDays(daysSince2000: number): { year: number; month: number; dayOfMonth: number } {
  const z = daysSince2000 + DAYS_0000_03_01_TO_2000
  const era = Math.floor(z / 146_097)
  const doe = z - era * 146_097
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365)
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const month = mp < 10 ? mp + 3 : mp - 9
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, dayOfMonth: doy - Math.floor((153 * mp + 2) / 5) + 1 }
}

function floorDivide(a: bigint, b: bigint): bigint {
  const quotient = a / b
  return a % b < 0n ? quotient - 1n : quotient
}

/** Writes `value`'s last `width` decimal digits at `bytes[at…]`. */
function put(bytes: Buffer, at: number, value: number, width: number): void {
  for (let k = at + width - 1; k >= at; k--) {
    bytes[k] = 0x30 + (value % 10)
    value = Math.floor(value / 10)
  }
}
