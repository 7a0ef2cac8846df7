// Calendar helpers on YYYY-MM-DD strings (no time zones: a trade date is a day, not an instant).

/** The trade days before and after `current` in a list of trade days (any order). */
export function neighbourDates(dates: string[], current: string): { prev: string | null; next: string | null } {
  if (!current || !dates.length) return { prev: null, next: null }
  let prev: string | null = null
  let next: string | null = null
  for (const d of dates) {
    if (d < current && (prev === null || d > prev)) prev = d
    if (d > current && (next === null || d < next)) next = d
  }
  return { prev, next }
}

function parts(d: string): [number, number, number] {
  const [y, m, day] = d.split('-').map(Number)
  return [y, m, day]
}

function fmt(y: number, m: number, d: number): string {
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`
}

/** d plus n days (n may be negative). */
export function addDays(d: string, n: number): string {
  const [y, m, day] = parts(d)
  const t = new Date(Date.UTC(y, m - 1, day) + n * 86400000)
  return fmt(t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate())
}

/** d plus n months, clamped to the month's last day (2025-03-31 − 1 month = 2025-02-28). */
export function addMonths(d: string, n: number): string {
  const [y, m, day] = parts(d)
  const total = y * 12 + (m - 1) + n
  const ny = Math.floor(total / 12)
  const nm = (total % 12) + 1
  const last = new Date(Date.UTC(ny, nm, 0)).getUTCDate()
  return fmt(ny, nm, Math.min(day, last))
}

/** Today in China (Asia/Shanghai, UTC+8, no DST), as YYYY-MM-DD. */
export function todayInChina(now = new Date()): string {
  const t = new Date(now.getTime() + 8 * 3600000)
  return fmt(t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate())
}
