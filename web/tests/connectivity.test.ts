import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { connectivity, markOffline, markOnline, onReconnect, setProbeFetch } from '../src/connectivity'
import { createClient } from '../src/api/client'

describe('connectivity', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => {
    markOnline()
    vi.useRealTimers()
  })

  it('goes offline on a failed request, probes /health, and runs the reconnect listeners once', async () => {
    let up = false
    const probes: string[] = []
    setProbeFetch((async (url: RequestInfo | URL) => {
      probes.push(String(url))
      if (!up) throw new TypeError('Failed to fetch')
      return new Response('{}', { status: 503, headers: { 'Content-Type': 'application/json' } })
    }) as typeof fetch)
    const client = createClient({
      fetch: (async () => {
        throw new TypeError('Failed to fetch')
      }) as typeof fetch,
      storage: null,
      onNetworkError: markOffline,
      onResponse: markOnline,
    })
    const reconnected = vi.fn()
    const off = onReconnect(reconnected)
    await expect(client.get('/api/x')).rejects.toMatchObject({ code: 'network_error' })
    expect(connectivity.offline).toBe(true)
    await vi.advanceTimersByTimeAsync(2100)
    expect(probes).toEqual(['/health'])
    expect(connectivity.offline).toBe(true)
    expect(reconnected).not.toHaveBeenCalled()
    up = true // a 503 (store down) still means the server is there
    await vi.advanceTimersByTimeAsync(3100)
    expect(probes.length).toBe(2)
    expect(connectivity.offline).toBe(false)
    expect(reconnected).toHaveBeenCalledTimes(1)
    // Online: no more probes.
    await vi.advanceTimersByTimeAsync(30000)
    expect(probes.length).toBe(2)
    off()
  })

  it('treats a proxy’s 502 without JSON as the server being away', async () => {
    const client = createClient({
      fetch: (async () => new Response('<html>502 Bad Gateway</html>', { status: 502 })) as typeof fetch,
      storage: null,
      onNetworkError: markOffline,
    })
    setProbeFetch((async () => {
      throw new TypeError('down')
    }) as typeof fetch)
    await expect(client.get('/api/x')).rejects.toMatchObject({ code: 'network_error' })
    expect(connectivity.offline).toBe(true)
  })
})
