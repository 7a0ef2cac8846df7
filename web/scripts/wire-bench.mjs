#!/usr/bin/env node
// Weight on the wire and time to first useful paint of the web UI on a throttled link, in headless
// Chromium through playwright-core and the DevTools protocol (Network.emulateNetworkConditions).
// Usage: node web/scripts/wire-bench.mjs http://127.0.0.1:PORT STOCK_CODE
// Env: CHROMIUM (default /usr/bin/chromium), BENCH_RUNS (default 3), BENCH_DOWN_KBPS (1600),
//      BENCH_UP_KBPS (750), BENCH_RTT_MS (150).
// Every run is a cold load: a fresh browser profile, so nothing comes from the HTTP cache.
// "bytes" are what crossed the wire (Network.loadingFinished encodedDataLength: headers + body as sent,
// compressed when the server compressed). "time to chart" runs from navigation start until the K-line
// canvas has pixels; "time to table" until the overview's hot-stock table has a row with a price.
import { launchChromium } from '../e2e/browser.mjs'

const base = (process.argv[2] || '').replace(/\/$/, '')
const code = process.argv[3] || ''
if (!base || !code) {
  console.error('usage: node web/scripts/wire-bench.mjs http://127.0.0.1:PORT STOCK_CODE')
  process.exit(2)
}
const runs = Number(process.env.BENCH_RUNS || 3)
const downKbps = Number(process.env.BENCH_DOWN_KBPS || 1600)
const upKbps = Number(process.env.BENCH_UP_KBPS || 750)
const rtt = Number(process.env.BENCH_RTT_MS || 150)

const pages = [
  {
    name: 'overview',
    path: '/',
    // A hot-stock row with a price: the page's first useful answer.
    ready: () => {
      const cell = document.querySelector('[data-testid=hot-stocks] .el-table__row td .num')
      return cell && /\d/.test(cell.textContent || '') ? performance.now() : false
    },
  },
  {
    name: 'stock',
    path: `/stock/${code}`,
    ready: () => {
      const c = document.querySelector('[data-testid=kline-chart] canvas')
      if (!c || !c.width || !c.height) return false
      const ctx = c.getContext('2d')
      if (!ctx) return false
      const d = ctx.getImageData(0, 0, c.width, c.height).data
      let n = 0
      for (let i = 3; i < d.length; i += 16) if (d[i] !== 0) n++
      return n > 500 ? performance.now() : false
    },
  },
]

async function measure(p) {
  const browser = await launchChromium({ width: 1400, height: 1000 })
  const ctx = browser.context
  try {
    const page = await ctx.newPage()
    const cdp = await ctx.newCDPSession(page)
    await cdp.send('Network.enable')
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true })
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: rtt,
      downloadThroughput: (downKbps * 1000) / 8,
      uploadThroughput: (upKbps * 1000) / 8,
    })
    const types = new Map()
    const byType = {}
    let bytes = 0
    let requests = 0
    cdp.on('Network.responseReceived', (e) => types.set(e.requestId, e.type))
    cdp.on('Network.loadingFinished', (e) => {
      bytes += e.encodedDataLength
      requests++
      const ty = types.get(e.requestId) || 'Other'
      byType[ty] = (byType[ty] || 0) + e.encodedDataLength
    })
    await page.goto(base + p.path, { waitUntil: 'commit' })
    const handle = await page.waitForFunction(p.ready, null, { polling: 50, timeout: 60000 })
    const ms = await handle.jsonValue()
    // Whatever the page still fetches after its first paint (lazy chunks, the rest of the answers).
    await page.waitForLoadState('networkidle').catch(() => {})
    await page.waitForTimeout(500)
    return { ms, bytes, requests, byType }
  } finally {
    await browser.close()
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

console.log(`link: ${downKbps} kbit/s down, ${upKbps} kbit/s up, ${rtt} ms latency; ${runs} cold runs per page (median)`)
console.log('')
console.log('| page | requests | bytes on the wire | of which JS | CSS | API (fetch) | time to first useful paint |')
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |')
const kb = (n) => `${(n / 1024).toFixed(1)} KB`
for (const p of pages) {
  const rs = []
  for (let i = 0; i < runs; i++) rs.push(await measure(p))
  const m = rs.find((r) => r.ms === median(rs.map((x) => x.ms)))
  const what = p.name === 'stock' ? 'chart' : 'table'
  console.log(
    `| ${p.name} (\`${p.path}\`) | ${m.requests} | ${kb(m.bytes)} | ${kb(m.byType.Script || 0)} | ${kb(m.byType.Stylesheet || 0)} | ${kb((m.byType.Fetch || 0) + (m.byType.XHR || 0))} | ${what} ${(m.ms / 1000).toFixed(2)} s (runs: ${rs.map((r) => (r.ms / 1000).toFixed(2)).join(', ')}) |`,
  )
}
