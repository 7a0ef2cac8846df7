// Display names of the API's identifiers: workflow categories, variable types, tool groups and tools.
// Unknown identifiers (a category a user typed) are shown as they are.
import type { Tool } from '../api/types'
import { lang } from '../i18n'

type Names = Record<string, { zh: string; en: string }>

export const CATEGORIES: Names = {
  analysis: { zh: '个股分析', en: 'Analysis' },
  screening: { zh: '选股', en: 'Screening' },
  technical: { zh: '技术面', en: 'Technical' },
  market: { zh: '市场', en: 'Market' },
  custom: { zh: '自定义', en: 'Custom' },
}

export const VARIABLE_TYPE_NAMES: Names = {
  string: { zh: '文本', en: 'Text' },
  number: { zh: '数字', en: 'Number' },
  date: { zh: '日期', en: 'Date' },
  stock_code: { zh: '股票代码', en: 'Stock code' },
  stock_list: { zh: '股票列表', en: 'Stock list' },
}

export const TOOL_GROUPS: Names = {
  stock: { zh: '个股', en: 'Stock' },
  market: { zh: '市场', en: 'Market' },
  search: { zh: '搜索', en: 'Search' },
}

export const TOOL_NAMES: Names = {
  get_stock_basic: { zh: '个股基本信息', en: 'Stock basics' },
  get_stock_daily: { zh: '日K线', en: 'Daily K-line' },
  get_hot_stocks: { zh: '热门股票排行', en: 'Hot stocks' },
  get_hot_etfs: { zh: '热门ETF排行', en: 'Hot ETFs' },
  get_market_stats: { zh: '市场宽度', en: 'Market breadth' },
  search_stocks: { zh: '搜索股票和ETF', en: 'Search stocks and ETFs' },
}

function pick(names: Names, id: string | null | undefined, fallback = '—'): string {
  if (!id) return fallback
  const n = names[id]
  return n ? n[lang.value] : id
}

export const categoryLabel = (c: string | null | undefined) => pick(CATEGORIES, c)
export const variableTypeLabel = (ty: string) => pick(VARIABLE_TYPE_NAMES, ty)
export const toolGroupLabel = (g: string | null | undefined) => pick(TOOL_GROUPS, g, lang.value === 'zh' ? '其他' : 'Other')
export const toolLabel = (name: string) => pick(TOOL_NAMES, name)

/**
 * A tool's description in the UI's language. The catalogue writes "中文说明。English sentence." in one
 * string: the Chinese UI keeps what comes before the first Latin sentence, the English one the rest.
 */
export function toolDescription(tool: Pick<Tool, 'description'>, l = lang.value): string {
  const d = (tool.description ?? '').trim()
  const cut = d.search(/(?<=[。！？）)])\s*[A-Z][a-z]/)
  if (cut < 0) return /[\u4e00-\u9fa5]/.test(d) === (l === 'zh') ? d : ''
  return l === 'zh' ? d.slice(0, cut).trim() : d.slice(cut).trim()
}
