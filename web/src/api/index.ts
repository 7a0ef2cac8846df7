import { createClient } from './client'
import { requestToken } from '../tokenPrompt'
import type {
  Adjust,
  DailyAnswer,
  Health,
  HotEtf,
  HotList,
  HotStock,
  MarketStats,
  SearchHit,
  StockBasic,
  Tool,
  TradeDates,
  Workflow,
  WorkflowList,
} from './types'

export const client = createClient({ askToken: requestToken })

const enc = encodeURIComponent

export const api = {
  // ~3 years of trade dates for the picker (the server's default is 60).
  tradeDates: () => client.get<TradeDates>('/api/overview/trade-dates', { limit: 750 }),
  marketStats: (date?: string) => client.get<MarketStats>('/api/overview/market-stats', { date }),
  hotStocks: (date: string | undefined, sort_by: string, limit: number) =>
    client.get<HotList<HotStock>>('/api/overview/hot-stocks', { date, sort_by, limit }),
  hotEtfs: (date: string | undefined, sort_by: string, limit: number) =>
    client.get<HotList<HotEtf>>('/api/overview/hot-etfs', { date, sort_by, limit }),

  search: (q: string) => client.get<{ data: SearchHit[] }>('/api/stock/search', { q }),
  basic: (code: string) => client.get<StockBasic>(`/api/stock/${enc(code)}/basic`),
  daily: (code: string, start: string | undefined, end: string | undefined, adjust: Adjust) =>
    client.get<DailyAnswer>(`/api/stock/${enc(code)}/daily`, { start, end, adjust }),

  /** One page of the list (the server pages it: limit ≤ 100), with the total. */
  workflows: (includeTemplates: boolean, limit: number, offset: number) =>
    client.get<WorkflowList>('/api/workflows', { include_templates: includeTemplates, limit, offset }),
  tools: () => client.get<{ tools: Tool[] }>('/api/workflows/tools'),
  workflow: (id: string) => client.get<Workflow>(`/api/workflows/${enc(id)}`),
  createWorkflow: (w: Workflow) => client.post<Workflow>('/api/workflows', w),
  updateWorkflow: (id: string, w: Workflow) => client.put<Workflow>(`/api/workflows/${enc(id)}`, w),
  deleteWorkflow: (id: string) => client.del<unknown>(`/api/workflows/${enc(id)}`),
  cloneWorkflow: (id: string, name: string) =>
    client.post<Workflow>(`/api/workflows/${enc(id)}/clone`, { name }),

  health: () => client.getAllowing<Health>('/health', [503]),
}
