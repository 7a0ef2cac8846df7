import { describe, expect, it } from 'vitest'
import { setLang } from '../src/i18n'
import { categoryLabel, toolDescription, toolGroupLabel, toolLabel, variableTypeLabel } from '../src/utils/labels'
import { parseRanking, rankingOf, sortOfRanking } from '../src/utils/ranking'

describe('labels', () => {
  it('names categories, variable types, tool groups and tools in Chinese and English', () => {
    setLang('zh')
    expect(categoryLabel('screening')).toBe('选股')
    expect(categoryLabel('我的分类')).toBe('我的分类')
    expect(variableTypeLabel('stock_list')).toBe('股票列表')
    expect(toolGroupLabel('market')).toBe('市场')
    expect(toolLabel('get_stock_daily')).toBe('日K线')
    setLang('en')
    expect(categoryLabel('screening')).toBe('Screening')
    expect(variableTypeLabel('stock_code')).toBe('Stock code')
    setLang('zh')
  })
  it('splits the catalogue’s bilingual descriptions', () => {
    const d = { description: '热门ETF排行：按成交额或涨跌幅排序。Top ETFs of a day by amount or change.' }
    expect(toolDescription(d, 'zh')).toBe('热门ETF排行：按成交额或涨跌幅排序。')
    expect(toolDescription(d, 'en')).toBe('Top ETFs of a day by amount or change.')
    expect(toolDescription({ description: '个股估值（PE/PB/市值）。Basic info.' }, 'zh')).toBe('个股估值（PE/PB/市值）。')
    expect(toolDescription({ description: 'Only English here.' }, 'zh')).toBe('')
  })
})

describe('rankings', () => {
  it('maps rankings to the API and back, and reads them from the URL', () => {
    expect(sortOfRanking('loss')).toEqual({ sort_by: 'pct_chg', order: 'asc' })
    expect(sortOfRanking('gain')).toEqual({ sort_by: 'pct_chg' })
    expect(rankingOf('pct_chg', 'asc')).toBe('loss')
    expect(rankingOf('close', 'desc')).toBeNull()
    expect(parseRanking('turnover_rate', ['amount', 'gain', 'loss'])).toBe('amount')
    expect(parseRanking('loss')).toBe('loss')
    expect(parseRanking(undefined)).toBe('amount')
  })
})
