// Small fetch wrapper: relative URLs, JSON in/out, the API's error shape, and the bearer token
// that writes need when the server has API_TOKEN set.

export interface FieldError {
  field: string
  message: string
}

export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly details: FieldError[]

  constructor(status: number, code: string, message: string, details: FieldError[] = []) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.details = details
  }
}

export type QueryValue = string | number | boolean | null | undefined
export type Query = Record<string, QueryValue>

/** Builds "?a=1&b=x" from the defined, non-empty values (keys keep their order). */
export function buildQuery(query?: Query): string {
  if (!query) return ''
  const parts: string[] = []
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue
    parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`)
  }
  return parts.length ? `?${parts.join('&')}` : ''
}

/** Turns a non-2xx answer into an ApiError, using `{"error":{code,message,details}}` when present. */
export async function parseError(res: Response): Promise<ApiError> {
  let text = ''
  try {
    text = await res.text()
  } catch {
    /* body unreadable: fall through to the status line */
  }
  let body: unknown
  try {
    body = text ? JSON.parse(text) : undefined
  } catch {
    body = undefined
  }
  const fallback = `HTTP ${res.status}${res.statusText ? ' ' + res.statusText : ''}`
  if (body && typeof body === 'object' && 'error' in body) {
    const err = (body as { error: unknown }).error
    if (err && typeof err === 'object') {
      const e = err as { code?: unknown; message?: unknown; details?: unknown }
      const details: FieldError[] = Array.isArray(e.details)
        ? e.details
            .filter((d): d is { field?: unknown; message?: unknown } => !!d && typeof d === 'object')
            .map((d) => ({ field: String(d.field ?? ''), message: String(d.message ?? '') }))
        : []
      return new ApiError(
        res.status,
        typeof e.code === 'string' ? e.code : `http_${res.status}`,
        typeof e.message === 'string' && e.message ? e.message : fallback,
        details,
      )
    }
    if (typeof err === 'string' && err) return new ApiError(res.status, `http_${res.status}`, err)
  }
  return new ApiError(res.status, `http_${res.status}`, fallback)
}

function isJson(res: Response): boolean {
  return (res.headers.get('Content-Type') ?? '').includes('json')
}

export interface TokenStore {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
  removeItem(key: string): void
}

export interface ClientOptions {
  fetch?: typeof fetch
  storage?: TokenStore | null
  /** Asked when a write answers 401; resolves to the token, or null when the user cancels. */
  askToken?: (rejected: boolean) => Promise<string | null>
  /** Told when a request cannot reach the server at all (connection refused, DNS, offline). */
  onNetworkError?: () => void
  /** Told when the server answered, whatever the status: it is reachable. */
  onResponse?: () => void
}

export const TOKEN_KEY = 'stockd.apiToken'

function memoryStore(): TokenStore {
  const m = new Map<string, string>()
  return {
    getItem: (k) => m.get(k) ?? null,
    setItem: (k, v) => void m.set(k, v),
    removeItem: (k) => void m.delete(k),
  }
}

export interface ApiClient {
  get<T>(path: string, query?: Query): Promise<T>
  /**
   * Starts a GET now whose answer the next get() of the same URL takes (once, within 5 s): the router
   * asks for a page's data while the page's code is still on its way.
   */
  prefetch(path: string, query?: Query): void
  post<T>(path: string, body?: unknown): Promise<T>
  put<T>(path: string, body?: unknown): Promise<T>
  del<T>(path: string): Promise<T>
  /**
   * POST whose answer is read as it arrives (a run's event stream): the Response of a 2xx, an ApiError
   * otherwise. The token is asked for on 401 as for every write; signal aborts the request.
   */
  postStream(path: string, body: unknown, signal?: AbortSignal): Promise<Response>
  /** GET that also accepts the given non-2xx statuses when they carry JSON (e.g. /health 503). */
  getAllowing<T>(path: string, statuses: number[]): Promise<{ status: number; body: T }>
  token(): string | null
  setToken(token: string | null): void
}

export function createClient(opts: ClientOptions = {}): ApiClient {
  const doFetch: typeof fetch = opts.fetch ?? ((...args) => globalThis.fetch(...args))
  const storage: TokenStore =
    opts.storage ?? (typeof localStorage !== 'undefined' ? localStorage : memoryStore())
  let pendingAsk: Promise<string | null> | null = null

  const token = () => {
    try {
      return storage.getItem(TOKEN_KEY)
    } catch {
      return null
    }
  }
  const setToken = (t: string | null) => {
    try {
      if (t) storage.setItem(TOKEN_KEY, t)
      else storage.removeItem(TOKEN_KEY)
    } catch {
      /* storage unavailable: token lives for this call only */
    }
  }

  // One dialog at a time even if several writes fail together.
  const ask = (rejected: boolean) => {
    if (!opts.askToken) return Promise.resolve(null)
    if (!pendingAsk) {
      pendingAsk = opts.askToken(rejected).finally(() => {
        pendingAsk = null
      })
    }
    return pendingAsk
  }

  async function send(
    method: string,
    path: string,
    body: unknown,
    tokenOverride?: string | null,
    signal?: AbortSignal,
    accept = 'application/json',
  ) {
    const headers: Record<string, string> = { Accept: accept }
    if (body !== undefined) headers['Content-Type'] = 'application/json'
    const t = tokenOverride !== undefined ? tokenOverride : token()
    if (t) headers['Authorization'] = `Bearer ${t}`
    let res: Response
    try {
      res = await doFetch(path, {
        method,
        headers,
        body: body !== undefined ? JSON.stringify(body) : undefined,
        signal,
      })
    } catch (e) {
      if (signal?.aborted) throw new ApiError(0, 'aborted', 'request aborted')
      opts.onNetworkError?.()
      throw new ApiError(0, 'network_error', e instanceof Error ? e.message : String(e))
    }
    // A proxy in front (nginx) answers 502/504 itself while the backend is down: that is the server
    // being away, not an answer from it.
    if ((res.status === 502 || res.status === 504) && !isJson(res)) {
      opts.onNetworkError?.()
      throw new ApiError(0, 'network_error', `HTTP ${res.status} from a proxy`)
    }
    opts.onResponse?.()
    return res
  }

  async function readJson<T>(res: Response): Promise<T> {
    if (res.status === 204) return undefined as T
    const text = await res.text()
    if (!text) return undefined as T
    try {
      return JSON.parse(text) as T
    } catch {
      throw new ApiError(res.status, 'bad_response', `unexpected non-JSON answer from ${res.url || 'server'}`)
    }
  }

  async function authorized(method: string, path: string, body?: unknown, signal?: AbortSignal, accept?: string) {
    let res = await send(method, path, body, undefined, signal, accept)
    const isWrite = method !== 'GET'
    if (res.status === 401 && isWrite && opts.askToken) {
      // Ask once; if the stored token was the one refused, say so in the dialog.
      const hadToken = !!token()
      const fresh = await ask(hadToken)
      if (fresh) {
        res = await send(method, path, body, fresh, signal, accept)
        // Anything but another 401 means the token passed authentication: keep it.
        setToken(res.status === 401 ? null : fresh)
      }
    }
    if (!res.ok) throw await parseError(res)
    return res
  }

  async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
    return readJson<T>(await authorized(method, path, body))
  }

  const prefetched = new Map<string, { answer: Promise<unknown>; until: number }>()
  const PREFETCH_MS = 5000

  return {
    get<T>(path: string, query?: Query) {
      const url = path + buildQuery(query)
      const p = prefetched.get(url)
      prefetched.delete(url)
      if (p && Date.now() < p.until) return p.answer as Promise<T>
      return request<T>('GET', url)
    },
    prefetch(path: string, query?: Query) {
      const url = path + buildQuery(query)
      if (prefetched.has(url)) return
      const answer = request('GET', url)
      const entry = { answer, until: Infinity }
      prefetched.set(url, entry)
      answer.then(
        () => (entry.until = Date.now() + PREFETCH_MS),
        () => prefetched.get(url) === entry && prefetched.delete(url),
      )
    },
    post: <T>(path: string, body?: unknown) => request<T>('POST', path, body ?? {}),
    put: <T>(path: string, body?: unknown) => request<T>('PUT', path, body ?? {}),
    del: <T>(path: string) => request<T>('DELETE', path),
    postStream: (path: string, body: unknown, signal?: AbortSignal) =>
      authorized('POST', path, body ?? {}, signal, 'text/event-stream, application/json'),
    async getAllowing<T>(path: string, statuses: number[]) {
      const res = await send('GET', path, undefined)
      if (!res.ok && !statuses.includes(res.status)) throw await parseError(res)
      return { status: res.status, body: await readJson<T>(res) }
    },
    token,
    setToken,
  }
}
