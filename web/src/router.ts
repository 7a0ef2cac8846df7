import { createRouter, createWebHistory, type RouteLocationRaw } from 'vue-router'
import { markOffline, onReconnect } from './connectivity'
import { api } from './api'
import { klineRequest, viewFromQuery } from './utils/kline'
import { todayInChina } from './utils/dates'

// Every page is its own chunk.
export const routes = [
  { path: '/', name: 'overview', component: () => import('./views/OverviewView.vue') },
  { path: '/watchlist', name: 'watchlist', component: () => import('./views/WatchlistView.vue') },
  { path: '/stock/:code?', name: 'stock', component: () => import('./views/StockView.vue') },
  { path: '/workflows', name: 'workflows', component: () => import('./views/WorkflowsView.vue') },
  { path: '/status', name: 'status', component: () => import('./views/StatusView.vue') },
  { path: '/:pathMatch(.*)*', redirect: '/' },
]

export const router = createRouter({
  history: createWebHistory(),
  routes,
})

// The K-line chart (ECharts) is the largest chunk: when a stock page is opened, fetch it together with
// the page's own code instead of after it (on a slow link this saves a round trip and the page's
// download time before the chart can start).
// Its data, too, is asked for here, while the page's code is still loading.
router.beforeEach((to, from) => {
  if (to.name !== 'stock' || !to.params.code) return
  void import('./components/KlineChart.vue').catch(() => {})
  // Only when the stock changes: a new range on the same stock is the page's own business.
  if (from.name === 'stock' && from.params.code === to.params.code) return
  const v = viewFromQuery(to.query)
  const r = klineRequest(v, null, todayInChina())
  api.prefetchStock(String(to.params.code), v.period, r.start, r.end, v.adjust)
})

/** A page's code (or its CSS) could not be fetched: the server is away. */
export function isChunkLoadError(err: unknown): boolean {
  const m = err instanceof Error ? err.message : String(err)
  return /dynamically imported module|Importing a module script failed|Unable to preload CSS|error loading dynamically imported module/i.test(
    m,
  )
}

// A click on a page not loaded yet while the server is away: remember where the user wanted to go
// and go there when the server is back, without a reload.
let pending: RouteLocationRaw | null = null
router.onError((err, to) => {
  if (!isChunkLoadError(err)) return
  markOffline()
  pending = to.fullPath
})
onReconnect(() => {
  const to = pending
  pending = null
  if (to) void router.push(to)
})

if (typeof window !== 'undefined') {
  // Vite's preloader keeps a failed <link rel=stylesheet> in the page and skips it next time, so the
  // retried page would come without its CSS: drop the failed link so the retry fetches it again.
  window.addEventListener('vite:preloadError', (ev) => {
    const e = (ev as Event & { payload?: unknown }).payload
    const m = /Unable to preload CSS for (\S+)/.exec(e instanceof Error ? e.message : String(e))
    if (m) {
      for (const link of document.querySelectorAll<HTMLLinkElement>('link[rel=stylesheet]')) {
        if (link.href === m[1]) link.remove()
      }
    }
    markOffline()
  })
}
