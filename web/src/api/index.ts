import { createClient, type Query } from './client'
import { requestToken } from '../tokenPrompt'
import { markOffline, markOnline } from '../connectivity'
import type {
  Adjust,
  DailyAnswer,
  Period,
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
  Draft,
  Run,
  RunEvents,
  RunList,
} from './types'
import { readEvents } from '../utils/sse'

export const client = createClient({ askToken: requestToken, onNetworkError: markOffline, onResponse: markOnline })

const enc = encodeURIComponent

function klineUrl(
  code: string,
  period: Period,
  start: string | undefined,
  end: string | undefined,
  adjust: Adjust,
): [string, Query] {
  return period === 'day'
    ? [`/api/stock/${enc(code)}/daily`, { start, end, adjust }]
    : [`/api/stock/${enc(code)}/kline`, { period, start, end, adjust }]
}

export const api = {
  // ~3 years of trade dates for the picker (the server's default is 60).
  tradeDates: () => client.get<TradeDates>('/api/overview/trade-dates', { limit: 750 }),
  marketStats: (date?: string) => client.get<MarketStats>('/api/overview/market-stats', { date }),
  hotStocks: (date: string | undefined, sort_by: string, limit: number, order?: 'asc') =>
    client.get<HotList<HotStock>>('/api/overview/hot-stocks', { date, sort_by, limit, order }),
  hotEtfs: (date: string | undefined, sort_by: string, limit: number, order?: 'asc') =>
    client.get<HotList<HotEtf>>('/api/overview/hot-etfs', { date, sort_by, limit, order }),

  search: (q: string) => client.get<{ data: SearchHit[] }>('/api/stock/search', { q }),
  basic: (code: string) => client.get<StockBasic>(`/api/stock/${enc(code)}/basic`),
  daily: (code: string, start: string | undefined, end: string | undefined, adjust: Adjust) =>
    client.get<DailyAnswer>(`/api/stock/${enc(code)}/daily`, { start, end, adjust }),
  /** 日K through /daily (cached since long), 周K/月K aggregated by the server through /kline. */
  kline: (code: string, period: Period, start: string | undefined, end: string | undefined, adjust: Adjust) =>
    client.get<DailyAnswer>(...klineUrl(code, period, start, end, adjust)),
  /** Asks for a stock page's data ahead of the page (see client.prefetch). */
  prefetchStock(code: string, period: Period, start: string | undefined, end: string | undefined, adjust: Adjust) {
    client.prefetch(`/api/stock/${enc(code)}/basic`)
    client.prefetch(...klineUrl(code, period, start, end, adjust))
  },

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

  /**
   * Runs a workflow, streaming: each event of the run goes to onEvent as it arrives; resolves when the
   * stream ends. Aborting signal closes the connection, which cancels the run on the server.
   */
  async runWorkflow(
    id: string,
    variables: Record<string, unknown>,
    onEvent: <K extends keyof RunEvents>(name: K, data: RunEvents[K]) => void,
    signal?: AbortSignal,
  ) {
    const res = await client.postStream(`/api/workflows/${enc(id)}/run`, { variables, stream: true }, signal)
    await readEvents(res, (e) => {
      let data: unknown
      try {
        data = JSON.parse(e.data)
      } catch {
        return // not ours: a proxy's page, a truncated line
      }
      onEvent(e.event as keyof RunEvents, data as RunEvents[keyof RunEvents])
    })
  },
  cancelRun: (runId: string) => client.post<{ id: string; status: string }>(`/api/runs/${enc(runId)}/cancel`),
  runs: (workflowId: string, limit = 20) => client.get<RunList>(`/api/workflows/${enc(workflowId)}/runs`, { limit }),
  run: (runId: string) => client.get<Run>(`/api/runs/${enc(runId)}`),
  generateWorkflow: (description: string) => client.post<Draft>('/api/workflows/generate', { description }),
}
