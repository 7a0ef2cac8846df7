import { describe, expect, it } from 'vitest'
import { apiQuery, emptyState, fromApi, stateFromQuery, stateToQuery, toApi } from '../src/utils/screener'
import { alignIndicators } from '../src/utils/indicators'
import { heatColor } from '../src/utils/format'
import { translate } from '../src/i18n'

describe('screener state', () => {
  it('reads the URL with the API names, drops what is malformed, keeps the defaults out', () => {
    const s = stateFromQuery({
      pe_ttm_min: '0',
      pe_ttm_max: '15',
      pb_max: 'abc',
      total_mv_min: '10000000',
      industry: '银行,白酒',
      board: ['main', 'nasdaq'],
      include_st: '1',
      sort_by: 'dv_ratio',
      order: 'asc',
      page: '3',
      size: '50',
    })
    expect(s.ranges).toEqual({ pe_ttm: { min: 0, max: 15 }, total_mv: { min: 1e7, max: undefined } })
    expect(s.industries).toEqual(['银行', '白酒'])
    expect(s.boards).toEqual(['main'])
    expect(s).toMatchObject({ includeSt: true, sortBy: 'dv_ratio', order: 'asc', page: 3, pageSize: 50 })
    expect(stateFromQuery({ sort_by: 'volume', page: '-2', size: '7' })).toEqual(emptyState())
  })
  it('writes back what it read, and the API request pages by offset', () => {
    const q = { pe_ttm_min: '0', pe_ttm_max: '15', industry: '银行', board: 'star,bse', include_st: 'true', sort_by: 'pb', order: 'asc', page: '2' }
    const s = stateFromQuery(q)
    expect(stateToQuery(s)).toEqual(q)
    expect(stateToQuery(emptyState())).toEqual({})
    expect(apiQuery(s, '2025-12-18')).toEqual({ ...q, page: undefined, date: '2025-12-18', limit: 20, offset: 20 })
  })
  it('takes market caps in 亿元 in the form and sends 万元', () => {
    expect(toApi('total_mv', 1000)).toBe(1e7)
    expect(fromApi('circ_mv', 5e6)).toBe(500)
    expect(toApi('pe', 12)).toBe(12)
    expect(toApi('pb', undefined)).toBeUndefined()
  })
})

describe('indicator alignment', () => {
  it('puts each value on its date and null where the answer has none', () => {
    const ind = {
      ts_code: 'x',
      adjust: 'qfq' as const,
      start: '2025-01-02',
      end: '2025-01-06',
      dates: ['2025-01-02', '2025-01-03', '2025-01-06'],
      macd: { dif: [1, 2, 3], dea: [0, null, 1], bar: [2, 4, 4] },
      rsi: { '6': [50, 60, 70] },
    }
    const a = alignIndicators(ind, ['2025-01-03', '2025-01-06', '2025-01-07'])
    expect(a?.macd).toEqual({ dif: [2, 3, null], dea: [null, 1, null], bar: [4, 4, null] })
    expect(a?.rsi).toEqual({ '6': [60, 70, null] })
    expect(a?.kdj).toBeUndefined()
    expect(alignIndicators(null, ['2025-01-03'])).toBeNull()
  })
})

describe('heat map colours', () => {
  it('red for a rise, green for a fall, deeper with the size, grey at zero', () => {
    const rgb = (s: string) => s.match(/\d+/g)!.map(Number)
    const [r1, g1] = rgb(heatColor(1))
    const g5 = rgb(heatColor(5))[1]
    const [rd, gd] = rgb(heatColor(-3))
    expect(r1).toBeGreaterThan(g1)
    expect(g5).toBeLessThan(g1)
    expect(gd).toBeGreaterThan(rd)
    expect(heatColor(9)).toBe(heatColor(5))
    expect(heatColor(0)).toBe('#9ca3af')
  })
})

describe('analytics wording', () => {
  it('has the ladder and screener in both languages', () => {
    expect(translate('zh', 'overview.ladderSummary', { up: 73, broken: 32, rate: '30%', down: 8 })).toBe('涨停 73 · 炸板 32（炸板率 30%）· 跌停 8')
    expect(translate('zh', 'nav.screener')).toBe('选股')
    expect(translate('en', 'screener.total', { n: 5 })).toBe('5 stocks')
  })
})
