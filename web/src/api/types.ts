// Shapes of the API's answers (DESIGN.md §6). Fields are optional where the server may omit them.

export interface Synthetic {
  synthetic?: boolean
}

export interface TradeDates {
  dates: string[]
}

export interface MarketStats extends Synthetic {
  trade_date: string
  up_count?: number
  down_count?: number
  flat_count?: number
  limit_up_count?: number
  limit_down_count?: number
  total_amount?: number // 亿元
  total_vol?: number // 手
}

export interface HotStock {
  ts_code: string
  name?: string
  industry?: string
  close?: number | null
  pct_chg?: number | null
  amount?: number | null // 千元
  vol?: number | null // 手
  turnover_rate?: number | null // %
  circ_mv?: number | null // 万元
  synthetic?: boolean
}

export interface HotEtf {
  ts_code: string
  name?: string
  close?: number | null
  pct_chg?: number | null
  amount?: number | null
  vol?: number | null
  synthetic?: boolean
}

export interface HotList<T> extends Synthetic {
  trade_date: string
  sort_by: string
  /** Echoed by servers that can rank ascending (跌幅榜). */
  order?: 'asc' | 'desc'
  data: T[]
}

export type Kind = 'stock' | 'etf'

export interface SearchHit {
  ts_code: string
  name: string
  industry?: string
  kind?: Kind
}

export interface StockBasic extends Synthetic {
  ts_code: string
  symbol?: string
  name?: string
  area?: string
  industry?: string
  market?: string
  exchange?: string
  list_date?: string
  delist_date?: string | null
  list_status?: string
  kind?: Kind
  // ETF fields
  index_code?: string
  index_name?: string
  mgr_name?: string
  // latest quote / valuation
  trade_date?: string
  close?: number | null
  pct_chg?: number | null
  pe?: number | null
  pe_ttm?: number | null
  pb?: number | null
  ps?: number | null
  dv_ratio?: number | null
  turnover_rate?: number | null
  total_mv?: number | null
  circ_mv?: number | null
  /** Limit prices when the server knows them (Tushare stk_limit or its board rule). */
  up_limit?: number | null
  down_limit?: number | null
  latest?: LatestBar | null
  valuation?: Record<string, unknown> | null
  [key: string]: unknown
}

export interface LatestBar {
  trade_date: string
  open: number
  high: number
  low: number
  close: number
  pre_close: number
  change?: number
  pct_chg: number
  vol: number
  amount: number
  up_limit?: number | null
  down_limit?: number | null
}

export interface Bar {
  date: string
  open: number
  high: number
  low: number
  close: number
  pre_close?: number | null
  pct_chg?: number | null
  vol?: number | null
  amount?: number | null
}

export type Adjust = 'qfq' | 'hfq' | 'none'
export type Period = 'day' | 'week' | 'month'

export interface DailyAnswer extends Synthetic {
  ts_code: string
  name?: string
  kind?: Kind
  adjust: Adjust
  anchor_date?: string | null
  start?: string
  end?: string
  data: Bar[]
}

export type VariableType = 'string' | 'number' | 'date' | 'stock_code' | 'stock_list'
export const VARIABLE_TYPES: VariableType[] = ['string', 'number', 'date', 'stock_code', 'stock_list']

export interface WorkflowVariable {
  name: string
  label: string
  type: VariableType
  required: boolean
  default?: string | number | string[] | null
  description?: string
}

export interface Workflow {
  id?: string
  name: string
  description: string
  category: string
  tags: string[]
  system_prompt: string
  user_prompt_template: string
  variables: WorkflowVariable[]
  selected_tools: string[]
  is_template?: boolean
  created_at?: string
  updated_at?: string
}

export interface WorkflowList {
  workflows: Workflow[]
  total: number
}

export interface Tool {
  name: string
  description?: string
  category?: string
  parameters?: unknown
}

export interface ServiceHealth {
  status?: string
  [key: string]: unknown
}

export interface TierStats {
  hits?: number
  misses?: number
  hit_rate?: number
  entries?: number
  [key: string]: unknown
}

export interface Health {
  status?: 'healthy' | 'degraded' | 'unhealthy' | string
  services?: Record<string, ServiceHealth | undefined>
  cache?: {
    available?: boolean
    hits?: number
    misses?: number
    hit_rate?: number
    keys?: number
    used_memory?: number | string
    max_memory?: number | string
    l1?: TierStats
    l2?: TierStats
    [key: string]: unknown
  }
  [key: string]: unknown
}
