import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { boardOf, isRiskWarning, limitPct, limitPrices, looksLikeCode } from '../src/utils/codes'
import { parseCsv } from '../e2e/lib.mjs'

const snap = new URL('../../testdata/tushare-2025-12-18/', import.meta.url)
const csv = (name: string) => parseCsv(readFileSync(new URL(name, snap), 'utf8')) as Record<string, string>[]

describe('boards and limits', () => {
  it('knows each board by its prefix', () => {
    expect(boardOf('600519.SH')).toBe('main')
    expect(boardOf('000001.SZ')).toBe('main')
    expect(boardOf('300750.SZ')).toBe('chinext')
    expect(boardOf('688981.SH')).toBe('star')
    expect(boardOf('830799.BJ')).toBe('bse')
    expect(boardOf('920001.BJ')).toBe('bse')
    expect(boardOf('510300.SH')).toBe('fund')
    expect(boardOf('159915.SZ')).toBe('fund')
  })
  it('ST on the main board is ±5% before 2026-07-06 and ±10% from then; ChiNext/STAR ST stay ±20%', () => {
    expect(isRiskWarning('*ST中程')).toBe(true)
    expect(isRiskWarning('ST华通')).toBe(true)
    expect(isRiskWarning('S佳通')).toBe(true)
    expect(isRiskWarning('贵州茅台')).toBe(false)
    expect(limitPct('600001.SH', '*ST测试', '2026-07-03')).toBe(5)
    expect(limitPct('600001.SH', '*ST测试', '2026-07-06')).toBe(10)
    expect(limitPct('300001.SZ', 'ST测试', '2026-07-03')).toBe(20)
    expect(limitPct('688001.SH', '贵州茅台', '2025-01-01')).toBe(20)
    expect(limitPct('830799.BJ', '某某', '2025-01-01')).toBe(30)
    expect(limitPct('510300.SH', '沪深300ETF', '2025-01-01')).toBe(0)
  })
  it('rounds half-up to the fen without binary noise', () => {
    // 1.15 × 1.1 = 1.265 → 1.27 and × 0.9 = 1.035 → 1.04 (a float multiply gives 1.2649999…).
    expect(limitPrices(1.15, '600000.SH', '浦发银行', '2025-12-18')).toEqual({ up: 1.27, down: 1.04 })
    expect(limitPrices(9.99, '600000.SH', '浦发银行', '2025-12-18')).toEqual({ up: 10.99, down: 8.99 })
    // ST before and after the widening, ChiNext ±20%, and the Beijing exchange rounding inward.
    expect(limitPrices(10, '600001.SH', '*ST某某', '2026-07-03')).toEqual({ up: 10.5, down: 9.5 })
    expect(limitPrices(10, '600001.SH', '*ST某某', '2026-07-06')).toEqual({ up: 11, down: 9 })
    expect(limitPrices(10.05, '300001.SZ', '特锐德', '2025-12-18')).toEqual({ up: 12.06, down: 8.04 })
    expect(limitPrices(19.69, '920001.BJ', '纬达光电', '2025-12-18')).toEqual({ up: 25.59, down: 13.79 })
    expect(limitPrices(null, '600000.SH', '浦发银行', '2025-12-18')).toBeNull()
    expect(limitPrices(10, '510300.SH', 'ETF', '2025-12-18')).toBeNull()
  })
  it('reproduces the exchange’s own limit prices of 2025-12-19 (stk_limit.csv) from the 12-18 closes', () => {
    const names = new Map(csv('stock_basic.csv').map((r) => [r.ts_code, r.name]))
    const close = new Map(csv('daily.csv').map((r) => [r.ts_code, Number(r.close)]))
    let same = 0
    let compared = 0
    const differ: string[] = []
    for (const r of csv('stk_limit.csv')) {
      const c = close.get(r.ts_code)
      if (c === undefined || !names.has(r.ts_code)) continue
      const up = Number(r.up_limit)
      const down = Number(r.down_limit)
      // Only days whose reference price is the previous close: not an ex-rights day (the exchange
      // then uses an adjusted price) and not an unlimited listing day (sentinel prices).
      if (up >= 9999 || Math.abs((up + down) / 2 - c) > 0.015) continue
      const p = limitPrices(c, r.ts_code, names.get(r.ts_code), '2025-12-19')
      if (!p) continue
      compared++
      if (p.up === up && p.down === down) same++
      else differ.push(`${r.ts_code} ${names.get(r.ts_code)} ${p.up}/${p.down} vs ${r.up_limit}/${r.down_limit}`)
    }
    // Three changed ST status between the two files (the name in stock_basic is today's): 002055 and
    // 002424 were not ST on 12-19, 002197 was.
    expect(compared).toBeGreaterThan(5000)
    expect(differ.map((d) => d.slice(0, 9)).sort(), differ.join('\n')).toEqual(['002055.SZ', '002197.SZ', '002424.SZ'])
  })
  it('recognises the ways users type codes', () => {
    for (const c of ['600519', '600519.SH', 'sh600519', '000001.sz']) expect(looksLikeCode(c)).toBe(true)
    for (const c of ['6005', '茅台', 'gzmt', '600519.XX']) expect(looksLikeCode(c)).toBe(false)
  })
})
