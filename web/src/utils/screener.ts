// The 选股 page's state: filters, order and page, kept in the URL with the API's parameter names and
// units (market caps in 万元), so a link is the screen. The form shows market caps in 亿元.
import type { Query } from '../api/client'
import type { Board } from '../api/types'

export type RangeKey = 'pe' | 'pe_ttm' | 'pb' | 'ps' | 'total_mv' | 'circ_mv' | 'turnover_rate' | 'pct_chg' | 'dv_ratio'
export const RANGE_KEYS: RangeKey[] = ['pe_ttm', 'pe', 'pb', 'ps', 'dv_ratio', 'total_mv', 'circ_mv', 'turnover_rate', 'pct_chg']
export const BOARDS: Board[] = ['main', 'chinext', 'star', 'bse']
export const SORTS = ['total_mv', 'circ_mv', 'pe', 'pe_ttm', 'pb', 'ps', 'dv_ratio', 'turnover_rate', 'pct_chg', 'amount', 'close'] as const
export type SortKey = (typeof SORTS)[number]
export const PAGE_SIZES = [20, 50, 100]

/** How many API units one form unit is: market caps are typed in 亿元 and sent in 万元. */
export const FORM_SCALE: Partial<Record<RangeKey, number>> = { total_mv: 1e4, circ_mv: 1e4 }

export interface Range {
  min?: number
  max?: number
}

export interface ScreenState {
  ranges: Partial<Record<RangeKey, Range>>
  industries: string[]
  boards: Board[]
  includeSt: boolean
  sortBy: SortKey
  order: 'asc' | 'desc'
  page: number // from 1
  pageSize: number
}

export function emptyState(): ScreenState {
  return { ranges: {}, industries: [], boards: [], includeSt: false, sortBy: 'total_mv', order: 'desc', page: 1, pageSize: 20 }
}

function num(v: unknown): number | undefined {
  if (typeof v !== 'string' || v.trim() === '') return undefined
  const n = Number(v)
  return Number.isFinite(n) ? n : undefined
}

function list(v: unknown): string[] {
  const vals = Array.isArray(v) ? v : [v]
  return vals
    .filter((x): x is string => typeof x === 'string')
    .flatMap((x) => x.split(','))
    .map((x) => x.trim())
    .filter(Boolean)
}

/** The state a URL query describes; what it does not say is the default, what is malformed is dropped. */
export function stateFromQuery(q: Record<string, unknown>): ScreenState {
  const s = emptyState()
  for (const k of RANGE_KEYS) {
    const r: Range = { min: num(q[`${k}_min`]), max: num(q[`${k}_max`]) }
    if (r.min !== undefined || r.max !== undefined) s.ranges[k] = r
  }
  s.industries = list(q.industry)
  s.boards = list(q.board).filter((b): b is Board => (BOARDS as string[]).includes(b))
  s.includeSt = q.include_st === 'true' || q.include_st === '1'
  const sort = typeof q.sort_by === 'string' ? q.sort_by : ''
  if ((SORTS as readonly string[]).includes(sort)) s.sortBy = sort as SortKey
  if (q.order === 'asc') s.order = 'asc'
  const page = num(q.page)
  if (page && page >= 1) s.page = Math.floor(page)
  const size = num(q.size)
  if (size && PAGE_SIZES.includes(size)) s.pageSize = size
  return s
}

/** The filters as the API takes them (and the URL keeps them), without the page. */
export function filterQuery(s: ScreenState): Record<string, string> {
  const q: Record<string, string> = {}
  for (const k of RANGE_KEYS) {
    const r = s.ranges[k]
    if (r?.min !== undefined) q[`${k}_min`] = String(r.min)
    if (r?.max !== undefined) q[`${k}_max`] = String(r.max)
  }
  if (s.industries.length) q.industry = s.industries.join(',')
  if (s.boards.length) q.board = s.boards.join(',')
  if (s.includeSt) q.include_st = 'true'
  if (s.sortBy !== 'total_mv') q.sort_by = s.sortBy
  if (s.order !== 'desc') q.order = s.order
  return q
}

/** The URL query of a state: the filters, and the page where it is not the first. */
export function stateToQuery(s: ScreenState): Record<string, string> {
  const q = filterQuery(s)
  if (s.page > 1) q.page = String(s.page)
  if (s.pageSize !== 20) q.size = String(s.pageSize)
  return q
}

/** The API request of a state on a day (omitted: the latest). */
export function apiQuery(s: ScreenState, date?: string): Query {
  return { ...filterQuery(s), date, limit: s.pageSize, offset: (s.page - 1) * s.pageSize }
}

/** A form value (亿元 for market caps) as the API's unit, and back. */
export const toApi = (k: RangeKey, v: number | undefined) => (v === undefined ? undefined : v * (FORM_SCALE[k] ?? 1))
export const fromApi = (k: RangeKey, v: number | undefined) => (v === undefined ? undefined : v / (FORM_SCALE[k] ?? 1))

/** Ready-made screens. */
export const PRESETS: { id: string; ranges: Partial<Record<RangeKey, Range>>; sortBy: SortKey; order: 'asc' | 'desc' }[] = [
  { id: 'value', ranges: { pe_ttm: { min: 0, max: 15 }, pb: { max: 1.5 }, dv_ratio: { min: 3 } }, sortBy: 'dv_ratio', order: 'desc' },
  { id: 'active', ranges: { turnover_rate: { min: 5, max: 20 }, pct_chg: { min: 3 } }, sortBy: 'pct_chg', order: 'desc' },
  { id: 'large', ranges: { total_mv: { min: 1e7 }, pe_ttm: { min: 0 } }, sortBy: 'total_mv', order: 'desc' },
]
