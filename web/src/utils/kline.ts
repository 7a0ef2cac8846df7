// What the stock page asks the K-line API for, and what it shows of the answer.
import type { Adjust, Bar, Period } from '../api/types'
import { addDays, addMonths } from './dates'
import { movingAverage } from './format'

export type QuickRange = '1m' | '3m' | '1y' | 'all'
export const QUICK_RANGES: QuickRange[] = ['1m', '3m', '1y', 'all']
export const MA_PERIODS = [5, 10, 20] as const

/** Calendar days of history fetched before the visible range so MA20 is defined from its first bar. */
export function warmupDays(period: Period): number {
  // 20 bars back, plus room for holidays (the Spring Festival closes the market for over a week).
  if (period === 'week') return 20 * 7 + 21
  if (period === 'month') return 21 * 31 + 10
  return 20 + 30
}

/** First visible day of a quick range ending at `latest` (YYYY-MM-DD); null for 全部. */
export function rangeStart(range: QuickRange, latest: string): string | null {
  if (range === 'all') return null
  return addMonths(latest, range === '1m' ? -1 : range === '3m' ? -3 : -12)
}

/** The start to request for a visible start: the warm-up before it. */
export function fetchStart(visibleStart: string, period: Period): string {
  return addDays(visibleStart, -warmupDays(period))
}

export interface Shown {
  bars: Bar[]
  ma: Record<string, (number | null)[]>
}

/**
 * Moving averages over every fetched bar, then both cut to the visible range: MA20 on the first
 * visible bar uses the 19 bars before it.
 */
export function visibleWithMA(all: Bar[], visibleStart: string | null, visibleEnd: string | null = null): Shown {
  const closes = all.map((b) => b.close)
  const ma: Record<string, (number | null)[]> = {}
  for (const n of MA_PERIODS) ma[`MA${n}`] = movingAverage(closes, n)
  let from = 0
  if (visibleStart) while (from < all.length && all[from].date < visibleStart) from++
  let to = all.length
  if (visibleEnd) while (to > from && all[to - 1].date > visibleEnd) to--
  const out: Shown = { bars: all.slice(from, to), ma: {} }
  for (const k of Object.keys(ma)) out.ma[k] = ma[k].slice(from, to)
  return out
}

/** The stock page's K-line view as the URL says it: ?period=week&range=3m&adjust=hfq or ?start=…&end=… */
export interface KlineView {
  period: Period
  adjust: Adjust
  range: QuickRange
  /** A custom range (start, optional end) replaces the quick range. */
  start: string
  end: string
}

const normalize = (v: unknown) => {
  const m = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(typeof v === 'string' ? v : '')
  return m ? `${m[1]}-${m[2]}-${m[3]}` : ''
}

export function viewFromQuery(q: Record<string, unknown>): KlineView {
  return {
    period: q.period === 'week' || q.period === 'month' ? q.period : 'day',
    adjust: q.adjust === 'hfq' || q.adjust === 'none' ? q.adjust : 'qfq',
    range: QUICK_RANGES.includes(q.range as QuickRange) ? (q.range as QuickRange) : '1y',
    start: normalize(q.start),
    end: normalize(q.end),
  }
}

/** The newest bar may lag today by a weekend or the Spring Festival: fetch that much more when unsure. */
export const SLACK_DAYS = 14

/**
 * What to ask the API for: the visible range plus the warm-up, ending open (at the stock's newest bar)
 * unless a custom end is set. `latest` is the stock's newest bar day when known; before /basic answers
 * it is taken to be about `today`, with slack.
 */
export function klineRequest(v: KlineView, latest: string | null, today: string): { start?: string; end?: string } {
  const end = v.start ? v.end || undefined : undefined
  if (v.start) return { start: fetchStart(v.start, v.period), end }
  if (v.range === 'all') return { start: '1990-01-01', end }
  const start = fetchStart(rangeStart(v.range, latest ?? today)!, v.period)
  return { start: latest ? start : addDays(start, -SLACK_DAYS), end }
}
