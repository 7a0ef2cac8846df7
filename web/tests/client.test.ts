import { describe, expect, it, vi } from 'vitest'
import { ApiError, TOKEN_KEY, buildQuery, createClient, parseError, type TokenStore } from '../src/api/client'

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
}
function memStore(init: Record<string, string> = {}): TokenStore & { data: Map<string, string> } {
  const data = new Map(Object.entries(init))
  return {
    data,
    getItem: (k) => data.get(k) ?? null,
    setItem: (k, v) => void data.set(k, v),
    removeItem: (k) => void data.delete(k),
  }
}
type Call = { url: string; init: RequestInit }
function fakeFetch(responses: (Response | Error)[]) {
  const calls: Call[] = []
  const fn = vi.fn(async (url: RequestInfo | URL, init?: RequestInit) => {
    calls.push({ url: String(url), init: init ?? {} })
    const r = responses.shift()
    if (!r) throw new Error('unexpected call')
    if (r instanceof Error) throw r
    return r
  })
  return { fn: fn as unknown as typeof fetch, calls }
}
const header = (c: Call, name: string) => (c.init.headers as Record<string, string>)[name]

describe('buildQuery', () => {
  it('drops empty values and encodes the rest', () => {
    expect(buildQuery({ date: '2025-12-18', sort_by: 'pct_chg', limit: 20 })).toBe(
      '?date=2025-12-18&sort_by=pct_chg&limit=20',
    )
    expect(buildQuery({ date: undefined, q: '', x: null, limit: 0 })).toBe('?limit=0')
    expect(buildQuery({ q: '贵州 茅台&x' })).toBe('?q=%E8%B4%B5%E5%B7%9E%20%E8%8C%85%E5%8F%B0%26x')
    expect(buildQuery({})).toBe('')
    expect(buildQuery()).toBe('')
  })
})

describe('parseError', () => {
  it('reads the API error shape with details', async () => {
    const e = await parseError(
      json(422, {
        error: {
          code: 'validation_failed',
          message: 'workflow is invalid',
          details: [{ field: 'variables[0].name', message: 'duplicate' }],
        },
      }),
    )
    expect(e).toBeInstanceOf(ApiError)
    expect(e.status).toBe(422)
    expect(e.code).toBe('validation_failed')
    expect(e.message).toBe('workflow is invalid')
    expect(e.details).toEqual([{ field: 'variables[0].name', message: 'duplicate' }])
  })
  it('falls back to the status line for non-JSON bodies', async () => {
    const e = await parseError(new Response('<html>bad gateway</html>', { status: 502, statusText: 'Bad Gateway' }))
    expect(e.status).toBe(502)
    expect(e.code).toBe('http_502')
    expect(e.message).toBe('HTTP 502 Bad Gateway')
    expect(e.details).toEqual([])
  })
})

describe('client', () => {
  it('GETs with a query and returns the JSON body', async () => {
    const f = fakeFetch([json(200, { trade_date: '2025-12-18', data: [] })])
    const c = createClient({ fetch: f.fn, storage: memStore() })
    const r = await c.get<{ trade_date: string }>('/api/overview/hot-stocks', { date: '2025-12-18', sort_by: 'pct_chg', limit: 5 })
    expect(r.trade_date).toBe('2025-12-18')
    expect(f.calls[0].url).toBe('/api/overview/hot-stocks?date=2025-12-18&sort_by=pct_chg&limit=5')
    expect(f.calls[0].init.method).toBe('GET')
    expect(header(f.calls[0], 'Authorization')).toBeUndefined()
  })

  it('throws ApiError with the server message', async () => {
    const f = fakeFetch([json(404, { error: { code: 'not_found', message: 'unknown stock 999999.SH' } })])
    const c = createClient({ fetch: f.fn, storage: memStore() })
    await expect(c.get('/api/stock/999999.SH/basic')).rejects.toMatchObject({
      status: 404,
      code: 'not_found',
      message: 'unknown stock 999999.SH',
    })
  })

  it('turns network failures into ApiError', async () => {
    const f = fakeFetch([new TypeError('Failed to fetch')])
    const c = createClient({ fetch: f.fn, storage: memStore() })
    await expect(c.get('/api/x')).rejects.toMatchObject({ status: 0, code: 'network_error' })
  })

  it('rejects a 200 that is not JSON', async () => {
    const f = fakeFetch([new Response('<!doctype html>', { status: 200 })])
    const c = createClient({ fetch: f.fn, storage: memStore() })
    await expect(c.get('/api/x')).rejects.toMatchObject({ code: 'bad_response' })
  })

  it('asks for a token on 401, retries with it and stores it', async () => {
    const store = memStore()
    const f = fakeFetch([
      json(401, { error: { code: 'unauthorized', message: 'token required' } }),
      json(201, { id: 'w1', name: 'x' }),
    ])
    const ask = vi.fn(async () => 's3cret')
    const c = createClient({ fetch: f.fn, storage: store, askToken: ask })
    const r = await c.post<{ id: string }>('/api/workflows', { name: 'x' })
    expect(r.id).toBe('w1')
    expect(ask).toHaveBeenCalledTimes(1)
    expect(ask).toHaveBeenCalledWith(false)
    expect(f.calls).toHaveLength(2)
    expect(header(f.calls[0], 'Authorization')).toBeUndefined()
    expect(header(f.calls[1], 'Authorization')).toBe('Bearer s3cret')
    expect(f.calls[1].init.body).toBe(JSON.stringify({ name: 'x' }))
    expect(store.data.get(TOKEN_KEY)).toBe('s3cret')
  })

  it('sends the stored token on later writes without asking', async () => {
    const store = memStore({ [TOKEN_KEY]: 'kept' })
    const f = fakeFetch([json(200, { ok: true })])
    const ask = vi.fn(async () => 'other')
    const c = createClient({ fetch: f.fn, storage: store, askToken: ask })
    await c.del('/api/workflows/w1')
    expect(ask).not.toHaveBeenCalled()
    expect(header(f.calls[0], 'Authorization')).toBe('Bearer kept')
    expect(f.calls[0].init.method).toBe('DELETE')
  })

  it('says the stored token was refused, and forgets a token refused again', async () => {
    const store = memStore({ [TOKEN_KEY]: 'stale' })
    const f = fakeFetch([
      json(401, { error: { code: 'unauthorized', message: 'bad token' } }),
      json(401, { error: { code: 'unauthorized', message: 'bad token' } }),
    ])
    const ask = vi.fn(async () => 'wrong')
    const c = createClient({ fetch: f.fn, storage: store, askToken: ask })
    await expect(c.put('/api/workflows/w1', { name: 'y' })).rejects.toMatchObject({ status: 401, message: 'bad token' })
    expect(ask).toHaveBeenCalledWith(true)
    expect(ask).toHaveBeenCalledTimes(1)
    expect(f.calls).toHaveLength(2)
    expect(store.data.has(TOKEN_KEY)).toBe(false)
  })

  it('does not retry when the user cancels the dialog', async () => {
    const f = fakeFetch([json(401, { error: { code: 'unauthorized', message: 'token required' } })])
    const c = createClient({ fetch: f.fn, storage: memStore(), askToken: async () => null })
    await expect(c.post('/api/workflows', {})).rejects.toMatchObject({ status: 401 })
    expect(f.calls).toHaveLength(1)
  })

  it('asks once for concurrent 401s', async () => {
    const unauthorized = () => json(401, { error: { code: 'unauthorized', message: 'token required' } })
    const f = fakeFetch([unauthorized(), unauthorized(), json(200, { a: 1 }), json(200, { b: 2 })])
    let release!: (t: string) => void
    const ask = vi.fn(() => new Promise<string | null>((r) => (release = r)))
    const c = createClient({ fetch: f.fn, storage: memStore(), askToken: ask })
    const p1 = c.post('/api/workflows', { n: 1 })
    const p2 = c.post('/api/workflows', { n: 2 })
    await vi.waitFor(() => expect(ask).toHaveBeenCalled())
    await new Promise((r) => setTimeout(r, 0))
    release('tok')
    await Promise.all([p1, p2])
    expect(ask).toHaveBeenCalledTimes(1)
    expect(f.calls.slice(2).map((c) => header(c, 'Authorization'))).toEqual(['Bearer tok', 'Bearer tok'])
  })

  it('keeps a token that passed auth even when the retry fails validation', async () => {
    const store = memStore()
    const f = fakeFetch([
      json(401, { error: { code: 'unauthorized', message: 'token required' } }),
      json(422, { error: { code: 'validation_failed', message: 'invalid', details: [{ field: 'name', message: 'required' }] } }),
    ])
    const c = createClient({ fetch: f.fn, storage: store, askToken: async () => 'good' })
    const err = (await c.post("/api/workflows", {}).catch((e: unknown) => e)) as ApiError
    expect(err).toBeInstanceOf(ApiError)
    expect(err.details).toEqual([{ field: 'name', message: 'required' }])
    expect(store.data.get(TOKEN_KEY)).toBe('good')
  })

  it('does not ask for a token on a GET 401', async () => {
    const f = fakeFetch([json(401, { error: { code: 'unauthorized', message: 'no' } })])
    const ask = vi.fn(async () => 't')
    const c = createClient({ fetch: f.fn, storage: memStore(), askToken: ask })
    await expect(c.get('/api/cache/stats')).rejects.toMatchObject({ status: 401 })
    expect(ask).not.toHaveBeenCalled()
  })

  it('accepts a 503 health answer with a body', async () => {
    const f = fakeFetch([json(503, { status: 'unhealthy', services: { sqlite: { status: 'down' } } })])
    const c = createClient({ fetch: f.fn, storage: memStore() })
    const r = await c.getAllowing<{ status: string }>('/health', [503])
    expect(r.status).toBe(503)
    expect(r.body.status).toBe('unhealthy')
  })
})

describe('postStream', () => {
  it('asks for the token on 401 and returns the stream of the retried request', async () => {
    const store = memStore()
    const stream = new Response('event: run\ndata: {}\n\n', { status: 200, headers: { 'Content-Type': 'text/event-stream' } })
    const f = fakeFetch([json(401, { error: { code: 'unauthorized', message: 'x' } }), stream])
    const c = createClient({ fetch: f.fn, storage: store, askToken: async () => 'tok' })
    const ctl = new AbortController()
    const res = await c.postStream('/api/workflows/w/run', { variables: {} }, ctl.signal)
    expect(await res.text()).toBe('event: run\ndata: {}\n\n')
    expect(f.calls).toHaveLength(2)
    expect(header(f.calls[1], 'Authorization')).toBe('Bearer tok')
    expect(header(f.calls[1], 'Accept')).toContain('text/event-stream')
    expect(f.calls[1].init.signal).toBe(ctl.signal)
    expect(store.data.get(TOKEN_KEY)).toBe('tok')
  })
  it('turns an error answer into an ApiError with its details, and an abort into code aborted', async () => {
    const f = fakeFetch([
      json(422, { error: { code: 'validation_failed', message: 'm', details: [{ field: 'variables.stock_code', message: 'is required (x)' }] } }),
    ])
    const c = createClient({ fetch: f.fn, storage: memStore() })
    await expect(c.postStream('/r', {})).rejects.toMatchObject({ status: 422, details: [{ field: 'variables.stock_code' }] })
    const ctl = new AbortController()
    ctl.abort()
    const aborting = createClient({
      fetch: (async () => {
        throw new DOMException('aborted', 'AbortError')
      }) as unknown as typeof fetch,
      storage: memStore(),
    })
    await expect(aborting.postStream('/r', {}, ctl.signal)).rejects.toMatchObject({ code: 'aborted' })
  })
})
