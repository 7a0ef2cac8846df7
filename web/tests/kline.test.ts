import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { Bar } from '../src/api/types'
import { fetchStart, rangeStart, visibleWithMA } from '../src/utils/kline'
import { addDays, addMonths, neighbourDates, todayInChina } from '../src/utils/dates'
import { isoWeek, parseCsv } from '../e2e/lib.mjs'

// The real SSE calendar 2000–2026 from the snapshot.
const cal = (parseCsv(readFileSync(new URL('../../testdata/tushare-2025-12-18/trade_cal.csv', import.meta.url), 'utf8')) as Record<string, string>[])
  .filter((r) => r.is_open === '1')
  .map((r) => r.cal_date.replace(/^(\d{4})-?(\d{2})-?(\d{2})$/, '$1-$2-$3'))
  .sort()

describe('K-line warm-up', () => {
  it('fetches at least 19 bars before any visible start, for every period, on the real calendar', () => {
    const key = { day: (d: string) => d, week: (d: string) => isoWeek(d), month: (d: string) => d.slice(0, 7) }
    for (const period of ['day', 'week', 'month'] as const) {
      let worst = Infinity
      for (let i = 600; i < cal.length; i += 3) {
        const visible = cal[i]
        const from = fetchStart(visible, period)
        const before = new Set(cal.filter((d) => d >= from && d < visible).map(key[period]))
        before.delete(key[period](visible)) // the visible bar's own week/month
        worst = Math.min(worst, before.size)
      }
      expect(worst, period).toBeGreaterThanOrEqual(19)
    }
  })

  it('computes MAs over the fetched history and shows them from the first visible bar', () => {
    const bars: Bar[] = Array.from({ length: 60 }, (_, i) => ({
      date: addDays('2025-01-01', i),
      open: 1,
      high: 1,
      low: 1,
      close: i + 1,
    }))
    const shown = visibleWithMA(bars, '2025-02-10', '2025-02-20')
    expect(shown.bars[0].date).toBe('2025-02-10')
    expect(shown.bars[shown.bars.length - 1].date).toBe('2025-02-20')
    // 2025-02-10 is bar #41 (close 41): MA20 = mean(22..41) = 31.5, MA5 = mean(37..41) = 39.
    expect(shown.ma.MA20[0]).toBe(31.5)
    expect(shown.ma.MA5[0]).toBe(39)
    expect(shown.ma.MA10).toHaveLength(shown.bars.length)
    // Without history MA20 is undefined for the first 19 bars.
    expect(visibleWithMA(bars.slice(40), null).ma.MA20[0]).toBeNull()
  })

  it('quick ranges end at the latest bar and never reach past it', () => {
    expect(rangeStart('1m', '2025-03-31')).toBe('2025-02-28')
    expect(rangeStart('3m', '2025-12-18')).toBe('2025-09-18')
    expect(rangeStart('1y', '2024-02-29')).toBe('2023-02-28')
    expect(rangeStart('all', '2025-12-18')).toBeNull()
  })
})

describe('dates', () => {
  it('steps to the neighbouring trade days', () => {
    const days = ['2025-12-18', '2025-12-17', '2025-12-16', '2025-12-15']
    expect(neighbourDates(days, '2025-12-17')).toEqual({ prev: '2025-12-16', next: '2025-12-18' })
    expect(neighbourDates(days, '2025-12-18')).toEqual({ prev: '2025-12-17', next: null })
    expect(neighbourDates(days, '2025-12-15')).toEqual({ prev: null, next: '2025-12-16' })
    expect(neighbourDates([], '2025-12-15')).toEqual({ prev: null, next: null })
  })
  it('adds months with the end of month clamped, days across years', () => {
    expect(addMonths('2025-01-31', 1)).toBe('2025-02-28')
    expect(addMonths('2025-01-15', -13)).toBe('2023-12-15')
    expect(addDays('2025-12-31', 1)).toBe('2026-01-01')
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29')
  })
  it('knows the day in China', () => {
    expect(todayInChina(new Date('2025-12-18T15:59:00Z'))).toBe('2025-12-18')
    expect(todayInChina(new Date('2025-12-18T16:00:00Z'))).toBe('2025-12-19')
  })
})
