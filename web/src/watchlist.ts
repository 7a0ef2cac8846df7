import { reactive, watch } from 'vue'

// 自选股: codes kept in this browser (localStorage), newest first, shared by every tab.

export const WATCHLIST_KEY = 'stockd.watchlist'

function read(): string[] {
  try {
    const v = JSON.parse(localStorage.getItem(WATCHLIST_KEY) ?? '[]')
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []
  } catch {
    return []
  }
}

export const watchlist = reactive({ codes: typeof localStorage === 'undefined' ? [] : read() })

watch(
  () => [...watchlist.codes],
  (codes) => {
    try {
      localStorage.setItem(WATCHLIST_KEY, JSON.stringify(codes))
    } catch {
      /* storage full or unavailable: kept for this tab only */
    }
  },
)

if (typeof window !== 'undefined') {
  window.addEventListener('storage', (e) => {
    if (e.key === WATCHLIST_KEY) watchlist.codes = read()
  })
}

export function inWatchlist(code: string): boolean {
  return watchlist.codes.includes(code)
}

export function addToWatchlist(code: string) {
  if (code && !inWatchlist(code)) watchlist.codes.unshift(code)
}

export function removeFromWatchlist(code: string) {
  watchlist.codes = watchlist.codes.filter((c) => c !== code)
}

export function toggleWatchlist(code: string) {
  if (inWatchlist(code)) removeFromWatchlist(code)
  else addToWatchlist(code)
}
