import { describe, expect, it } from 'vitest'
import {
  DOWN_COLOR,
  FLAT_COLOR,
  UP_COLOR,
  formatAmount,
  formatBytes,
  formatCny,
  formatMarketCap,
  formatPct,
  formatRate,
  formatRatio,
  formatVolume,
  formatYi,
  movingAverage,
  normalizeDate,
  placeholders,
  trendClass,
  trendColor,
  undeclaredPlaceholders,
} from '../src/utils/format'

describe('amount units', () => {
  it('converts 千元 to 亿 / 万', () => {
    // 916247.611 千元 = 916,247,611 元 = 9.16亿
    expect(formatAmount(916247.611)).toBe('9.16亿')
    // 12.5 千元 = 12,500 元 = 1.25万
    expect(formatAmount(12.5)).toBe('1.25万')
    expect(formatAmount(0.5)).toBe('500.00')
  })
  it('uses 万亿 above 1e12 yuan', () => {
    expect(formatYi(18500)).toBe('1.85万亿')
    expect(formatYi(950.2)).toBe('950.20亿')
  })
  it('converts market caps in 万元', () => {
    // 贵州茅台-like 1.8e8 万元 = 1.8万亿
    expect(formatMarketCap(180000000)).toBe('1.80万亿')
    expect(formatMarketCap(52345)).toBe('5.23亿')
  })
  it('has English units', () => {
    expect(formatAmount(916247.611, 'en')).toBe('916.25M')
    expect(formatCny(2.5e9, 'en')).toBe('2.50B')
    expect(formatYi(18500, 'en')).toBe('1.85T')
  })
  it('keeps the sign of negative values', () => {
    expect(formatCny(-2e8)).toBe('-2.00亿')
  })
  it('renders missing values as a dash', () => {
    expect(formatAmount(null)).toBe('—')
    expect(formatAmount(undefined)).toBe('—')
    expect(formatAmount(Number.NaN)).toBe('—')
    expect(formatMarketCap(null)).toBe('—')
  })
})

describe('volume in lots', () => {
  it('formats 手 with 万/亿', () => {
    expect(formatVolume(790466.54)).toBe('79.05万手')
    expect(formatVolume(250000000)).toBe('2.50亿手')
    expect(formatVolume(812)).toBe('812手')
  })
  it('formats lots in English', () => {
    expect(formatVolume(790466.54, 'en')).toBe('790.47K lots')
  })
})

describe('percentages', () => {
  it('signs pct_chg', () => {
    expect(formatPct(1.2345)).toBe('+1.23%')
    expect(formatPct(-1.8145)).toBe('-1.81%')
    expect(formatPct(0)).toBe('0.00%')
    expect(formatPct(-0.001)).toBe('0.00%')
    expect(formatPct(null)).toBe('—')
  })
  it('does not sign turnover_rate', () => {
    expect(formatRate(3.216)).toBe('3.22%')
  })
  it('accepts ratios and percents for hit rate', () => {
    expect(formatRatio(0.875)).toBe('87.5%')
    expect(formatRatio(87.5)).toBe('87.5%')
  })
})

describe('colours (red up, green down)', () => {
  it('maps the sign to the Chinese convention', () => {
    expect(trendColor(2)).toBe(UP_COLOR)
    expect(trendColor(-2)).toBe(DOWN_COLOR)
    expect(trendColor(0)).toBe(FLAT_COLOR)
    expect(trendColor(null)).toBe(FLAT_COLOR)
    expect(UP_COLOR).not.toBe(DOWN_COLOR)
    expect(trendClass(0.01)).toBe('is-up')
    expect(trendClass(-0.01)).toBe('is-down')
    expect(trendClass(undefined)).toBe('is-flat')
  })
  it('uses a reddish colour for up and a greenish one for down', () => {
    const rgb = (h: string) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16))
    const [ur, ug] = rgb(UP_COLOR)
    const [dr, dg] = rgb(DOWN_COLOR)
    expect(ur).toBeGreaterThan(ug)
    expect(dg).toBeGreaterThan(dr)
  })
})

describe('misc helpers', () => {
  it('normalises dates', () => {
    expect(normalizeDate('20251218')).toBe('2025-12-18')
    expect(normalizeDate('2025-12-18')).toBe('2025-12-18')
    expect(normalizeDate('2025-12-18T00:00:00Z')).toBe('2025-12-18')
  })
  it('formats bytes and passes strings through', () => {
    expect(formatBytes(1536)).toBe('1.5 KB')
    expect(formatBytes(1073741824)).toBe('1.0 GB')
    expect(formatBytes('1.20M')).toBe('1.20M')
  })
  it('computes moving averages', () => {
    expect(movingAverage([1, 2, 3, 4, 5], 3)).toEqual([null, null, 2, 3, 4])
    expect(movingAverage([10], 5)).toEqual([null])
  })
  it('finds placeholders and undeclared ones', () => {
    const tpl = 'Analyse {{stock_code}} from {{ start }} to {{end}}; again {{stock_code}}'
    expect(placeholders(tpl)).toEqual(['stock_code', 'start', 'end'])
    expect(undeclaredPlaceholders(tpl, ['stock_code', 'start'])).toEqual(['end'])
    expect(undeclaredPlaceholders(tpl, ['stock_code', 'start', 'end'])).toEqual([])
    expect(placeholders('no placeholders { here }')).toEqual([])
  })
})
