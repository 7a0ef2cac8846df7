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
  /** number variables: bounds of the value, inclusive */
  min?: number
  max?: number
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
  /** How many the whole list has; workflows is one page of it. */
  total: number
  limit?: number
  offset?: number
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

// ---------- workflow runs ----------

export type RunStatus = 'running' | 'succeeded' | 'failed' | 'canceled'

export interface Usage {
  input_tokens: number
  output_tokens: number
  total_tokens?: number
  reasoning_tokens?: number
  cached_tokens?: number
}

export interface RunToolCall {
  id: string
  name: string
  arguments: unknown
  ok: boolean
  error?: string
  cached: boolean
  result_bytes: number
  truncated?: boolean
  duration_ms: number
}

export interface RunRound {
  index: number
  finish_reason?: string
  model?: string
  first_token_ms: number
  latency_ms: number
  usage: Usage
  thinking?: string
  content?: string
  tool_calls?: RunToolCall[]
}

/** A run as stored (GET /api/runs/{id}, the done event, stream:false). */
export interface Run {
  id: string
  workflow_id: string
  workflow?: Workflow
  variables: Record<string, unknown>
  status: RunStatus
  model: string
  rounds: RunRound[]
  output: string
  usage: Usage
  started_at: string
  finished_at?: string
  latency_ms: number
  error?: { code: string; message: string }
  trace_id?: string
  trace_url?: string
}

export interface RunSummary {
  id: string
  workflow_id: string
  status: RunStatus
  model: string
  started_at: string
  finished_at?: string
  latency_ms: number
  usage: { input_tokens: number; output_tokens: number }
  variables: Record<string, unknown>
  trace_id?: string
  trace_url?: string
  error_code?: string
}

export interface RunList {
  runs: RunSummary[]
  total: number
}

/** The events of a run stream, by name (their data). */
export interface RunEvents {
  run: { run_id: string; trace_id?: string; trace_url?: string; workflow_id: string; model: string }
  thinking: { round: number; text: string }
  content: { round: number; text: string }
  tool_call: { round: number; id: string; name: string; arguments: string }
  tool_result: {
    round: number
    id: string
    name: string
    ok: boolean
    error?: string
    ms: number
    cached: boolean
    size: number
    truncated?: boolean
  }
  usage: { round: number; usage: Usage; total: Usage }
  error: { status: RunStatus; code: string; message: string }
  done: Run
}

export interface Draft {
  workflow: Workflow
  attempts: number
  usage: Usage
  trace_id?: string
}
