import { reactive } from 'vue'

// One place knows whether the server can be reached. The API client reports failures and answers;
// while offline a probe asks /health every few seconds, and the moment the server answers again every
// subscriber (loaders that failed, a navigation to a page whose code never arrived) runs once more.
// So the UI shows one offline banner with one retry button and recovers by itself.

export const connectivity = reactive({
  offline: false,
  /** When the server was last found away (ms since epoch), 0 while online. */
  since: 0,
  checking: false,
})

type Listener = () => void
const listeners = new Set<Listener>()

/** Runs fn each time the server is reachable again after being away; returns the unsubscribe. */
export function onReconnect(fn: Listener): () => void {
  listeners.add(fn)
  return () => listeners.delete(fn)
}

let timer: ReturnType<typeof setTimeout> | null = null
let attempt = 0
let probeFetch: typeof fetch = (...a) => globalThis.fetch(...a)

/** For tests: replace the probe's fetch and stop any running probe. */
export function setProbeFetch(f: typeof fetch) {
  probeFetch = f
  stopProbe()
}

function stopProbe() {
  if (timer) clearTimeout(timer)
  timer = null
  attempt = 0
}

function schedule() {
  if (timer) clearTimeout(timer)
  // 2 s, 3 s, 4.5 s … up to 10 s between probes.
  const delay = Math.min(10000, 2000 * Math.pow(1.5, attempt++))
  timer = setTimeout(probe, delay)
}

/** Asks /health once; any HTTP answer (even 503: the store may be down, the server is not) counts. */
export async function probe(): Promise<boolean> {
  if (timer) clearTimeout(timer)
  timer = null
  connectivity.checking = true
  try {
    const res = await probeFetch('/health', { cache: 'no-store', headers: { Accept: 'application/json' } })
    if (res.status === 502 || res.status === 504) throw new Error('proxy without backend')
    markOnline()
    return true
  } catch {
    if (connectivity.offline) schedule()
    return false
  } finally {
    connectivity.checking = false
  }
}

/** A request could not reach the server. */
export function markOffline() {
  if (!connectivity.offline) {
    connectivity.offline = true
    connectivity.since = Date.now()
    attempt = 0
  }
  if (!timer) schedule()
}

/** The server answered something. */
export function markOnline() {
  if (!connectivity.offline) return
  connectivity.offline = false
  connectivity.since = 0
  stopProbe()
  for (const fn of [...listeners]) {
    try {
      fn()
    } catch (e) {
      console.error(e)
    }
  }
}

/** The banner's button: probe now instead of waiting for the next tick. */
export function retryNow() {
  return probe()
}

// The browser knows first when the machine's own network comes back.
if (typeof window !== 'undefined') {
  window.addEventListener('online', () => {
    if (connectivity.offline) void probe()
  })
}
