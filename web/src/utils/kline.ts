// What the stock page asks the K-line API for, and what it shows of the answer.
import type { Bar, Period } from '../api/types'
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
