// Number formatting in the API's units (Tushare): amount in 千元, vol in 手 (lots of 100 shares),
// market caps in 万元, total_amount in 亿元, pct_chg and turnover_rate in %.

export type Lang = 'zh' | 'en'

const DASH = '—'

function isNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v)
}

/** Formats a plain CNY (yuan) value with 万/亿/万亿 (zh) or K/M/B/T (en). */
export function formatCny(yuan: number | null | undefined, lang: Lang = 'zh', digits = 2): string {
  if (!isNum(yuan)) return DASH
  const sign = yuan < 0 ? '-' : ''
  const a = Math.abs(yuan)
  if (lang === 'en') {
    if (a >= 1e12) return `${sign}${(a / 1e12).toFixed(digits)}T`
    if (a >= 1e9) return `${sign}${(a / 1e9).toFixed(digits)}B`
    if (a >= 1e6) return `${sign}${(a / 1e6).toFixed(digits)}M`
    if (a >= 1e3) return `${sign}${(a / 1e3).toFixed(digits)}K`
    return `${sign}${a.toFixed(digits)}`
  }
  if (a >= 1e12) return `${sign}${(a / 1e12).toFixed(digits)}万亿`
  if (a >= 1e8) return `${sign}${(a / 1e8).toFixed(digits)}亿`
  if (a >= 1e4) return `${sign}${(a / 1e4).toFixed(digits)}万`
  return `${sign}${a.toFixed(digits)}`
}

/** amount (千元) → "12.35亿" */
export function formatAmount(thousandYuan: number | null | undefined, lang: Lang = 'zh'): string {
  return isNum(thousandYuan) ? formatCny(thousandYuan * 1e3, lang) : DASH
}

/** market cap (万元) → "2.31万亿" */
export function formatMarketCap(tenThousandYuan: number | null | undefined, lang: Lang = 'zh'): string {
  return isNum(tenThousandYuan) ? formatCny(tenThousandYuan * 1e4, lang) : DASH
}

/** total_amount (亿元) from market-stats → "1.85万亿" */
export function formatYi(yi: number | null | undefined, lang: Lang = 'zh'): string {
  return isNum(yi) ? formatCny(yi * 1e8, lang) : DASH
}

/** vol (手) → "79.05万手" / "790.47K lots" */
export function formatVolume(lots: number | null | undefined, lang: Lang = 'zh'): string {
  if (!isNum(lots)) return DASH
  if (lang === 'en') {
    const a = Math.abs(lots)
    const s = a >= 1e3 ? formatCny(lots, 'en') : lots.toFixed(0)
    return `${s} lots`
  }
  const a = Math.abs(lots)
  if (a >= 1e8) return `${(lots / 1e8).toFixed(2)}亿手`
  if (a >= 1e4) return `${(lots / 1e4).toFixed(2)}万手`
  return `${lots.toFixed(0)}手`
}

/** pct_chg → "+1.23%", "-0.50%", "0.00%" */
export function formatPct(pct: number | null | undefined, digits = 2): string {
  if (!isNum(pct)) return DASH
  const fixed = pct.toFixed(digits)
  if (Number(fixed) === 0) return `${(0).toFixed(digits)}%`
  return `${pct > 0 ? '+' : ''}${fixed}%`
}

/** turnover_rate (already in %) → "3.21%" (no sign) */
export function formatRate(pct: number | null | undefined, digits = 2): string {
  return isNum(pct) ? `${pct.toFixed(digits)}%` : DASH
}

/** hit_rate as a 0..1 ratio or an already-percent value → "87.5%" */
export function formatRatio(r: number | null | undefined): string {
  if (!isNum(r)) return DASH
  const pct = r <= 1 ? r * 100 : r
  return `${pct.toFixed(1)}%`
}

export function formatPrice(p: number | null | undefined, digits = 2): string {
  return isNum(p) ? p.toFixed(digits) : DASH
}

export function formatInt(n: number | null | undefined): string {
  return isNum(n) ? Math.round(n).toLocaleString('en-US') : DASH
}

/** Bytes → "1.5 MB"; strings (Redis "1.2M") pass through. */
export function formatBytes(b: number | string | null | undefined): string {
  if (typeof b === 'string') return b || DASH
  if (!isNum(b)) return DASH
  const units = ['B', 'KB', 'MB', 'GB', 'TB']
  let v = b
  let i = 0
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return `${i === 0 ? v.toFixed(0) : v.toFixed(1)} ${units[i]}`
}

// Chinese market convention: red is up, green is down.
export const UP_COLOR = '#e53935'
export const DOWN_COLOR = '#16a34a'
export const FLAT_COLOR = '#6b7280'

export type Trend = 'up' | 'down' | 'flat'

export function trendOf(v: number | null | undefined): Trend {
  if (!isNum(v) || v === 0) return 'flat'
  return v > 0 ? 'up' : 'down'
}

export function trendColor(v: number | null | undefined): string {
  const t = trendOf(v)
  return t === 'up' ? UP_COLOR : t === 'down' ? DOWN_COLOR : FLAT_COLOR
}

/** CSS class for a value's colour: "is-up" | "is-down" | "is-flat" */
export function trendClass(v: number | null | undefined): string {
  return `is-${trendOf(v)}`
}

/** "20251218" or "2025-12-18" → "2025-12-18" */
export function normalizeDate(d: string | null | undefined): string {
  if (!d) return ''
  const m = /^(\d{4})-?(\d{2})-?(\d{2})/.exec(d)
  return m ? `${m[1]}-${m[2]}-${m[3]}` : d
}

/** Simple moving average; null until `n` values are available. */
export function movingAverage(values: number[], n: number): (number | null)[] {
  const out: (number | null)[] = []
  let sum = 0
  for (let i = 0; i < values.length; i++) {
    sum += values[i]
    if (i >= n) sum -= values[i - n]
    out.push(i >= n - 1 ? Number((sum / n).toFixed(4)) : null)
  }
  return out
}

/** Placeholders `{{ name }}` used in a template, in first-seen order, without duplicates. */
export function placeholders(template: string | null | undefined): string[] {
  if (!template) return []
  const seen = new Set<string>()
  const re = /\{\{\s*([^{}\s]+)\s*\}\}/g
  let m: RegExpExecArray | null
  while ((m = re.exec(template))) seen.add(m[1])
  return [...seen]
}

/** Placeholders not declared as variables. */
export function undeclaredPlaceholders(template: string, declared: string[]): string[] {
  const names = new Set(declared.map((d) => d.trim()).filter(Boolean))
  return placeholders(template).filter((p) => !names.has(p))
}

/** A heat-map colour for a change in %: red for a rise, green for a fall, deeper up to ±5%, grey at 0. */
export function heatColor(pct: number): string {
  if (!Number.isFinite(pct) || pct === 0) return '#9ca3af'
  const k = Math.min(1, Math.abs(pct) / 5)
  const [r, g, b] = pct > 0 ? [229, 57, 53] : [22, 163, 74]
  const mix = (c: number) => Math.round(255 + (c - 255) * (0.35 + 0.65 * k))
  return `rgb(${mix(r)},${mix(g)},${mix(b)})`
}
